/*
 * importshare.c: import-time against run-time leaks in reinit mode.
 *
 * Most of a reinit leak often comes from merely importing modules
 * (_decimal, _socket, _datetime leak on every initialization in 3.11).
 * When a reinit hunt leaks, its worker goes on (worker.c, share_rounds):
 * IMPORT_SHARE_ROUNDS rounds more (spec.h: 1), each importing the modules
 * the target imported (round 1 listed them), by name, nothing else. Their
 * deltas are the import-time share. A target whose leak is all there
 * leaks through its imports (--bisect imports names them); one with none
 * there leaks in its own code.
 *
 * The rounds need no process of their own nor a warm-up: the worker has
 * run the hunt's rounds, so the first import-only round's delta against
 * the hunt's last is already what importing leaks (with 3 rounds, every
 * share measured gave 3 times the first one's figure: one round, about a
 * sixth of a 3:3 hunt's CPU). A hunt that does not leak runs none. The
 * worker's share record ends the hunt's own records first: what follows
 * is the share's, a hunt of its own whose round 1 is the round before its
 * first (the hunt's last, or the last calibration round: their drift is
 * not the imports'), so a crash in it loses the share and not the hunt.
 *
 * Cheaper still, when the second of 3 or more warm-ups already grew, the
 * worker makes its last warm-up the import round (worker.c, early_share):
 * it follows two rounds of the target as a round after the hunt follows
 * six, and what it leaves is the next round's base as any warm-up's is.
 * The share then costs no round. Its record names that round, and the
 * share's two rounds are the hunt's warm-ups before and at it.
 */
#include <stdlib.h>
#include <string.h>

#include "importshare.h"
#include "verdict.h"
#include "xmalloc.h"

struct hunt *
importshare_begin(struct hunt *h, int round, const int64_t last[])
{
    struct settings *ps = hunt_helper_settings(h->settings);
    struct hunt *p;

    /* round 1: the worker's round before the share's; after calibration
     * rounds, one import round more (worker.c, share_rounds) */
    ps->warmups = round > 0 ? 1 : 1 + h->calibrated;
    h->import_share_round = round;
    ps->tracked = IMPORT_SHARE_ROUNDS;
    p = hunt_new(ps);
    p->owned_settings = ps;
    memcpy(p->rounds[0].counter, last, sizeof p->rounds[0].counter);
    p->rounds[0].measured = 1;
    p->started = 1;
    if (round > 0) {
        /* its round 2 is the hunt's warm-up that imported only */
        memcpy(p->rounds[1].counter, h->rounds[round - 1].counter,
            sizeof p->rounds[1].counter);
        p->rounds[1].measured = 1;
        p->rounds[1].phase = PHASE_MEASURE;
        p->started = 2;
    }
    /* the same interpreter: the hunt's own drift per cycle */
    p->calibrated = h->calibrated;
    memcpy(p->calibration, h->calibration, sizeof p->calibration);
    h->finished = 1;        /* the hunt's records are all in */
    h->share = p;
    return p;
}

void
importshare_apply(struct hunt *h)
{
    struct hunt *p = h->share;
    int m;

    if (p == NULL) {
        return;
    }
    h->share = NULL;
    verdict_compute(p);
    if (p->status == STATUS_INTERRUPTED) {
        /* refhunt was: the run ends as interrupted, as it would have */
        h->status = STATUS_INTERRUPTED;
        h->signal = p->signal;
    } else if (h->status != STATUS_LEAK) {
        ;   /* the worker's rule said leak, the verdict not: nothing to say */
    } else if (p->status <= STATUS_LEAK && p->tracked_complete) {
        h->nimport_deltas = p->ndeltas;
        for (m = 0; m < METRIC_COUNT; m++) {
            h->import_deltas[m] = xcalloc((size_t)p->ndeltas + 1,
                sizeof *h->import_deltas[m]);
            memcpy(h->import_deltas[m], p->deltas[m],
                (size_t)p->ndeltas * sizeof *h->import_deltas[m]);
        }
    } else {
        h->import_share_lost = xstrdup(p->reason != NULL ? p->reason :
            p->message != NULL ? p->message : status_name(p->status));
    }
    hunt_free(p);
}
