/* verdict.c: from counters to deltas, leaks, status and exit status. */
#include <stdlib.h>

#include "verdict.h"
#include "xmalloc.h"

void
verdict_compute(struct hunt *h)
{
    const struct settings *st = h->settings;
    int i, m, first = st->warmups;      /* index of the first tracked round */
    const struct round *prev, *cur;

    for (m = 0; m < METRIC_COUNT; m++) {
        free(h->deltas[m]);
        h->deltas[m] = xcalloc((size_t)st->tracked, sizeof(int64_t));
        h->leaked[m] = 0;
    }
    /* A delta needs the round and the one before it measured. */
    h->ndeltas = 0;
    for (i = 0; i < st->tracked; i++) {
        prev = &h->rounds[first + i - 1];
        cur = &h->rounds[first + i];
        if (!prev->measured || !cur->measured) {
            break;
        }
        for (m = 0; m < METRIC_COUNT; m++) {
            if (cur->counter[m] == COUNTER_NONE ||
                prev->counter[m] == COUNTER_NONE) {
                h->deltas[m][i] = COUNTER_NONE;
                continue;
            }
            h->deltas[m][i] = cur->counter[m] - prev->counter[m];
            if (h->calibrated && h->calibration[m] != COUNTER_NONE) {
                h->deltas[m][i] -= h->calibration[m];
            }
        }
        h->ndeltas++;
    }
    /* A metric missing from one round has no deltas at all. */
    for (m = 0; m < METRIC_COUNT; m++) {
        for (i = 0; i < h->ndeltas && h->deltas[m][i] != COUNTER_NONE; i++) {
            ;
        }
        while (i < h->ndeltas) {
            h->deltas[m][0] = h->deltas[m][i++] = COUNTER_NONE;
        }
    }
    h->tracked_complete = h->ndeltas == st->tracked;
    h->refs_untrusted = h->untrusted.n > 0 && !st->trust_refs &&
        h->python.refs_available;
    /* No verdict on part of the rounds, nor on rounds whose calibration
     * or final phase failed; and never "clean" without them (a test
     * that was skipped has its own outcome). */
    if (!h->tracked_complete && h->status == STATUS_CLEAN &&
        h->outcome == NULL && h->task == TASK_HUNT) {
        h->status = STATUS_FAILED;
        free(h->reason);
        h->reason = xstrdup("the tracked rounds did not all run");
        if (h->message == NULL) {
            h->message = xasprintf("%s: %d of %d measured",
                h->reason, h->ndeltas, st->tracked);
        }
    }
    if (!h->tracked_complete || h->status != STATUS_CLEAN) {
        return;
    }
    for (m = 0; m < METRIC_COUNT; m++) {
        if (m == METRIC_REFS && h->refs_untrusted) {
            /* not judged: said, never "no leak" */
            h->refs_unjudged = h->deltas[m][0] != COUNTER_NONE &&
                verdict_leaks(m, h->deltas[m], h->ndeltas);
            continue;
        }
        if (h->deltas[m][0] != COUNTER_NONE) {
            h->leaked[m] = verdict_leaks(m, h->deltas[m], h->ndeltas);
        }
        if (h->leaked[m] && h->status == STATUS_CLEAN) {
            h->status = STATUS_LEAK;
        }
    }
}

int
verdict_exit_status(const struct hunt *h)
{
    return status_exit(h->status, h->signal);
}
