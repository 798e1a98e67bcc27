/* importshare.h: how much of a reinit leak importing the target's
 * modules alone accounts for. */
#ifndef REFHUNT_IMPORTSHARE_H
#define REFHUNT_IMPORTSHARE_H

#include "hunt.h"

/* When h is a reinit hunt that leaked, hunts the modules it imported
 * (its round 1's module records), imported by name with nothing else,
 * and fills h->import_deltas; otherwise does nothing. */
void    importshare_measure(struct hunt *, const char *);

#endif
