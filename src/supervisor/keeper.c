/* keeper.c: the per-hunt subreaper between the supervisor and a worker. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "keeper.h"
#include "record.h"
#include "xmalloc.h"

#define STRAY_GRACE 2.0     /* seconds to kill and reap strays */

/* In the worker, before exec: default signals, its own group, its
 * descriptors in place. */
static void
exec_worker(char *const *argv, int rec, int err, int out)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ,
        SIGUSR1, SIGUSR2, SIGCHLD };
    sigset_t none;
    size_t i;

    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);       /* dies with its keeper */
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        signal(sigs[i], SIG_DFL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(err, STDERR_FILENO) < 0 ||
        (out >= 0 && dup2(out, STDOUT_FILENO) < 0) ||
        fcntl(rec, F_SETFD, 0) < 0) {
        _exit(127);
    }
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "refhunt: cannot run the worker %s: %s\n",
        argv[0], strerror(errno));
    _exit(127);
}

/* The PIDs in /proc/self/task/TID/children, read whole; NULL if there is
 * no such file (no CONFIG_PROC_CHILDREN). */
static char *
read_children(void)
{
    char path[64], *buf = NULL;
    size_t len = 0, cap = 0;
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/self/task/%ld/children",
        (long)gettid());
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return NULL;
    }
    do {
        if (cap - len < 4096) {
            cap = cap * 2 + 4096;
            buf = xreallocarray(buf, cap, 1);
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n > 0) {
            len += (size_t)n;
        }
    } while (n > 0 || (n < 0 && errno == EINTR));
    close(fd);
    buf[len] = '\0';
    return buf;
}

/* Kills and reaps what came to us after the worker's end, for
 * STRAY_GRACE seconds at most. */
static void
reap_strays(void)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    double until = clock_now() + STRAY_GRACE;
    char *list, *p, *end;
    long pid;
    int any;

    do {
        if ((list = read_children()) == NULL) {
            return;
        }
        any = 0;
        for (p = list; (pid = strtol(p, &end, 10)) > 0; p = end) {
            kill((pid_t)pid, SIGKILL);
            any = 1;
        }
        free(list);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
            ;
        }
        if (any) {
            nanosleep(&pause, NULL);
        }
    } while (any && clock_now() < until);
}

/* The signals the keeper waits for: a child ended; the supervisor asks
 * for a traceback (SIGUSR1) or a kill (SIGUSR2, also the parent-death
 * signal); the worker says its channel is gone. */
static void
keeper_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
    sigaddset(set, RECORD_SIG_LOST);
}

/* The keeper's life: forward requests until the worker ends, then clean
 * up after it and say how it ended. */
static void
keep(pid_t worker, int status_fd)
{
    static const struct timespec now = { 0, 0 };
    struct worker_end end = { 1, 0, 0 };
    sigset_t set, lost;
    siginfo_t si;
    int sig;

    keeper_signals(&set);
    sigemptyset(&lost);
    sigaddset(&lost, RECORD_SIG_LOST);
    for (;;) {
        memset(&si, 0, sizeof si);
        /* Peek, not reap: the worker's group ID stays ours to kill. */
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid != 0) {
            if (si.si_pid == worker) {
                break;
            }
            waitpid(si.si_pid, NULL, 0);    /* a stray that ended */
            continue;
        }
        sig = sigwaitinfo(&set, &si);
        if (sig == RECORD_SIG_LOST && si.si_pid == worker) {
            end.lost = 1;
        } else if (sig == SIGUSR1) {
            kill(worker, SIGUSR1);
        } else if (sig == SIGUSR2) {
            kill(-worker, SIGKILL);
            kill(worker, SIGKILL);      /* in case setpgid lost the race */
        }
    }
    /* the worker may have said it before it exited */
    while (sigtimedwait(&lost, &si, &now) == RECORD_SIG_LOST) {
        end.lost |= si.si_pid == worker;
    }
    kill(-worker, SIGKILL);
    waitpid(worker, &end.status, 0);
    reap_strays();
    if (write(status_fd, &end, sizeof end) < 0) {
        ;   /* the supervisor is gone */
    }
    _exit(0);
}

int
keeper_spawn(struct keeper *k, char *const *argv, int rec, int err, int out,
    char **cause)
{
    pid_t worker, supervisor = getpid();
    sigset_t block, old;
    int p[2], saved;

    if (pipe2(p, O_CLOEXEC) < 0) {
        *cause = xasprintf("cannot start a worker: pipe: %s",
            strerror(errno));
        return -1;
    }

    keeper_signals(&block);
    sigprocmask(SIG_BLOCK, &block, &old);
    fflush(stdout);
    fflush(stderr);
    k->pid = fork();
    if (k->pid < 0) {
        saved = errno;
        *cause = xasprintf("cannot start a worker: fork: %s",
            strerror(errno));
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(p[0]);
        close(p[1]);
        errno = saved;
        return -1;
    }
    if (k->pid == 0) {
        /* The keeper: the supervisor decides about SIGINT, SIGTERM and
         * SIGHUP. Should the supervisor die, the keeper kills the worker
         * and reaps what it left as on any other end (SIGUSR2). */
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGUSR2);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGCHLD, SIG_DFL);
        if (getppid() != supervisor) {
            _exit(127);     /* the supervisor died before PDEATHSIG */
        }
        worker = fork();
        if (worker == 0) {
            exec_worker(argv, rec, err, out);
        }
        if (worker < 0 || write(p[1], &worker, sizeof worker) < 0) {
            _exit(127);
        }
        setpgid(worker, worker);
        /* Nothing of the supervisor's stays open here: a pipe end that a
         * keeper held would delay another hunt's end of file. */
        if (dup2(p[1], 3) < 0) {
            _exit(127);
        }
        close_range(4, ~0U, 0);
        keep(worker, 3);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(p[1]);
    k->status_fd = p[0];
    if (read(p[0], &k->worker, sizeof k->worker) != sizeof k->worker) {
        /* it could not fork the worker: out of processes, most likely */
        *cause = xstrdup("cannot start a worker: its keeper died");
        kill(k->pid, SIGKILL);
        waitpid(k->pid, NULL, 0);
        close(p[0]);
        return -1;
    }
    return 0;
}

void
keeper_dump(const struct keeper *k)
{
    kill(k->pid, SIGUSR1);
}

void
keeper_kill(const struct keeper *k)
{
    kill(k->pid, SIGUSR2);
}

struct worker_end
keeper_worker_end(struct keeper *k)
{
    struct worker_end end;
    ssize_t n = read(k->status_fd, &end, sizeof end);

    close(k->status_fd);
    k->status_fd = -1;
    if (n != (ssize_t)sizeof end) {
        memset(&end, 0, sizeof end);
    }
    return end;
}
