/*
 * explainer.c: --explain in the worker. A snapshot of the objects alive,
 * taken after the counters of the run before the one explained and kept
 * in C memory; after that run's counters, glue.explain() names what holds
 * the objects it left behind, sent as explain records (record.h).
 */
#include <stdlib.h>

#include "clock.h"
#include "embed.h"
#include "explainer.h"
#include "record.h"
#include "xmalloc.h"

/* --explain's time limit, in seconds. */
#define EXPLAIN_SECONDS 10.0

/* A list of ints as a new C array; -1 on an error (set). */
static int
ints_to_array(PyObject *list, uint64_t **out, Py_ssize_t *n)
{
    Py_ssize_t i, len = PyList_Size(list);

    if (len < 0) {
        return -1;
    }
    *out = xcalloc((size_t)len + 1, sizeof **out);
    for (i = 0; i < len; i++) {
        (*out)[i] = (uint64_t)PyLong_AsUnsignedLongLongMask(
            PyList_GetItem(list, i));
    }
    *n = len;
    return PyErr_Occurred() ? -1 : 0;
}

/* qsort: (id, type) pairs by id. */
static int
pair_cmp(const void *a, const void *b)
{
    uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];

    return x < y ? -1 : x > y;
}

/* The ids sorted, each type id kept with its id: glue's explain() looks
 * objects up by binary search. */
static void
sort_pairs(uint64_t *ids, uint64_t *types, Py_ssize_t n)
{
    uint64_t *pairs = xcalloc((size_t)n * 2 + 1, sizeof *pairs);
    Py_ssize_t i;

    for (i = 0; i < n; i++) {
        pairs[2 * i] = ids[i];
        pairs[2 * i + 1] = types[i];
    }
    qsort(pairs, (size_t)n, 2 * sizeof *pairs, pair_cmp);
    for (i = 0; i < n; i++) {
        ids[i] = pairs[2 * i];
        types[i] = pairs[2 * i + 1];
    }
    free(pairs);
}

void
explainer_clear(struct explainer *e)
{
    free(e->ids);
    free(e->types);
    free(e->older_ids);
    free(e->older_types);
    free(e->blind);
    free(e->error);
    *e = (struct explainer){ NULL, NULL, 0, NULL, NULL, 0, NULL, NULL };
}

int
explainer_taken(const struct explainer *e)
{
    return e->ids != NULL || e->error != NULL;
}

void
explainer_snapshot(struct explainer *e, PyObject *glue)
{
    PyObject *res, *ids, *types;
    const char *blind;
    char *cause = NULL;
    Py_ssize_t n;
    struct explainer older = *e;

    /* the snapshot there was becomes the older one */
    *e = (struct explainer){ NULL, NULL, 0, older.ids, older.types,
        older.n, NULL, NULL };
    free(older.older_ids);
    free(older.older_types);
    free(older.blind);
    free(older.error);
    res = embed_call(glue, "explain_snapshot", PyTuple_New(0), &cause);
    if (res == NULL || !PyArg_ParseTuple(res, "O!O!s", &PyList_Type, &ids,
        &PyList_Type, &types, &blind) ||
        ints_to_array(ids, &e->ids, &e->n) != 0 ||
        ints_to_array(types, &e->types, &n) != 0 || n != e->n) {
        /* refhunt's own error: said at the end, the verdict stands */
        PyErr_Clear();
        free(e->ids);
        free(e->types);
        e->ids = e->types = NULL;
        e->error = cause != NULL ? cause : xstrdup("explain_snapshot failed");
    } else {
        sort_pairs(e->ids, e->types, e->n);
        e->blind = xstrdup(blind);
    }
    Py_XDECREF(res);
}

static void
send_explain(int fd, int *lost, const char *kind, long long value,
    const char *text)
{
    char *cut = record_cut(text), *esc = record_escape(cut);

    free(cut);
    if (!*lost && record_send(fd, "explain %s %lld %s\n", kind, value,
        esc) != 0) {
        *lost = 1;
    }
    free(esc);
}

/* glue.explain() on the snapshot; its records, or ->error. */
static void
explain(struct explainer *e, PyObject *glue, int limit, int fd, int *lost)
{
    PyObject *res, *list, *item;
    const char *note, *object, *chain, *cycle, *cache;
    char *cause = NULL;
    long long outside;
    double start = clock_now();
    Py_ssize_t i, size = e->n * (Py_ssize_t)sizeof(uint64_t),
        older = e->older_n * (Py_ssize_t)sizeof(uint64_t);

    res = embed_call(glue, "explain", Py_BuildValue("(iy#y#sdy#y#)", limit,
        (const char *)e->ids, size, (const char *)e->types, size, e->blind,
        EXPLAIN_SECONDS, e->older_ids != NULL ? (const char *)e->older_ids :
        "", older, e->older_types != NULL ? (const char *)e->older_types :
        "", older), &cause);
    if (res == NULL || !PyArg_ParseTuple(res, "O!s", &PyList_Type, &list,
        &note)) {
        PyErr_Clear();
        e->error = cause != NULL ? cause : xstrdup("explain failed");
        Py_XDECREF(res);
        return;
    }
    for (i = 0; i < PyList_Size(list); i++) {
        item = PyList_GetItem(list, i);
        if (!PyArg_ParseTuple(item, "ssLss", &object, &chain, &outside,
            &cycle, &cache)) {
            PyErr_Clear();
            continue;
        }
        send_explain(fd, lost, "object", outside, object);
        if (*chain != '\0') {
            send_explain(fd, lost, "chain", 0, chain);
        }
        if (*cycle != '\0') {
            send_explain(fd, lost, "cycle", 0, cycle);
        }
        if (*cache != '\0') {
            send_explain(fd, lost, "cache", 0, cache);
        }
    }
    send_explain(fd, lost, "done", (long long)((clock_now() - start) * 1000),
        *note != '\0' ? note : "complete");
    Py_DECREF(res);
}

void
explainer_send(struct explainer *e, PyObject *glue, int limit, int fd,
    int *lost)
{
    char *text;

    if (e->ids != NULL) {
        explain(e, glue, limit, fd, lost);
    }
    if (e->error != NULL) {
        text = xasprintf("failed: %s", e->error);
        send_explain(fd, lost, "done", 0, text);
        free(text);
    }
}
