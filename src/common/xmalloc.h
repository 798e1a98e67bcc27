/* xmalloc.h: allocation that never returns NULL, and fatal errors. */
#ifndef REFHUNT_XMALLOC_H
#define REFHUNT_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* For what cannot happen: print "refhunt: ..." and exit 2. */
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));   /* with strerror(errno) */
void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
