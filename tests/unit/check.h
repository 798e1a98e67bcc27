/* check.h: the few assertions the unit tests need; a test main returns
 * check_result(). */
#ifndef REFHUNT_CHECK_H
#define REFHUNT_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do {                                                \
        check_count++;                                                  \
        if (!(cond)) {                                                  \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,      \
                __LINE__, #cond);                                       \
            check_failures++;                                           \
        }                                                               \
    } while (0)

#define CHECK_STR(a, b) do {                                            \
        const char *check_a_ = (a), *check_b_ = (b);                    \
        check_count++;                                                  \
        if (check_a_ == NULL || check_b_ == NULL ||                     \
            strcmp(check_a_, check_b_) != 0) {                          \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__,      \
                __LINE__, check_a_ ? check_a_ : "(null)",               \
                check_b_ ? check_b_ : "(null)");                        \
            check_failures++;                                           \
        }                                                               \
    } while (0)

static inline int
check_result(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures == 0 ? 0 : 1;
}

#endif
