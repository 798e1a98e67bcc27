/* worker.h: the process that embeds CPython and runs the rounds. */
#ifndef REFHUNT_WORKER_H
#define REFHUNT_WORKER_H

#include "cli.h"

/* Runs every round, sending records on settings->worker_fd; returns the
 * process exit status (the supervisor reads the records, not this). */
int     worker_main(const struct settings *);

#endif
