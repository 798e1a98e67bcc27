/*
 * baseline.h: known leaks, accepted so that CI fails only on new or grown
 * ones. A baseline file has one line a known leak:
 *
 *     METRIC MAX TARGET
 *
 * METRIC is refs, blocks or fds; MAX the largest change per tracked round
 * accepted (fds: up or down); TARGET the target as refhunt names it (the
 * rest of the line; the unquoted names of refhunt 0.1 match too), or with
 * --per-test a test id. A line "mode MODE" makes the entries after it
 * apply to hunts in that mode only (--write-baseline writes one).
 * A line "names escaped" (refhunt writes one) makes the TARGETs after it
 * read \xHH as that byte (any other backslash is itself): a test id with a newline,
 * or blanks at either end, reads back as it was. Without it, as in the
 * files of earlier versions, a TARGET is the bytes of the line.
 * Blank lines and lines starting with '#' are ignored.
 *
 * Names match as refhunt means them, not byte for byte: a word that names
 * a Python file is its module (tests/test_x.py is tests.test_x, ./ and
 * .py go), and a pytest node id's "::" is a dot. So "-m unittest
 * tests/test_x.py" matches "-m unittest tests.test_x", and the pytest id
 * tests/test_x.py::TestA::test_b matches unittest's tests.test_x.TestA.test_b.
 */
#ifndef REFHUNT_BASELINE_H
#define REFHUNT_BASELINE_H

#include <stdint.h>
#include <stdio.h>

#include "hunt.h"

struct baseline;

/* Reads a baseline; NULL with *cause ("FILE:LINE: what is wrong"). */
struct baseline *baseline_read(const char *, char **);
void             baseline_free(struct baseline *);

/* The largest delta accepted for the target's metric in a mode, or -1:
 * none. The entry counts as used. */
int64_t          baseline_allowance(struct baseline *, const char *,
                     enum metric, enum mode);

/* Takes the leaks the baseline accepts off the hunt's leaks (into known;
 * what it allows into allowed, also for a leak beyond it); a hunt left
 * without leaks is clean. */
void             baseline_apply(struct baseline *, struct hunt *);

/* "refhunt: --baseline FILE:LINE: ... matched nothing" for every entry no
 * hunt used. */
void             baseline_unmatched(const struct baseline *, const char *,
                     FILE *);

/* Marks the entries of a target that another --shard hunts as used: not
 * unmatched in this one. */
void             baseline_claim(struct baseline *, const char *);
/* Writes the hunt's leaks (and known leaks) as baseline lines. */
void             baseline_write(FILE *, const struct hunt *);

/* name as baselines compare it (see above), newly allocated. */
char            *baseline_key(const char *);
/* A whole baseline file: a comment, the mode line, then every hunt's
 * lines. */
void             baseline_write_all(FILE *, struct hunt *const *, int);

#endif
