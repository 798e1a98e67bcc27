/* test_verdict.c: regrtest's leak rule, and deltas from round counters. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hunt.h"
#include "verdict.h"

/* A hunt whose rounds measured these refs (blocks and fds stay flat). */
static struct hunt *
hunt_with(struct settings *st, int warmups, int tracked, const int64_t *refs,
    int measured)
{
    struct hunt *h;
    int i;

    st->warmups = warmups;
    st->tracked = tracked;
    st->kind = TARGET_SCRIPT;
    st->target = "t.py";
    h = hunt_new(st);
    for (i = 0; i < measured; i++) {
        h->rounds[i].measured = 1;
        h->rounds[i].counter[METRIC_REFS] = refs[i];
        h->rounds[i].counter[METRIC_BLOCKS] = 100;
        h->rounds[i].counter[METRIC_FDS] = 4;
    }
    h->started = measured;
    return h;
}

int
main(void)
{
    int64_t d[4];
    struct settings st = { 0 };
    struct hunt *h;

    d[0] = 1; d[1] = 1; d[2] = 1;
    CHECK(verdict_leaks(METRIC_REFS, d, 3));
    CHECK(verdict_leaks(METRIC_BLOCKS, d, 3));
    d[1] = 0;
    CHECK(!verdict_leaks(METRIC_REFS, d, 3));
    d[0] = 5; d[1] = 7; d[2] = -1;
    CHECK(!verdict_leaks(METRIC_BLOCKS, d, 3));
    d[0] = 0; d[1] = 1; d[2] = 0;
    CHECK(verdict_leaks(METRIC_FDS, d, 3));
    CHECK(!verdict_leaks(METRIC_REFS, d, 3));
    d[0] = 0; d[1] = -1; d[2] = 0;
    CHECK(verdict_leaks(METRIC_FDS, d, 3));
    d[0] = 0; d[1] = 0; d[2] = 0;
    CHECK(!verdict_leaks(METRIC_FDS, d, 3));
    CHECK(!verdict_leaks(METRIC_REFS, d, 0));

    /* Deltas are tracked rounds against the round before. */
    h = hunt_with(&st, 2, 3, (int64_t[]){ 100, 150, 152, 154, 156 }, 5);
    verdict_compute(h);
    CHECK(h->tracked_complete && h->ndeltas == 3);
    CHECK(h->deltas[METRIC_REFS][0] == 2 && h->deltas[METRIC_REFS][2] == 2);
    CHECK(h->leaked[METRIC_REFS] && !h->leaked[METRIC_BLOCKS]);
    CHECK(h->status == STATUS_LEAK);
    CHECK(verdict_exit_status(h) == 1);
    hunt_free(h);

    h = hunt_with(&st, 1, 3, (int64_t[]){ 100, 101, 101, 102 }, 4);
    verdict_compute(h);
    CHECK(h->status == STATUS_CLEAN && verdict_exit_status(h) == 0);
    hunt_free(h);

    /* The interpreter's own growth per cycle is taken off first. */
    h = hunt_with(&st, 1, 3, (int64_t[]){ 0, 10, 20, 30 }, 4);
    h->calibrated = 1;
    h->calibration[METRIC_REFS] = 10;
    h->calibration[METRIC_BLOCKS] = 0;
    h->calibration[METRIC_FDS] = 0;
    verdict_compute(h);
    CHECK(h->deltas[METRIC_REFS][1] == 0 && h->status == STATUS_CLEAN);
    hunt_free(h);

    /* A counter the build lacks decides nothing. */
    h = hunt_with(&st, 1, 2, (int64_t[]){ COUNTER_NONE, COUNTER_NONE,
        COUNTER_NONE }, 3);
    verdict_compute(h);
    CHECK(h->deltas[METRIC_REFS][0] == COUNTER_NONE);
    CHECK(!h->leaked[METRIC_REFS] && h->status == STATUS_CLEAN);
    hunt_free(h);

    /* ... nor one missing from some rounds only (a corrupted channel) */
    h = hunt_with(&st, 1, 3, (int64_t[]){ 1, 2, COUNTER_NONE, 4 }, 4);
    verdict_compute(h);
    CHECK(h->deltas[METRIC_REFS][0] == COUNTER_NONE &&
        h->deltas[METRIC_REFS][2] == COUNTER_NONE);
    CHECK(!h->leaked[METRIC_REFS] && h->status == STATUS_CLEAN);
    hunt_free(h);

    /* Rounds missing (a crash in round 4 of 5): deltas of what finished,
     * no verdict on part of them, the failure stands. */
    h = hunt_with(&st, 2, 3, (int64_t[]){ 1, 2, 3 }, 3);
    h->status = STATUS_CRASHED;
    verdict_compute(h);
    CHECK(!h->tracked_complete && h->ndeltas == 1);
    CHECK(!h->leaked[METRIC_REFS] && h->status == STATUS_CRASHED);
    CHECK(verdict_exit_status(h) == 4);
    hunt_free(h);

    /* Rounds missing and nothing failed (a worker that ended early, told
     * to do something else): never "clean" */
    h = hunt_with(&st, 2, 3, (int64_t[]){ 1, 2, 3 }, 3);
    verdict_compute(h);
    CHECK(!h->tracked_complete && h->status == STATUS_FAILED);
    CHECK(h->message != NULL && strstr(h->message, "1 of 3 measured"));
    CHECK(verdict_exit_status(h) == 3);
    hunt_free(h);

    /* Every round measured, then a crash (in calibration, say): the
     * deltas stand, no verdict on them. */
    h = hunt_with(&st, 1, 2, (int64_t[]){ 1, 2, 3 }, 3);
    h->status = STATUS_CRASHED;
    verdict_compute(h);
    CHECK(h->tracked_complete && h->ndeltas == 2);
    CHECK(!h->leaked[METRIC_REFS] && h->status == STATUS_CRASHED);
    hunt_free(h);

    h = hunt_with(&st, 1, 1, (int64_t[]){ 0 }, 0);
    h->status = STATUS_FAILED;
    CHECK(verdict_exit_status(h) == 3);
    h->status = STATUS_TIMEOUT;
    CHECK(verdict_exit_status(h) == 5);
    h->status = STATUS_ERROR;
    CHECK(verdict_exit_status(h) == 2);
    h->status = STATUS_INTERRUPTED;
    h->signal = 15;
    CHECK(verdict_exit_status(h) == 143);
    hunt_free(h);
    return check_result("test_verdict");
}
