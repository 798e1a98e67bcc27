/* test_channel.c: a worker's record stream, whole or in pieces, and what
 * the supervisor makes of one that breaks the protocol. */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "check.h"
#include "verdict.h"

#define GOOD "hello 3.11.2 1 1 0 pymalloc\n"                              \
    "phase 1 init\nphase 1 run\nphase 1 collect\nphase 1 finalize\n"    \
    "phase 1 measure\ncounters 1 10 20 3 -\n"                             \
    "phase 2 init\nphase 2 run\nphase 2 finalize\nphase 2 measure\n"    \
    "counters 2 11 22 3 -\n"

/* The import share's round after GOOD's. */
#define SHARE "share 0 11 22 3 -\nphase 2 init\nphase 2 run\n"                \
    "phase 2 collect\nphase 2 finalize\nphase 2 measure\n"                  \
    "counters 2 12 30 3 -\n"

/* After calibration rounds (the last left 100 blocks, drift 5 a cycle):
 * the share's record has their counters, and its round 2 is a warm-up. */
#define CALIBRATED_SHARE "phase 0 init\nphase 0 measure\n"                  \
    "calibration - 5 0 -\nshare 0 11 100 3 -\nphase 2 init\nphase 2 measure\n" \
    "counters 2 11 107 3 -\nphase 3 init\nphase 3 measure\n"              \
    "counters 3 11 113 4 -\nend\n"

/* The share's deltas, from its own rounds: against the round before
 * them, less the hunt's drift. */
static void
share_deltas(void)
{
    static const char text[] = GOOD CALIBRATED_SHARE;
    static struct settings plain = { .warmups = 1, .tracked = 1,
        .kind = TARGET_CODE, .target = "pass" };
    struct hunt *h = hunt_new(&plain);
    struct channel c;

    channel_init(&c, h);
    channel_feed(&c, text, sizeof text - 1);
    CHECK(!c.corrupted && h->finished && h->share != NULL &&
        h->share->finished);
    verdict_compute(h);
    CHECK(h->status == STATUS_LEAK && h->deltas[METRIC_BLOCKS][0] == -3);
    CHECK(h->leaked[METRIC_FDS] == 0);
    verdict_compute(h->share);
    CHECK(h->share->ndeltas == 1 &&
        h->share->deltas[METRIC_BLOCKS][0] == 113 - 107 - 5 &&
        h->share->deltas[METRIC_FDS][0] == 1);
    channel_free(&c);
    hunt_free(h);
}

/* -R 2:1, the share in warm-up 2's place (worker.c, early_share): its
 * record after the hunt's rounds names that round and carries round 1's
 * counters; the share's delta is warm-up 2's, and no round follows. */
static void
early_share_deltas(void)
{
    static const char text[] = GOOD "phase 3 init\nphase 3 measure\n"
        "counters 3 12 24 3 -\nshare 2 10 20 3 -\nend\n";
    static struct settings early = { .warmups = 2, .tracked = 1,
        .kind = TARGET_CODE, .target = "pass" };
    struct hunt *h = hunt_new(&early);
    struct channel c;

    channel_init(&c, h);
    channel_feed(&c, text, sizeof text - 1);
    CHECK(!c.corrupted && h->finished && h->share != NULL &&
        h->share->finished && h->import_share_round == 2);
    verdict_compute(h);
    CHECK(h->status == STATUS_LEAK && h->deltas[METRIC_BLOCKS][0] == 2);
    verdict_compute(h->share);
    CHECK(h->share->ndeltas == 1 &&
        h->share->deltas[METRIC_BLOCKS][0] == 22 - 20 &&
        h->share->deltas[METRIC_REFS][0] == 1);
    channel_free(&c);
    hunt_free(h);
}

/* --per-test --explain, -R 1:1: a test whose last run is explained. */
#define TEST_BEGIN "hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nphase 1 run\n"  \
    "test t\ntestbegin 0 t\nphase 1 run\nphase 1 collect\n"              \
    "phase 1 measure\ncounters 1 10 20 3 -\nphase 2 run\nphase 2 collect\n" \
    "phase 2 measure\n"
#define EXPLAINED "explain object 1 object\nexplain chain 0 m._k (list)\n"   \
    "explain done 5 complete\n"
#define TEST_END "counters 2 11 21 3 -\ntestend passed \nphase 1 finalize\n"   \
    "end\n"

/* The settings fed to: -R 1:1, and --per-test --explain. */
static const struct settings *fed_settings;

