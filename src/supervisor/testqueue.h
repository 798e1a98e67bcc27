/*
 * testqueue.h: --per-test -j N in one suite. The suite's tests, listed
 * once, in units that keep fixtures sane (a class, or a module's
 * functions), handed out from one queue in batches that shrink as it
 * empties, so that the workers end together.
 */
#ifndef REFHUNT_TESTQUEUE_H
#define REFHUNT_TESTQUEUE_H

#include "hunt.h"

struct testqueue {
    const struct names *ids;        /* the suite's, in collection order */
    int            *unit_end;       /* [nunits]: one past a unit's last */
    int             nunits;
    int             next;           /* the first unit not handed out */
    int             jobs;
    int             pytest;         /* ids are pytest node ids */
};

/* The units of ids (pytest node ids when pytest, else unittest ids). */
void    testqueue_init(struct testqueue *, const struct names *, int, int);
/* The next batch of ids, added to *batch: 0, or -1 when none is left. */
int     testqueue_take(struct testqueue *, struct names *);
void    testqueue_free(struct testqueue *);
/* pytest: the files of the suite's tests that none of batch's tests is
 * in, added to *out (a batch's pytest need not collect them). */
void    testqueue_other_files(const struct testqueue *,
            const struct names *batch, struct names *out);

/* The unit a test id belongs to: the length of its prefix. */
size_t  testqueue_unit(const char *, int);

#endif
