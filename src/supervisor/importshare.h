/* importshare.h: how much of a reinit leak importing the target's
 * modules alone accounts for. */
#ifndef REFHUNT_IMPORTSHARE_H
#define REFHUNT_IMPORTSHARE_H

#include "hunt.h"

/* Whether hunts with these settings may get an import share. */
int     importshare_possible(const struct settings *);

/* While h runs: when its last measured round grew (a leak is possible)
 * and it has no share yet, the follow-up hunt that imports the modules h
 * imported (its round 1's module records) by name, with nothing else, to
 * run beside it (h->share); otherwise NULL. */
struct hunt *importshare_early(struct hunt *);

/* When h has ended: if it leaked and has no share yet, its share, which
 * the caller runs (h waits for its share either way); otherwise NULL, and
 * a share that runs is cancelled (its ->cancel set). The caller hands a
 * share that ended to importshare_apply if h leaked, and frees it. */
struct hunt *importshare_hunt(struct hunt *);

/* Fills the followed hunt's import_deltas from the follow-up's deltas. */
void    importshare_apply(struct hunt *);

#endif
