/* test_truth.c: verdicts that hold on real code: the calibration's drift
 * rule, refs that do not decide when extension modules bypass their
 * total, and texts cut to what the record channel carries. */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "check.h"
#include "cli.h"
#include "spec.h"
#include "record.h"
#include "verdict.h"

#define DRIFT(...) verdict_drift((int64_t[]){ __VA_ARGS__ },             \
    (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)))

/* A -R 1:3 hunt whose rounds measured these refs and blocks. */
static struct hunt *
hunt_with(struct settings *st, const int64_t *refs, const int64_t *blocks)
{
    struct hunt *h;
    int i;

    st->warmups = 1;
    st->tracked = 3;
    st->kind = TARGET_CODE;
    st->target = "pass";
    h = hunt_new(st);
    h->python.refs_available = 1;
    for (i = 0; i < 4; i++) {
        h->rounds[i].measured = 1;
        h->rounds[i].counter[METRIC_REFS] = refs[i];
        h->rounds[i].counter[METRIC_BLOCKS] = blocks[i];
        h->rounds[i].counter[METRIC_FDS] = 4;
    }
    h->started = 4;
    return h;
}

/* The deltas of a target over a steady interpreter drift, corrected by
 * the drift that empty cycles showed: whether blocks leak. */
static int
leaks_after_calibration(int64_t own, int64_t target, const int64_t *empty,
    int n)
{
    struct settings st = { 0 };
    int64_t blocks[4], refs[4] = { 0, 0, 0, 0 };
    struct hunt *h;
    int i, leaked;

    for (i = 0; i < 4; i++) {
        blocks[i] = 10000 + i * (own + target);
    }
    h = hunt_with(&st, refs, blocks);
    h->calibrated = 1;
    h->calibration[METRIC_REFS] = 0;
    h->calibration[METRIC_BLOCKS] = verdict_drift(empty, n);
    h->calibration[METRIC_FDS] = 0;
    verdict_compute(h);
    leaked = h->leaked[METRIC_BLOCKS];
    hunt_free(h);
    return leaked;
}

static void
test_drift(void)
{
    static const int64_t down[] = { -7, -5, -6 }, up[] = { 1922, 1925, 1923 },
        steady_down[] = { -5, -5, -5 }, mixed[] = { 3, -2, 1 };

    /* one sign: the smallest size; signs that disagree: nothing */
    CHECK(DRIFT(1922, 1925, 1923) == 1922);
    CHECK(DRIFT(-7, -5, -6) == -5);
    CHECK(DRIFT(3, -2, 1) == 0);
    CHECK(DRIFT(0, 4, 4) == 0);
    CHECK(DRIFT(-1) == -1);
    CHECK(DRIFT(4, COUNTER_NONE) == COUNTER_NONE);

    /* A clean target never leaks after the correction, whatever the
     * interpreter's own drift (the old rule took the most negative: -7
     * turned a clean -5 into +2 a round, a leak). */
    CHECK(!leaks_after_calibration(-5, 0, down, 3));
    CHECK(!leaks_after_calibration(-5, 0, steady_down, 3));
    CHECK(!leaks_after_calibration(1922, 0, up, 3));
    CHECK(!leaks_after_calibration(0, 0, mixed, 3));
    /* and a leak of one block over a steady drift is still one */
    CHECK(leaks_after_calibration(-5, 1, steady_down, 3));
    CHECK(leaks_after_calibration(1922, 1, up, 3));
    CHECK(leaks_after_calibration(0, 1, mixed, 3));
}

static void
test_untrusted_refs(void)
{
    static const int64_t refs[] = { 100, 113, 126, 139 },
        flat[] = { 50, 50, 50, 50 }, growing[] = { 50, 51, 52, 53 };
    struct settings st = { 0 };
    struct hunt *h;

    /* refs alone, with a module that bypasses the total: clean */
    h = hunt_with(&st, refs, flat);
    names_add(&h->untrusted, "numpy.core._multiarray_umath");
    verdict_compute(h);
    CHECK(h->refs_untrusted && !h->leaked[METRIC_REFS]);
    CHECK(h->deltas[METRIC_REFS][0] == 13);   /* still shown */
    CHECK(h->status == STATUS_CLEAN && verdict_exit_status(h) == 0);
    hunt_free(h);

    /* blocks still decide */
    h = hunt_with(&st, refs, growing);
    names_add(&h->untrusted, "msgpack._cmsgpack");
    verdict_compute(h);
    CHECK(h->refs_untrusted && h->leaked[METRIC_BLOCKS]);
    CHECK(h->status == STATUS_LEAK);
    hunt_free(h);

    /* --trust-refs: refs decide again */
    st.trust_refs = 1;
    h = hunt_with(&st, refs, flat);
    names_add(&h->untrusted, "numpy.core._multiarray_umath");
    verdict_compute(h);
    CHECK(!h->refs_untrusted && h->leaked[METRIC_REFS]);
    hunt_free(h);
    st.trust_refs = 0;

    /* none loaded: refs decide */
    h = hunt_with(&st, refs, flat);
    verdict_compute(h);
    CHECK(!h->refs_untrusted && h->status == STATUS_LEAK);
    hunt_free(h);
}

