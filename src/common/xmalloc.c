/* xmalloc.c: allocation that never returns NULL, and fatal errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
    void *p = malloc(size == 0 ? 1 : size);

    if (p == NULL) {
        fatal("malloc %zu bytes", size);
    }
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

    if (p == NULL) {
        fatal("calloc %zu * %zu bytes", n, size);
    }
    return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        fatalx("reallocarray: %zu * %zu overflows", n, size);
    }
    p = realloc(old, n * size == 0 ? 1 : n * size);
    if (p == NULL) {
        fatal("realloc %zu bytes", n * size);
    }
    return p;
}

char *
xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL) {
        fatal("strdup");
    }
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        fatal("vasprintf");
    }
    va_end(ap);
    return s;
}

void
fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    fputs("refhunt: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(saved));
    exit(EXIT_USAGE);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    fputs("refhunt: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}
