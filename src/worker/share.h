/* share.h: in reinit mode, the modules a target imports, kept from its
 * round 1, and the code that imports them alone: the import share of a
 * leak, measured in the worker's own round in the last warm-up's place
 * or after the hunt's (worker.c). */
#ifndef REFHUNT_SHARE_H
#define REFHUNT_SHARE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

struct share {
    char          **paths;      /* sys.path entries the target added */
    int             npaths;
    char          **names;      /* the modules it imported, by name */
    int             nnames;
};

/* After round 1's run, in its interpreter: what glue (imported(),
 * added_paths()) says it imported; an error leaves the lists shorter. */
void    share_keep(struct share *, PyObject *glue);

/* The code of a share round: the target's sys.path entries first, then
 * each module imported by name; one that fails on its own is passed
 * over (its share is unknown). */
char   *share_code(const struct share *);

void    share_free(struct share *);

#endif
