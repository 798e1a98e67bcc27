/* importshare.h: how much of a reinit leak importing the target's
 * modules alone accounts for. */
#ifndef REFHUNT_IMPORTSHARE_H
#define REFHUNT_IMPORTSHARE_H

#include "hunt.h"

/* When h is a reinit hunt that leaked: the follow-up hunt that imports
 * the modules h imported (its round 1's module records) by name, with
 * nothing else; otherwise NULL. The caller runs it, then hands it to
 * importshare_apply and frees it. */
struct hunt *importshare_hunt(struct hunt *);

/* Fills the followed hunt's import_deltas from the follow-up's deltas. */
void    importshare_apply(struct hunt *);

#endif
