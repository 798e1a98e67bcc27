/* report.h: a hunt's result as text for a person. */
#ifndef REFHUNT_REPORT_H
#define REFHUNT_REPORT_H

#include <stdio.h>

#include "result.h"

/* "NAME leaked [1, 1, 1] references, sum=3", as regrtest says it. */
void    report_leak_line(const struct result *, enum metric, FILE *);

/* The same, with what --baseline allows when it has an entry. */
void    report_leak_line_baseline(const struct result *, enum metric, FILE *);

/* The last non-empty line of a text (a traceback's exception), newly
 * allocated; "" for NULL. */
char   *report_last_line(const char *);

/* A message of more than one line (a traceback, pytest's report), whole
 * and ending in a newline; nothing for one line, which the verdict's line
 * says already, or NULL. */
void    report_message(const char *, FILE *);

/* "NAME: references [...] not trusted: MODULES ...": why refs did not
 * decide (--trust-refs). */
void    report_untrusted_refs(const struct result *, FILE *);

/* --explain: what holds the objects the last tracked run left behind,
 * when the worker explained them. */
void    report_explained(const struct result *, FILE *);

/* --trace-blocks: the sites of the blocks the tracked rounds (or runs)
 * kept, each once. */
void    report_kept_blocks(const struct result *, FILE *);

/* Colors for the verdict words (a terminal, --color). */
void    report_set_color(int);

/* GitHub Actions annotations (::error ...) for leaks and failures. */
void    report_annotations(const struct result *, FILE *);

/* regrtest's leak lines, the -v table and the one-line verdict. */
void    report_text(const struct result *, FILE *);

#endif
