/*
 * checkpoint.h: a round tried in a child of the worker, while the worker
 * waits as it was before the round, to go on in its place should the
 * child fail (reinit's import share in a warm-up's place, worker.c):
 *
 *   switch (checkpoint_begin(&cp)) {
 *   case CHECKPOINT_CHILD:    run the round; on success checkpoint_commit
 *                             and go on as the worker, else _exit
 *   case CHECKPOINT_RESUMED:  the child failed or died: run the round
 *                             the usual way
 *   case CHECKPOINT_NONE:     no child could be started: the same
 *   }
 *
 * When the child commits, the worker never returns from checkpoint_begin:
 * it waits for the child and ends as the child ends (its exit status or
 * its signal), so the keeper and the supervisor see one worker.
 */
#ifndef REFHUNT_CHECKPOINT_H
#define REFHUNT_CHECKPOINT_H

enum checkpoint_side {
    CHECKPOINT_NONE,
    CHECKPOINT_CHILD,
    CHECKPOINT_RESUMED
};

struct checkpoint {
    int    *committed;      /* shared: the child went on */
};

enum checkpoint_side checkpoint_begin(struct checkpoint *);

/* In the child: the round went well, it is the worker from now on. */
void    checkpoint_commit(struct checkpoint *);

#endif
