/* explainer.h: --explain in the worker, shared by loop mode (worker.c)
 * and per-test hunts (pertest_worker.c). Every function needs the GIL. */
#ifndef REFHUNT_EXPLAINER_H
#define REFHUNT_EXPLAINER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

/* The objects alive before a tracked run, kept in C memory (nothing of
 * it is in the heap while the run is measured), sorted by id; and those
 * alive a run before that. What the run before the last made and the last
 * did not free is what leaks; an object made anew every run in place of
 * the last one (pytest's log records list) is not. */
struct explainer {
    uint64_t       *ids;            /* the objects' ids */
    uint64_t       *types;          /* their types' ids, pair by pair */
    Py_ssize_t      n;
    uint64_t       *older_ids;      /* the snapshot before, or NULL */
    uint64_t       *older_types;
    Py_ssize_t      older_n;
    char           *blind;          /* classes whose instances the GC does
                                       not see, and their references */
    char           *error;          /* refhunt's own, said in the done
                                       record */
};

/* glue.explain_snapshot(), after the counters of the run before the
 * tracked run explained (and of the one before that: the snapshot taken
 * then becomes the older one); a failure is kept in ->error. */
void    explainer_snapshot(struct explainer *, PyObject *);

/* Whether a snapshot was taken, or failed. */
int     explainer_taken(const struct explainer *);

/* After the tracked run's counters: glue.explain() for up to limit
 * objects, sent on fd as explain records and their done record (*lost
 * set when the channel is gone). */
void    explainer_send(struct explainer *, PyObject *, int, int, int *);

/* Drops the snapshot. */
void    explainer_clear(struct explainer *);

#endif
