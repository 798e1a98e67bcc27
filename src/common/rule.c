/* rule.c: regrtest's rule, and the interpreter's own drift; both
 * programs decide by them (the worker: which test to explain, whether to
 * calibrate). */
#include "rule.h"

int
verdict_leaks(enum metric m, const int64_t *deltas, int n)
{
    int i, any = 0;

    if (n <= 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (m == METRIC_FDS) {
            any |= deltas[i] != 0;
        } else if (deltas[i] < 1) {
            return 0;
        }
    }
    return m == METRIC_FDS ? any : 1;
}

int64_t
verdict_drift(const int64_t *growth, int n)
{
    int64_t drift = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (growth[i] == COUNTER_NONE) {
            return COUNTER_NONE;
        }
    }
    for (i = 0; i < n; i++) {
        if (growth[i] == 0 || (i > 0 && (growth[i] > 0) != (drift > 0))) {
            return 0;       /* no steady drift: nothing to correct */
        }
        /* the one nearest zero */
        if (i == 0 || (growth[i] > 0 ? growth[i] < drift :
            growth[i] > drift)) {
            drift = growth[i];
        }
    }
    return drift;
}
