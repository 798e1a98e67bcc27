/* verdict.h: from counters to deltas, leaks, status and exit status. */
#ifndef REFHUNT_VERDICT_H
#define REFHUNT_VERDICT_H

#include <stdint.h>

#include "hunt.h"

/* regrtest's rule: refs and blocks leak when every delta is >= 1, fds
 * when any delta is non-zero. No deltas, no leak. */
int     verdict_leaks(enum metric, const int64_t *, int);

/* Fills deltas and leaked[]; a hunt that ended well becomes clean or leak. */
void    verdict_compute(struct hunt *);

/* The process exit status of a hunt (see DESIGN.md); 128 + N when
 * refhunt was interrupted by signal N. */
int     verdict_exit_status(const struct hunt *);

#endif
