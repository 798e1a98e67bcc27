/* status.c: a hunt's status, its name and its exit status. */
#include <signal.h>
#include <stdio.h>

#include "status.h"

int
status_exit(enum status s, int sig)
{
    switch (s) {
    case STATUS_CLEAN:
        return EXIT_CLEAN;
    case STATUS_LEAK:
        return EXIT_LEAK;
    case STATUS_FAILED:
        return EXIT_FAILED;
    case STATUS_CRASHED:
        return EXIT_CRASHED;
    case STATUS_TIMEOUT:
        return EXIT_TIMEOUT;
    case STATUS_INTERRUPTED:
        return EXIT_SIGNAL + (sig > 0 ? sig : SIGINT);
    case STATUS_ERROR:
        break;
    }
    return EXIT_USAGE;
}

enum status
status_worst(enum status a, enum status b)
{
    return a > b ? a : b;
}

const char *
status_name(enum status s)
{
    static const char *const names[] = {
        "clean", "leak", "failed", "crashed", "timeout", "interrupted",
        "error",
    };

    return names[s];
}

const char *
signal_name(int sig)
{
    static char buf[16];

    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS:  return "SIGBUS";
    case SIGFPE:  return "SIGFPE";
    case SIGILL:  return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT:  return "SIGINT";
    case SIGHUP:  return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    }
    snprintf(buf, sizeof buf, "signal %d", sig);
    return buf;
}
