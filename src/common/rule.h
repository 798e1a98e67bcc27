/* rule.h: regrtest's rule, and the interpreter's own drift: what the
 * supervisor and the worker decide by. */
#ifndef REFHUNT_RULE_H
#define REFHUNT_RULE_H

#include <stdint.h>

#include "measure.h"

/* regrtest's rule: refs and blocks leak when every delta is >= 1, fds
 * when any delta is non-zero. No deltas, no leak. */
int     verdict_leaks(enum metric, const int64_t *, int);

/* The interpreter's own change of a metric per empty init/finalize cycle,
 * from the changes of n empty cycles: what calibration subtracts from a
 * target's deltas. Only a drift of one sign in every cycle is corrected,
 * by its smallest size (negative on 3.12 and 3.13 release builds), so
 * that the correction never turns a clean target into a leak, nor hides
 * a leak of one on top of a steady drift; 0 when the cycles disagree in
 * sign, COUNTER_NONE for a metric not counted. */
int64_t verdict_drift(const int64_t *, int);

#endif
