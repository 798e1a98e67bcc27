/*
 * keeper.h: one small process between the supervisor and each worker.
 *
 * Forked from the supervisor (no exec), it makes itself a child subreaper
 * and forks the worker in a process group of its own. Whatever the target
 * starts and orphans comes to the keeper of its hunt, not to the
 * supervisor where other hunts run side by side, so each hunt's strays are
 * killed when its own worker ends, and no other's. The keeper kills the
 * worker's group before it reaps the worker, so the group's ID cannot
 * have been reused by then. If the supervisor dies, the keeper is told
 * (a parent-death signal it acts on) and still kills and reaps them.
 */
#ifndef REFHUNT_KEEPER_H
#define REFHUNT_KEEPER_H

#include <sys/types.h>

struct keeper {
    pid_t   pid;            /* the keeper: the supervisor's child */
    pid_t   worker;         /* its child, for the record only */
    int     status_fd;      /* says how the worker ended, at the end */
};

/* The end-of-worker record the keeper sends: what happened, not a guess
 * from an exit status (a target may exit with any). */
struct worker_end {
    int     said;           /* the keeper sent this record */
    int     status;         /* the worker's wait status */
    int     lost;           /* the worker said it lost its record channel
                               (RECORD_SIG_LOST) */
};

/* Starts argv[0] as a worker under a keeper, with err and out (or -1:
 * inherited) as its stderr and stdout and rec kept open; 0, or -1 with
 * *cause and errno (EMFILE, ENFILE, EAGAIN: out of descriptors or
 * processes). */
int     keeper_spawn(struct keeper *, char *const *, int, int, int, char **);

/* Asks the keeper to send the worker SIGUSR1 (faulthandler's traceback). */
void    keeper_dump(const struct keeper *);

/* Asks the keeper to kill the worker's process group. */
void    keeper_kill(const struct keeper *);

/* After the keeper exited: its end-of-worker record (said 0 if it was
 * killed before it could say). */
struct worker_end keeper_worker_end(struct keeper *);

#endif
