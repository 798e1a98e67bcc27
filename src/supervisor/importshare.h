/* importshare.h: how much of a reinit leak importing the target's
 * modules alone accounts for, measured in the hunt's own worker. */
#ifndef REFHUNT_IMPORTSHARE_H
#define REFHUNT_IMPORTSHARE_H

#include "hunt.h"

/* The worker's share record: h's own records are all in (h->finished);
 * the share's rounds that follow go to the hunt returned, h->share,
 * whose round 1 is the record's counters (those of the worker's round
 * before the share's: h's last, or its last calibration round; or, when
 * h's warm-up round imported only, the round before that). */
struct hunt *importshare_begin(struct hunt *, int round, const int64_t[]);

/* After h's verdict: fills its import_deltas from its share's (if it has
 * one), or says in import_share_lost why the share was not measured; an
 * interrupted share interrupts h. Frees the share. */
void    importshare_apply(struct hunt *);

#endif
