/*
 * supervise.h: hunts run side by side in one poll loop, an engine each
 * (engine.h), and the supervisor's signals.
 */
#ifndef REFHUNT_SUPERVISE_H
#define REFHUNT_SUPERVISE_H

#include "engine.h"
#include "hunt.h"

/* SIGINT, SIGTERM and SIGHUP end the hunts (their workers are killed, the reports
 * of the rounds done are still written); SIGCHLD wakes the loop; SIGPIPE
 * and SIGXFSZ are ignored, so that writing a report fails instead of
 * killing refhunt. */
void    supervise_signals(void);

/* Hunts at once: -j N, else the CPUs refhunt may run on (its affinity,
 * as taskset or a container's cpuset set it); at least 1. */
int     supervise_jobs(const struct settings *);

/* The signal that interrupted refhunt, or 0. */
int     supervise_interrupted(void);

/* What supervise_all is to do. */
struct supervision {
    const char     *worker;     /* the worker program */
    int             jobs;       /* hunts at once, at least 1 */
    enum output     output;     /* of the targets */
    int             progress;   /* a line redrawn on stderr */
    /* called as each hunt ends, in the order they end; may be NULL. It
     * may return a follow-up hunt (--per-test: the next worker of a
     * suite), which runs next, and ends through done in its turn. */
    struct hunt  *(*done)(struct hunt *, void *);
    void           *arg;
};

/* Runs every hunt, and the follow-ups done returns, jobs at a time. After
 * an interruption, the hunts not started are left as they are
 * (h->started == 0, status clean); a follow-up not started is handed to
 * done as interrupted. */
void    supervise_all(struct hunt **, int, const struct supervision *);

/* Runs one hunt to its end: its output passed through, or dropped with
 * -q (then a progress line on a terminal). */
void    supervise_hunt(struct hunt *, const char *);

#endif
