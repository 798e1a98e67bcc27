/* run.h: a run of refhunt, with one target or many, and its reports. */
#ifndef REFHUNT_RUN_H
#define REFHUNT_RUN_H

#include "cli.h"

/* Hunts the target (or with --each every target, -j at a time) with the
 * worker program, prints the texts and writes every report asked for;
 * the exit status (EXIT_USAGE, said on stderr, for a bad baseline found
 * before any hunt). */
int     run_hunts(const struct settings *, const char *);

/* The targets of a run: the one given, or with --each one per operand
 * (scripts, or the arguments of -m module and -c code), less those
 * --shard leaves to other machines; their number in *n. */
struct settings *run_plan(const struct settings *, int *);
void            run_plan_free(const struct settings *, struct settings *,
                    int);

#endif
