/* xmalloc.h: allocation that never returns NULL, and fatal errors. */
#ifndef REFHUNT_XMALLOC_H
#define REFHUNT_XMALLOC_H

#include <stddef.h>

/* returns_nonnull: the compiler knows it too (GCC 12 under ASan warned of
 * a "null destination pointer" for sprintf into xmalloc's memory) */
void *xmalloc(size_t) __attribute__((returns_nonnull));
void *xcalloc(size_t, size_t) __attribute__((returns_nonnull));
void *xreallocarray(void *, size_t, size_t) __attribute__((returns_nonnull));
char *xstrdup(const char *) __attribute__((returns_nonnull));
char *xasprintf(const char *, ...)
    __attribute__((format(printf, 1, 2), returns_nonnull));

/* For what cannot happen: print "refhunt: ..." and exit 2. */
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));   /* with strerror(errno) */
void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
