/* worker.h: the process that embeds CPython and runs the rounds. */
#ifndef REFHUNT_WORKER_H
#define REFHUNT_WORKER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "spec.h"

/* Python frames kept per allocation for --trace-blocks. */
#define TRACE_FRAMES 12

/* --trace-blocks: the records of a site and of the types of its objects
 * (sites.h's sites_report), sent on the channel of arg's fd (an int *). */
void    worker_send_site(int, int64_t, int64_t, const char *, void *);
void    worker_send_site_type(int, int64_t, const char *, void *);

/* Whether the hunt asks for what glue's finders.py finds (--show-growth,
 * --explain): only then is it loaded (embed_load_glue). */
int     worker_wants_finders(const struct spec *);

/* Runs every round, sending records on spec->fd; returns the
 * process exit status (the supervisor reads the records, not this). */
int     worker_main(const struct spec *);

/* --per-test (pertest_worker.c): collects the suite, runs each test from
 * spec->test_ids (all: NULL) W+N times; records on fd, as worker_main. */
int     pertest_worker(const struct spec *, int);

/* --bisect tests: the test ids of -m pytest ARGS or -m unittest NAMES,
 * a new list, or NULL with *cause. */
PyObject *pertest_list(PyObject *, const struct spec *, char **);

#endif
