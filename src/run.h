/* run.h: a run of refhunt, with one target or many, and its reports. */
#ifndef REFHUNT_RUN_H
#define REFHUNT_RUN_H

#include "cli.h"

/* Hunts st's one target and writes every report asked for; the exit
 * status. */
int     run_one(const struct settings *, const char *);

/* --each: hunts every target with a refhunt of its own, -j at a time;
 * prints their reports in order; the worst exit status. color: the
 * children color their verdicts. */
int     run_each(const struct settings *, const char *, int);

#endif
