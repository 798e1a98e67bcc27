/*
 * pipeline.h: the last steps that every run shares, one target or many
 * (run.c), per test (pertest.c) or a bisection (bisect.c): where the text
 * report goes, the report files in their order, the summary of many
 * targets, the worst status and the exit status.
 */
#ifndef REFHUNT_PIPELINE_H
#define REFHUNT_PIPELINE_H

#include <stdio.h>

#include "hunt.h"

/* The text report's stream: stdout, or stderr when --json - holds it
 * (the target's output goes there too, engine.c). */
FILE           *pipeline_text(const struct settings *);

/* The writers of a run's report files (NULL: the run has none). */
struct pipeline_files {
    void          (*json)(FILE *, const void *);
    void          (*junit)(FILE *, const void *);
    void          (*baseline)(FILE *, const void *);
    const void     *arg;
};

/* Writes the files the settings ask for, the JSON first (neither a reader
 * of the text that leaves early nor a full disk for the text may cost
 * it), each whatever became of the others; then flushes the text (a
 * closed pipe is the reader's choice). 1 if one could not be written. */
int             pipeline_write(const struct settings *, FILE *,
                    const struct pipeline_files *);

/* The worst status of n hunts; *sig: the signal that interrupted one. */
enum status     pipeline_worst(struct hunt *const *, int, int *);

/* --each: "refhunt: N targets: C clean, M not (S s, -j J)". */
void            pipeline_summary(FILE *, struct hunt *const *, int, double,
                    int);

/* The run's exit status: 2 if a report failed, 0 with no target. */
int             pipeline_exit(int, int, enum status, int);

#endif
