/* supervise.h: one worker process per hunt, watched from outside. */
#ifndef REFHUNT_SUPERVISE_H
#define REFHUNT_SUPERVISE_H

#include "hunt.h"

/* SIGINT and SIGTERM end the hunt (the worker is killed, the report of the
 * rounds done is still written); SIGPIPE and SIGXFSZ are ignored, so that
 * writing a report fails instead of killing refhunt. */
void    supervise_signals(void);

/* Progress of the rounds: to a parent refhunt if REFHUNT_PROGRESS_FD
 * names a descriptor, else, if tty, a line redrawn on stderr. */
void    supervise_progress(int);

/* The signal that interrupted refhunt, or 0. */
int     supervise_interrupted(void);

/* Runs the worker (exe, re-executed) for h and fills h from its records,
 * its exit and its stderr. Returns when no process of the hunt is left. */
void    supervise_hunt(struct hunt *, const char *);

#endif
