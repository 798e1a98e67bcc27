/* junit.h: the JUnit XML report, one <testcase> a target. */
#ifndef REFHUNT_JUNIT_H
#define REFHUNT_JUNIT_H

#include <stdio.h>

#include "result.h"

/* The whole document: one <testcase> a result; one that is not clean is
 * a <failure> with its leak lines or message. */
void    junit_write(FILE *, const struct result *, int, double);

#endif
