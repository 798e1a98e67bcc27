/* pertest.h: --per-test, every test of a suite its own verdict. */
#ifndef REFHUNT_PERTEST_H
#define REFHUNT_PERTEST_H

#include "cli.h"

/* Hunts every test of -m pytest ARGS or -m unittest NAMES, in as many
 * workers as crashes and hangs need; writes every report asked for;
 * the exit status (the worst test's, or the run's own failure). */
int     pertest_main(const struct settings *, const char *);

/* One suite's per-test hunt (st->per_test set) without reports: the
 * suite's hunt, its tests in collection order with their verdicts. */
struct hunt *pertest_pass(const struct settings *, const char *);

#endif
