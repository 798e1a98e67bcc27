/* json.h: refhunt's JSON reports, and their pieces, written to a FILE. */
#ifndef REFHUNT_JSON_H
#define REFHUNT_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "result.h"

/* A string (NULL: null); bytes that are not UTF-8 become U+FFFD. */
void    json_text(FILE *, const char *);

/* A text's lines as a list of strings. */
void    json_lines(FILE *, const char *);

/* A number; COUNTER_NONE: null. */
void    json_number(FILE *, int64_t);

/* {"refs": N, "blocks": N, "fds": N} */
void    json_counters(FILE *, const int64_t *);

/* {"version": ..., "debug": ..., ...}: the embedded Python. */
void    json_python(FILE *, const struct python_info *);

/* ["refs", ...]: the metrics that leaked. */
void    json_leaks(FILE *, const struct result *);

/* {"blocks": MAX, ...}: what --baseline allowed, the metrics it knew. */
void    json_known(FILE *, const struct result *);

/* ["target", "arg", ...]: the target and its arguments, as given. */
void    json_argv(FILE *, const struct settings *);

/* {"refs": [...], "blocks": [...], "fds": [...]}: the tracked deltas. */
void    json_deltas(FILE *, const struct result *);

/* "refs_trusted": BOOL, "untrusted_refs": [modules]: whether refs decide,
 * and the extension modules that bypass the refs total. */
void    json_refs_trust(FILE *, const struct result *);

/* --explain's findings ({"after_round": N, "seconds": S, "note": TEXT,
 * "objects": [...]}), or null when nothing was explained. */
void    json_explain(FILE *, const struct result *);

/* --per-test --trace-blocks: a test's sites, each with its tracked run:
 * "[{"run": 4, "count": 1, ...}, ...]". */
void    json_test_trace(FILE *, const struct result *);

/* The JSON report: one result's object, or with many (--each)
 * {"exit_status": N, "targets": [...]}, N the run's exit status. */
void    report_json(FILE *, const struct result *, int, int, int);

/* {"exit_status": N, "targets": [...]}: the run's exit status, then n
 * objects, object i as one(f, i, arg) writes it. */
void    report_json_targets(FILE *, int, int,
            void (*)(FILE *, int, const void *), const void *);

#endif
