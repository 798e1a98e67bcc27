/* verdict.h: from counters to deltas, leaks, status and exit status. */
#ifndef REFHUNT_VERDICT_H
#define REFHUNT_VERDICT_H

#include <stdint.h>

#include "hunt.h"
#include "rule.h"

/* Fills deltas and leaked[]; a hunt that ended well becomes clean or leak.
 * With extension modules loaded that bypass the refs total (and no
 * --trust-refs), refs get their deltas but no say: refs_untrusted. */
void    verdict_compute(struct hunt *);

/* The process exit status of a hunt (doc/DESIGN.md, "Verdicts and exit
 * status"); 128 + N when refhunt was interrupted by signal N. */
int     verdict_exit_status(const struct hunt *);

#endif
