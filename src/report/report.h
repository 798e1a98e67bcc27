/* report.h: the hunt as text for a person and JSON for a machine. */
#ifndef REFHUNT_REPORT_H
#define REFHUNT_REPORT_H

#include <stdio.h>

#include "hunt.h"

/* "NAME leaked [1, 1, 1] references, sum=3", as regrtest says it. */
void    report_leak_line(const struct hunt *, enum metric, FILE *);

/* The same, with what --baseline allows when it has an entry. */
void    report_leak_line_baseline(const struct hunt *, enum metric, FILE *);

/* The last non-empty line of a text (a traceback's exception), newly
 * allocated; "" for NULL. */
char   *report_last_line(const char *);

/* "NAME: references [...] not trusted: MODULES ...": why refs did not
 * decide (--trust-refs). */
void    report_untrusted_refs(const struct hunt *, FILE *);

/* --explain: what holds the objects the last tracked run left behind,
 * when the worker explained them. */
void    report_explained(const struct hunt *, FILE *);

/* Colors for the verdict words (a terminal, --color). */
void    report_set_color(int);

/* GitHub Actions annotations (::error ...) for leaks and failures. */
void    report_annotations(const struct hunt *, FILE *);

/* regrtest's leak lines, the -v table and the one-line verdict. */
void    report_text(const struct hunt *, FILE *);

/* The JSON report: one hunt's object, or with many (--each)
 * {"exit_status": N, "targets": [...]}. */
void    report_json(FILE *, struct hunt *const *, int, int);

/* {"exit_status": N, "targets": [...]}: the worst exit status of the
 * hunts, then each one's object as one(h, f) writes it. */
void    report_json_targets(FILE *, struct hunt *const *, int,
            void (*)(const struct hunt *, FILE *));

#endif
