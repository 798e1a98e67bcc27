/*
 * spec.h: what one worker is to do, and how that travels to it.
 *
 * The user's request is the settings (cli.h); a worker gets a spec: the
 * part of a hunt it needs, plus what only refhunt decides (its task, the
 * tests of a resumed per-test worker, the record channel). The spec
 * reaches the worker program as its arguments in a format of its own
 * (spec.c), which refhunt's command line does not take, so no option of
 * the worker can be typed to refhunt, nor one of refhunt's reach a worker.
 */
#ifndef REFHUNT_SPEC_H
#define REFHUNT_SPEC_H

#include "cli.h"

/* What a worker is run for: the rounds, or a one-time discovery. */
enum worker_task {
    TASK_HUNT,
    TASK_LIST_IMPORTS,  /* run the target once, list what it imported */
    TASK_LIST_TESTS,    /* list the test ids of -m unittest NAME ... */
};

/* The rounds of a leak's import share, in its worker after the hunt's: it
 * needs no warm-up there, and one gives the figure that more would
 * repeat (README, Benchmark). In warm-up 3's place it is that one round
 * (worker.c, early_share). */
#define IMPORT_SHARE_ROUNDS 1

struct spec {
    enum worker_task  task;
    int               fd;           /* the record channel */
    const char       *test_ids;     /* --per-test: a file of the ids of the
                                       tests to hunt, one a line, escaped
                                       as a record's TEXT; NULL: all */
    enum mode         mode;
    int               warmups;
    int               tracked;
    int               gc_passes;
    int               show_growth;
    int               trace_blocks;
    int               explain;
    int               isolated;
    int               per_test;
    int               trust_refs;
    int               screen;       /* --per-test: screen on a frozen heap
                                       first (not --no-screen) */
    int               import_share; /* reinit: the rounds of a leak's
                                       import share after the hunt's
                                       (IMPORT_SHARE_ROUNDS), 0: none */
    enum target_kind  kind;
    const char       *target;
    char            **args;
    int               nargs;
};

/* The spec of a worker for settings st. */
struct spec     spec_of(const struct settings *, enum worker_task,
    const char *, int);

/* The worker program's argv (exe first) that carries the spec; and its
 * free. */
char          **spec_argv(const char *, const struct spec *);
void            spec_argv_free(char **);

/* The worker's side: its argv back into a spec (pointing into argv); 0,
 * or -1 with *cause (not a spec, or a broken one). */
int             spec_parse(int, char **, struct spec *, char **);

#endif
