/*
 * keeper.h: one small process between the supervisor and each worker.
 *
 * Forked from the supervisor (no exec), it makes itself a child subreaper
 * and forks the worker in a process group of its own. Whatever the target
 * starts and orphans comes to the keeper of its hunt, not to the
 * supervisor where other hunts run side by side, so each hunt's strays are
 * killed when its own worker ends, and no other's. The keeper kills the
 * worker's group before it reaps the worker, so the group's ID cannot
 * have been reused by then.
 */
#ifndef REFHUNT_KEEPER_H
#define REFHUNT_KEEPER_H

#include <sys/types.h>

struct keeper {
    pid_t   pid;            /* the keeper: the supervisor's child */
    pid_t   worker;         /* its child, for the record only */
    int     status_fd;      /* says the worker's wait status at the end */
};

/* Starts argv[0] as a worker under a keeper, with err and out (or -1:
 * inherited) as its stderr and stdout and rec kept open; 0, or -1 with
 * *cause. */
int     keeper_spawn(struct keeper *, char *const *, int, int, int, char **);

/* Asks the keeper to send the worker SIGUSR1 (faulthandler's traceback). */
void    keeper_dump(const struct keeper *);

/* Asks the keeper to kill the worker's process group. */
void    keeper_kill(const struct keeper *);

/* After the keeper exited: the worker's wait status, or -1 if the keeper
 * did not say (it was killed). */
int     keeper_worker_status(struct keeper *);

#endif
