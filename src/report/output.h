/*
 * output.h: report files (--json, --junit, --write-baseline), opened one
 * way and committed: written in full, or removed.
 */
#ifndef REFHUNT_OUTPUT_H
#define REFHUNT_OUTPUT_H

#include <stdio.h>

struct output_file {
    FILE           *f;
    const char     *option;     /* "--json", for messages */
    const char     *path;       /* "-": stdout */
};

/* Opens path for writing ("-" is stdout); 0, or -1 with *cause naming the
 * option and the file. */
int     output_open(struct output_file *, const char *, const char *,
            char **);

/* Flushes and closes it; -1 with *cause on any error, and then a regular
 * file is removed (no half a report for a CI step to misread), never a
 * device such as /dev/full. */
int     output_commit(struct output_file *, char **);

/* A whole report file: opened, written by write(f, arg), committed; 0, or
 * -1 with the reason said on stderr ("refhunt: --json FILE: ..."). */
int     output_write(const char *, const char *,
            void (*)(FILE *, const void *), const void *);

#endif
