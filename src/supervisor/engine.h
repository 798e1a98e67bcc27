/*
 * engine.h: one hunt's worker, watched from outside, as an instance.
 *
 * An engine owns one worker (under its keeper, keeper.h) and the
 * descriptors it reads: records, the target's stderr and, with -q, its
 * stdout. It has no global state: supervise.c runs many in one poll
 * loop. The verbs: start, the descriptors to poll, a step after poll,
 * finish (the outcome into the hunt).
 */
#ifndef REFHUNT_ENGINE_H
#define REFHUNT_ENGINE_H

#include <poll.h>

#include "hunt.h"

/* What becomes of the target's stdout and stderr. */
enum output {
    OUTPUT_PASS,        /* through to ours (stderr's tail kept) */
    OUTPUT_DROP,        /* -q: stdout dropped, stderr's tail kept */
    OUTPUT_KEEP,        /* both kept in the hunt's spool, for later */
};

#define ENGINE_FDS 4    /* descriptors an engine polls at most */

struct engine;

/* Starts h's worker (the program at worker); NULL with *cause if it cannot
 * start (no process is left then), errno saying why: engine_busy(). */
struct engine  *engine_start(struct hunt *, const char *, enum output,
                    char **);

/* After engine_start failed: whether it was out of descriptors or
 * processes, which fewer hunts at once leave. */
int             engine_busy(int);

/* Fills the descriptors to poll (POLLIN); their number. */
int             engine_poll_fds(const struct engine *, struct pollfd *);

/* After poll: reads what the descriptors have (their revents), checks the
 * timeout and whether the worker ended; interrupted: the signal refhunt
 * got, or 0. Returns 1 when the hunt is over: call engine_finish. */
int             engine_step(struct engine *, const struct pollfd *, int, int);

/* The next moment engine_step must run even if nothing is readable
 * (a timeout, a grace period), or 0. */
double          engine_deadline(const struct engine *);

/* Decides what became of the hunt, fills it, and frees the engine. */
void            engine_finish(struct engine *);

/* The hunt the engine runs. */
struct hunt    *engine_hunt(const struct engine *);

/* The hunt its rounds go to now: with --per-test the test under way,
 * else the hunt itself. */
struct hunt    *engine_current(const struct engine *);

#endif