static void
test_untrusted_record(void)
{
    static struct settings st = { .warmups = 1, .tracked = 1,
        .kind = TARGET_CODE, .target = "pass" };
    static const char text[] = "hello 3.11.2 1 1 0 pymalloc\n"
        "phase 1 init\nphase 1 run\nphase 1 collect\n"
        "untrusted lxml.etree\nuntrusted lxml.etree\nuntrusted ujson\n"
        "phase 1 finalize\nphase 1 measure\ncounters 1 10 20 3 -\n";
    struct hunt *h = hunt_new(&st);
    struct channel c;

    channel_init(&c, h);
    channel_feed(&c, text, sizeof text - 1);
    CHECK(!c.corrupted && h->untrusted.n == 2);
    CHECK(h->untrusted.n == 2 && strcmp(h->untrusted.name[1], "ujson") == 0);
    channel_free(&c);
    hunt_free(h);
}

static void
test_cut(void)
{
    size_t n = 3 * RECORD_TEXT_MAX;
    char *big = malloc(n + 1), *cut, *esc;
    int i;

    /* short texts pass whole */
    cut = record_cut("ValueError: x");
    CHECK_STR(cut, "ValueError: x");
    free(cut);

    /* long ones keep head and tail, on UTF-8 boundaries ("\xc3\xa9": é) */
    for (i = 0; (size_t)i < n; i += 2) {
        big[i] = (char)0xc3;
        big[i + 1] = (char)0xa9;
    }
    memcpy(big, "Traceback", 9);
    memcpy(big + n - 6, "Error!", 6);
    big[n] = '\0';
    cut = record_cut(big);
    CHECK(strlen(cut) <= RECORD_TEXT_MAX);
    CHECK(strncmp(cut, "Traceback", 9) == 0);
    CHECK(strcmp(cut + strlen(cut) - 6, "Error!") == 0);
    CHECK(strstr(cut, "refhunt cut") != NULL);
    CHECK(strstr(cut, "\xa9\n") != NULL && strstr(cut, "\n\xa9") == NULL);
    /* escaped, it fits a record line (the worst case: all control bytes) */
    memset(big, '\x01', n);
    free(cut);
    cut = record_cut(big);
    esc = record_escape(cut);
    CHECK(strlen(esc) + 64 < RECORD_LINE_MAX);
    free(esc);
    free(cut);
    free(big);
}

/* --trust-refs parses, and reaches the worker. */
static void
test_trust_refs_option(void)
{
    char w0[] = "refhunt", w1[] = "--trust-refs", w2[] = "-c", w3[] = "pass",
        q[] = "-q";
    char *argv[] = { w0, w1, w2, w3, NULL };
    struct settings st;
    struct spec sp, back;
    char *cause = NULL, **wargv;
    int n;

    CHECK(cli_parse(4, argv, &st, &cause) == CLI_RUN && st.trust_refs);
    sp = spec_of(&st, TASK_HUNT, 0, 100);
    wargv = spec_argv("refhunt-worker", &sp);
    for (n = 0; wargv[n] != NULL; n++) {
        ;
    }
    CHECK(spec_parse(n, wargv, &back, &cause) == 0 && back.trust_refs);
    spec_argv_free(wargv);
    free(cause);
    cause = NULL;
    argv[1] = q;
    CHECK(cli_parse(4, argv, &st, &cause) == CLI_RUN && !st.trust_refs);
    free(cause);
}

int
main(void)
{
    test_drift();
    test_untrusted_refs();
    test_untrusted_record();
    test_cut();
    test_trust_refs_option();
    return check_result("test_truth");
}