/* Feeds text in reads of n bytes to a -R 1:1 hunt; 1 if it stayed sound. */
static int
feed(const char *text, size_t len, size_t n, int *finished)
{
    static struct settings plain = { .warmups = 1, .tracked = 1,
        .kind = TARGET_CODE, .target = "pass" };
    struct hunt *h = hunt_new(fed_settings != NULL ? fed_settings : &plain);
    struct channel c;
    size_t off;
    int sound;

    channel_init(&c, h);
    for (off = 0; off < len; off += n) {
        channel_feed(&c, text + off, len - off < n ? len - off : n);
    }
    sound = !c.corrupted;
    if (c.corrupted) {
        CHECK(h->message != NULL &&
            strstr(h->message, "report channel was corrupted") != NULL);
    }
    *finished = h->finished;
    channel_free(&c);
    hunt_free(h);
    return sound;
}

static int
sound_len(const char *text, size_t len)
{
    int finished;

    return feed(text, len, 1, &finished) && feed(text, len, 7, &finished) &&
        feed(text, len, 4096, &finished);
}

/* A literal, NUL bytes and all. */
#define sound(text) sound_len(text, sizeof(text) - 1)

int
main(void)
{
    static struct settings per_test = { .warmups = 1, .tracked = 1,
        .kind = TARGET_MODULE, .target = "pytest",
        .per_test = 1, .mode = MODE_LOOP, .explain = 3 };
    int finished;

    CHECK(feed(GOOD "end\n", sizeof(GOOD "end\n") - 1, 3, &finished) && finished);
    CHECK(sound(GOOD "phase 0 init\nphase 0 measure\ncalibration - 5 0 -\n"
        "end\n"));
    CHECK(sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nphase 1 run\n"
        "phase 1 finalize\nfail 1 run Traceback\\nValueError\n"));
    CHECK(sound(GOOD));                    /* the worker died: not corrupt */
    /* reinit, a leak: its import share's rounds after the hunt's, round
     * 2 on (importshare.c); the share ends with the worker, or fails */
    CHECK(feed(GOOD SHARE "end\n", sizeof(GOOD SHARE "end\n") - 1, 5,
        &finished) && finished);
    CHECK(!sound(GOOD "phase 0 init\nphase 0 measure\ncalibration - 5 0 -\n"
        SHARE "end\n"));     /* calibrated: one import round before it */
    CHECK(sound(GOOD CALIBRATED_SHARE));
    CHECK(sound(GOOD "share 0 11 22 3 -\nphase 2 init\nphase 2 run\nfail 2 run x\n"));
    CHECK(sound(GOOD "share 0 11 22 3 -\nphase 2 init\n"));     /* it died: the share's */

    /* Whatever else writes to the channel is caught. */
    /* --explain's records: only when asked for, in the last round */
    CHECK(!sound(GOOD "explain object 1 function f\nend\n"));
    CHECK(!sound("phase 1 init\n"));                    /* no hello */
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nhello 3.11.2 1 1 0 x\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nend\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 2 init\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\n"
        "counters 2 1 1 1 -\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\n"
        "phase 0 init\n"));
    CHECK(!sound(GOOD "phase 3 init\n"));                /* past -R 1:1 */
    CHECK(!sound(GOOD "end\nend\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nfail 2 run x\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1\0init\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\n\xff\xfe garbage\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nimport -1 json\n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nshare 0 11 22 3 -\n"));
    CHECK(!sound(GOOD "share 0 11 22 3 -\nshare 0 11 22 3 -\n"));
    /* a warm-up's place: round 2 is -R 1:1's tracked round, not one */
    CHECK(!sound(GOOD "share 2 10 20 3 -\nend\n"));
    CHECK(!sound(GOOD "share 1 10 20 3 -\nend\n"));
    CHECK(!sound(GOOD SHARE "phase 3 init\n"));         /* past -R 1:1 */
    CHECK(!sound(GOOD SHARE "phase 0 init\nphase 0 measure\n"
        "calibration - 5 0 -\nend\n"));               /* the hunt's */

    share_deltas();
    early_share_deltas();

    /* --per-test --explain: in a test's last run, before its counters */
    fed_settings = &per_test;
    CHECK(sound(TEST_BEGIN EXPLAINED TEST_END));
    CHECK(sound(TEST_BEGIN TEST_END));
    CHECK(!sound(TEST_BEGIN "counters 2 11 21 3 -\n" EXPLAINED));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nphase 1 run\n"
        "test t\ntestbegin 0 t\nphase 1 run\nphase 1 collect\n"
        "phase 1 measure\n" EXPLAINED));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nphase 1 run\n"
        EXPLAINED));
    CHECK(!sound(TEST_BEGIN EXPLAINED EXPLAINED TEST_END));
    return check_result("test_channel");
}
