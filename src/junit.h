/* junit.h: the JUnit XML report, one <testcase> a target. */
#ifndef REFHUNT_JUNIT_H
#define REFHUNT_JUNIT_H

#include <stdio.h>

#include "hunt.h"

/* One <testcase>; a hunt that is not clean is a <failure> with its leak
 * lines or message. */
void    junit_case(FILE *, const struct hunt *);

/* A case for a target whose refhunt wrote no report. */
void    junit_bare_failure(FILE *, const char *, int);

/* The document around the cases: tests and failures counted. */
void    junit_begin(FILE *, int, int, double);
void    junit_end(FILE *);

#endif
