/* checkpoint.c: a round tried in a child, the worker waiting to resume. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "record.h"

static volatile sig_atomic_t forwarded;
static pid_t child;

/* The keeper asks the worker for its traceback (SIGUSR1): the child is
 * the one running. */
static void
forward(int sig)
{
    forwarded = 1;
    kill(child, sig);
}

/* Ends the worker as the child ended. */
static void
end_as(int status)
{
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == RECORD_EXIT_LOST) {
        record_lost();      /* the child's parent is not the keeper */
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
}

enum checkpoint_side
checkpoint_begin(struct checkpoint *cp)
{
    struct sigaction sa, old;
    int status;

    /* a page both share, not a pipe: the child's round counts its fds */
    cp->committed = mmap(NULL, sizeof *cp->committed,
        PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (cp->committed == MAP_FAILED) {
        return CHECKPOINT_NONE;
    }
    *cp->committed = 0;
    fflush(NULL);   /* nothing buffered is written twice */
    if ((child = fork()) < 0) {
        munmap(cp->committed, sizeof *cp->committed);
        return CHECKPOINT_NONE;
    }
    if (child == 0) {
        record_forked();
        return CHECKPOINT_CHILD;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, &old);
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            _exit(2);   /* lost our own child: nothing to resume from */
        }
    }
    /* a child that committed was the worker; one that was asked for its
     * traceback was timing out, and the worker is too */
    if (*cp->committed || forwarded) {
        end_as(status);
    }
    munmap(cp->committed, sizeof *cp->committed);
    sigaction(SIGUSR1, &old, NULL);
    return CHECKPOINT_RESUMED;
}

void
checkpoint_commit(struct checkpoint *cp)
{
    *cp->committed = 1;
    munmap(cp->committed, sizeof *cp->committed);
}
