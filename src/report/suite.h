/* suite.h: the --per-test report of a suite (a result with its tests). */
#ifndef REFHUNT_SUITE_H
#define REFHUNT_SUITE_H

#include <stdio.h>

#include "result.h"

/* A line for each test that leaked, is known to the baseline or did not
 * end well, then "refhunt: NAME: 212 tests: 3 leak, ... (per test: ...)". */
void    report_suite_text(const struct result *, FILE *);

/* The suite's JSON object: "per_test": true, "collected", "tests". */
void    report_suite_json(const struct result *, FILE *);

#endif
