/*
 * fuzz_record.c: libFuzzer target for the worker's record stream.
 *
 * The first byte picks the rounds (-R W:N) and how the stream is cut into
 * reads; the rest is what arrived on the record pipe. The stream goes
 * through the channel into a hunt, then the verdict and both reports are
 * made from whatever it left behind. Nothing may crash, leak or exit, a
 * hunt that ended must have all its rounds, and TEXT escaping must round
 * trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "cli.h"
#include "fuzz.h"
#include "hunt.h"
#include "json.h"
#include "pipeline.h"
#include "record.h"
#include "report.h"
#include "verdict.h"

static void
check_escape(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size), *esc, *back;

    esc = record_escape(text);
    REQUIRE(strchr(esc, '\n') == NULL);
    back = record_unescape(esc);
    REQUIRE(strcmp(back, text) == 0);
    free(esc);
    free(back);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    struct settings st;
    struct channel c;
    struct hunt *h;
    struct result r;
    size_t chunk, off;
    int i;

    if (size < 1) {
        return 0;
    }
    if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL) {
        abort();
    }
    memset(&st, 0, sizeof st);
    st.warmups = 1 + (data[0] & 1);
    st.tracked = 1 + ((data[0] >> 1) & 1);
    st.verbose = (data[0] >> 2) & 1;
    st.quiet = !st.verbose && ((data[0] >> 3) & 1);
    st.per_test = st.verbose && ((data[0] >> 3) & 1);      /* its records */
    st.mode = st.per_test ? MODE_LOOP : MODE_REINIT;
    st.kind = TARGET_CODE;
    st.target = "pass";
    st.explain = 3;             /* explain records are taken */
    chunk = 1 + (size_t)(data[0] >> 4) * 7;    /* 1 to 106 bytes a read */
    data++;
    size--;
    check_escape(data, size);

    h = hunt_new(&st);
    channel_init(&c, h);
    for (off = 0; off < size; off += chunk) {
        channel_feed(&c, (const char *)data + off,
            size - off < chunk ? size - off : chunk);
    }
    REQUIRE(h->started >= 0 && h->started <= h->nrounds);
    if (h->finished && !c.corrupted && !st.per_test) {
        for (i = 0; i < h->nrounds; i++) {
            REQUIRE(h->rounds[i].measured);
        }
    }
    for (i = 0; i < h->tests.n; i++) {
        REQUIRE(st.per_test);
        REQUIRE(h->tests.hunt[i]->started >= 0 &&
            h->tests.hunt[i]->started <= h->tests.hunt[i]->nrounds);
        verdict_compute(h->tests.hunt[i]);
    }
    REQUIRE(!h->finished || c.corrupted || !h->tests.open);
    REQUIRE(!c.corrupted || h->message != NULL);
    /* what the supervisor does with it, however it ended */
    h->status = c.corrupted ? STATUS_CRASHED : c.has_fail ? STATUS_FAILED :
        STATUS_CLEAN;
    verdict_compute(h);
    REQUIRE(!h->finished || c.corrupted || h->tracked_complete || st.per_test);
    pipeline_result(h, &r);
    report_text(&r, devnull);
    report_json(devnull, &r, 1, 0, r.exit_status);
    REQUIRE(!ferror(devnull));
    channel_free(&c);
    hunt_free(h);
    return 0;
}
