/*
 * baseline.h: known leaks, accepted so that CI fails only on new or grown
 * ones. A baseline file has one line a known leak:
 *
 *     METRIC MAX TARGET
 *
 * METRIC is refs, blocks or fds; MAX the largest change per tracked round
 * accepted (fds: up or down); TARGET the target as refhunt names it (the
 * rest of the line; the unquoted names of refhunt 0.1 match too).
 * Blank lines and lines starting with '#' are ignored.
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

/* The largest delta accepted for the target's metric, or -1: none. */
int64_t          baseline_allowance(const struct baseline *, const char *,
                     enum metric);

/* Takes the leaks the baseline accepts off the hunt's leaks (into known);
 * a hunt left without leaks is clean. */
void             baseline_apply(const struct baseline *, struct hunt *);

/* Writes the hunt's leaks (and known leaks) as baseline lines. */
void             baseline_write(FILE *, const struct hunt *);

/* A whole baseline file: a comment, then every hunt's lines. */
void             baseline_write_all(FILE *, struct hunt *const *, int);

#endif
