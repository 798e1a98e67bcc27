/*
 * status.h: what a hunt came to (clean, leak, failed, ...), as the
 * supervisor decides it (outcome.c) and every report says it, and the
 * exit status that says it.
 */
#ifndef REFHUNT_STATUS_H
#define REFHUNT_STATUS_H

#include "exit.h"

/* Ordered from best to worst: a run's status is the worst of its parts. */
enum status {
    STATUS_CLEAN,
    STATUS_LEAK,
    STATUS_FAILED,
    STATUS_CRASHED,
    STATUS_TIMEOUT,
    STATUS_INTERRUPTED,     /* refhunt got SIGINT, SIGTERM or SIGHUP */
    STATUS_ERROR,           /* setup: the interpreter cannot even start */
};

/* The exit status for a status; sig: the interrupting signal. */
int             status_exit(enum status, int);

/* The worse of two. */
enum status     status_worst(enum status, enum status);

const char     *status_name(enum status);
const char     *signal_name(int);               /* "SIGSEGV" */

#endif
