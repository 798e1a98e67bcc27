/* bisect.h: --bisect imports and --bisect tests. */
#ifndef REFHUNT_BISECT_H
#define REFHUNT_BISECT_H

#include "cli.h"

/* Finds the imports or tests of the target that leak on their own,
 * prints (and with --json writes) the report; returns the exit status:
 * 1 when a culprit is found, 0 when none, as a hunt's otherwise. */
int     bisect_main(const struct settings *, const char *);

#endif
