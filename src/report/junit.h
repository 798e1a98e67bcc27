/* junit.h: the JUnit XML report, one <testcase> a target. */
#ifndef REFHUNT_JUNIT_H
#define REFHUNT_JUNIT_H

#include <stdio.h>

#include "hunt.h"

/* The whole document: one <testcase> a hunt; a hunt that is not clean is
 * a <failure> with its leak lines or message. */
void    junit_write(FILE *, struct hunt *const *, int, double);

#endif
