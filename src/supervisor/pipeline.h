/*
 * pipeline.h: the last steps that every run shares, one target or many
 * (run.c), per test (pertest.c) or a bisection (bisect.c): the result
 * that report/ reads of each hunt, where the text report goes, the
 * baseline read first, the GitHub annotations, the report files in their
 * order, the summary of many targets and the exit status.
 */
#ifndef REFHUNT_PIPELINE_H
#define REFHUNT_PIPELINE_H

#include <stdio.h>

#include "baseline.h"
#include "hunt.h"
#include "result.h"

/* What report/ reads of a hunt: the result points into the hunt. */
void            pipeline_result(const struct hunt *, struct result *);

/* The results of n hunts, an array to free. */
struct result  *pipeline_results(struct hunt *const *, int);

/* --per-test: a suite's text (a line a test that leaked or failed, the
 * suite's counts) and its JSON object, through report/suite.c. */
void            pipeline_suite_text(const struct hunt *, FILE *);
void            pipeline_suite_json(const struct hunt *, FILE *);

/* The text report's stream: stdout, or stderr when --json - holds it
 * (the target's output goes there too, engine.c). */
FILE           *pipeline_text(const struct settings *);

/* --baseline, read before any hunt (a malformed one is a usage error):
 * 0 with *base (NULL: none asked for), or -1, said on stderr. */
int             pipeline_baseline(const struct settings *,
                    struct baseline **);

/* Flushes the text mid-run (a hunt's verdict as it comes), keeping the
 * errno of its first failure for pipeline_write: by the end, errno says
 * whatever a later call (a poll interrupted by SIGCHLD) left in it. */
void            pipeline_flush(FILE *);

/* Under GitHub Actions, the hunt's annotations (::error ...) on text. */
void            pipeline_annotate(const struct hunt *, FILE *);

/* The JUnit report of n hunts (a testcase each). */
void            pipeline_junit(FILE *, struct hunt *const *, int, double);

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

/* The exit status n hunts come to: the worst one's (an interrupted one's
 * says the signal), 0 with none. */
int             pipeline_status(struct hunt *const *, int);

/* --each: "refhunt: N targets: C clean, M not (S s, -j J)". */
void            pipeline_summary(FILE *, struct hunt *const *, int, double,
                    int);

/* The end of a run of n hunts: the report files written, then the exit
 * status: the hunts', or 2 when a report could not be written. */
int             pipeline_finish(const struct settings *, FILE *,
                    struct hunt *const *, int, const struct pipeline_files *);

/* The exit status of a run that came to status: 2 when a report failed. */
int             pipeline_exit(int, int);

#endif
