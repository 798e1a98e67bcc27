/* exit.h: the exit statuses of refhunt, which both programs use. */
#ifndef REFHUNT_EXIT_H
#define REFHUNT_EXIT_H

/* The process exit statuses (doc/DESIGN.md, "Verdicts and exit status"). */
enum exit_status {
    EXIT_CLEAN = 0,
    EXIT_LEAK = 1,
    EXIT_USAGE = 2,         /* also setup errors */
    EXIT_FAILED = 3,
    EXIT_CRASHED = 4,
    EXIT_TIMEOUT = 5,
    EXIT_SIGNAL = 128,      /* + N: interrupted by signal N */
};

#endif
