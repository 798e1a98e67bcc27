/*
 * supervise.c: one worker process per hunt, watched from outside.
 *
 * The worker runs in its own process group with three channels: records
 * on a pipe of their own, its stderr through us (passed on, and the tail
 * kept for the report), its stdout inherited (or drained with -q). The
 * supervisor never touches Python, so whatever the target does, the rounds
 * already measured are reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "channel.h"
#include "cli.h"
#include "record.h"
#include "supervise.h"
#include "xmalloc.h"

#define TAIL_MAX        (64 * 1024)     /* of the target's stderr, kept */
#define DUMP_GRACE      2.0             /* seconds for the timeout traceback */
#define LOST_GRACE      1.0             /* seconds to exit after the records end */
#define RECORD_FD_MIN   100             /* the worker's end of the records */
#define POLL_MS         100

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    interrupted = sig;
}

/* Written to by SIGCHLD; read (emptied) by the poll loop. */
static int child_pipe[2] = { -1, -1 };

static void
on_child(int sig)
{
    int saved = errno;

    (void)sig;
    if (child_pipe[1] >= 0 && write(child_pipe[1], "c", 1) < 0) {
        ;   /* full: a wake-up is pending anyway */
    }
    errno = saved;
}

void
supervise_signals(void)
{
    struct sigaction sa;

    /* SIGCHLD wakes the poll loop through a pipe: a worker's exit is seen
     * at once, not after the poll timeout (pidfd_open would do, but not
     * under valgrind, which the test setup uses) */
    if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        child_pipe[0] = child_pipe[1] = -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* Past a file size limit (ulimit -f), writes fail instead. */
    sigaction(SIGXFSZ, &sa, NULL);
}

int
supervise_interrupted(void)
{
    return interrupted;
}

/* Where progress goes: a pipe to a parent refhunt (REFHUNT_PROGRESS_FD,
 * "ROUND/ROUNDS" lines), or a line redrawn on stderr, or nowhere. */
static int progress_fd = -1;
static int progress_tty;

void
supervise_progress(int tty)
{
    const char *env = getenv("REFHUNT_PROGRESS_FD");
    char *end;
    long fd;

    if (env != NULL) {
        fd = strtol(env, &end, 10);
        if (*env != '\0' && *end == '\0' && fd > 2 && fd < 65536 &&
            fcntl((int)fd, F_GETFD) >= 0) {
            progress_fd = (int)fd;
            fcntl(progress_fd, F_SETFD, FD_CLOEXEC);
        }
        unsetenv("REFHUNT_PROGRESS_FD");    /* not for the worker */
        return;
    }
    progress_tty = tty;
}

static void
progress(const struct hunt *h, int round, double elapsed)
{
    char line[256];
    int n;

    if (progress_fd >= 0) {
        n = snprintf(line, sizeof line, "%d/%d\n", round, h->nrounds);
    } else if (progress_tty) {
        /* --per-test: the test under way, its run */
        n = snprintf(line, sizeof line, "\r\033[Krefhunt: %.60s: %s %d/%d, "
            "%.1f s", h->name, h->settings->per_test ? "run" : "round", round,
            h->nrounds, elapsed);
    } else {
        return;
    }
    if (n > 0 && write(progress_fd >= 0 ? progress_fd : STDERR_FILENO, line,
        (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {
        progress_fd = -1;   /* the parent is gone: no more */
    }
}

/* Keeps the last TAIL_MAX bytes. */
static void
tail_add(struct buffer *b, const char *p, size_t n)
{
    buffer_add(b, p, n);
    if (b->len > 2 * TAIL_MAX) {
        memmove(b->data, b->data + b->len - TAIL_MAX, TAIL_MAX);
        b->len = TAIL_MAX;
        b->data[b->len] = '\0';
    }
}

struct watch {
    struct hunt    *h;
    pid_t           pid;
    int             rec_fd, err_fd, out_fd;     /* -1 once at EOF */
    int             worker_fd;                  /* rec_fd's number there */
    struct channel  ch;                         /* the records */
    unsigned        starts;                     /* ch.starts seen */
    struct buffer   tail;                       /* the target's stderr */
    struct buffer   out_tail;                   /* its stdout, under -q */
    size_t          err_total;                  /* stderr bytes seen */
    size_t          dump_from;                  /* err_total at SIGUSR1 */
    double          round_start;
    double          kill_at;                    /* 0: not condemned */
    int             timed_out;
    double          eof_at;                     /* records ended early */
    int             gone;                       /* ... and for good */
    int             wstatus;
    int             exited;
};

static void
set_message(struct hunt *h, char *text)
{
    free(h->message);
    h->message = text;
}

/* Reads what one descriptor has; closes it at EOF. */
static void
drain(struct watch *w, int *fd)
{
    char buf[65536];
    ssize_t n;

    n = read(*fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    if (*fd == w->rec_fd) {
        channel_feed(&w->ch, buf, (size_t)n);
    } else if (*fd == w->err_fd) {
        tail_add(&w->tail, buf, (size_t)n);
        w->err_total += (size_t)n;
        if (!w->h->settings->quiet) {
            /* Best effort: our own stderr may be gone. */
            if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
                ;
            }
        }
    }
    /* stdout under -q: read so the target never blocks; its tail kept
     * for a failure's message (pytest reports failures on stdout) */
    if (*fd == w->out_fd) {
        tail_add(&w->out_tail, buf, (size_t)n);
    }
}

/* Reads every channel until none has data right now, for a second at
 * most: a process that escaped the group may go on writing. */
static void
drain_all(struct watch *w)
{
    int *fds[3] = { &w->rec_fd, &w->err_fd, &w->out_fd }, i, busy = 1;
    double until = clock_now() + 1.0;
    struct pollfd pfd;

    while (busy && clock_now() < until) {
        busy = 0;
        for (i = 0; i < 3; i++) {
            if (*fds[i] < 0) {
                continue;
            }
            pfd.fd = *fds[i];
            pfd.events = POLLIN;
            if (poll(&pfd, 1, 0) > 0) {
                drain(w, fds[i]);
                busy = 1;
            }
        }
    }
}

static void
kill_group(struct watch *w, int sig)
{
    if (w->pid > 0) {
        kill(-w->pid, sig);
        kill(w->pid, sig);      /* in case setpgid lost the race */
    }
}

static pid_t
spawn(const char *exe, const struct settings *st, int rec, int err, int out)
{
    char **argv = cli_worker_argv(exe, st, rec);
    sigset_t all;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        fatal("fork");
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* die with the supervisor */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGXFSZ, SIG_DFL);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        if (dup2(err, STDERR_FILENO) < 0 ||
            (out >= 0 && dup2(out, STDOUT_FILENO) < 0) ||
            fcntl(rec, F_SETFD, 0) < 0) {
            _exit(127);
        }
        execv(exe, argv);
        dprintf(STDERR_FILENO, "refhunt: cannot run worker %s: %s\n", exe,
            strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    cli_worker_argv_free(argv);
    return pid;
}

/* The last 20 lines of the target's stderr, or NULL. */
static char *
last_lines(const struct buffer *tail)
{
    const char *p;
    int lines = 0;

    if (tail->len == 0) {
        return NULL;
    }
    for (p = tail->data + tail->len; p > tail->data; p--) {
        if (p[-1] == '\n' && p != tail->data + tail->len && ++lines == 20) {
            break;
        }
    }
    return xstrdup(p);
}

/* From the stderr tail: the interpreter's fatal error and what follows,
 * or else its last lines. */
static char *
crash_text(const struct buffer *tail)
{
    const char *fatal_at;

    if (tail->len == 0) {
        return NULL;
    }
    fatal_at = strstr(tail->data, "Fatal Python error");
    return fatal_at != NULL ? xstrdup(fatal_at) : last_lines(tail);
}

/* "round 2, phase run", or the calibration round's equivalent. */
static char *
where(const struct hunt *h)
{
    if (h->fail_round == 0 && h->calibrating) {
        return xasprintf("in a calibration round (empty target), phase %s",
            phase_name(h->fail_phase));
    }
    if (h->fail_round == 0) {
        return xstrdup("before round 1");
    }
    return xasprintf("in round %d, phase %s", h->fail_round,
        phase_name(h->fail_phase));
}

/* What the target wrote to stderr since the timeout's SIGUSR1. */
static char *
timeout_dump(const struct watch *w)
{
    size_t n = w->err_total - w->dump_from;

    if (n == 0) {
        return NULL;
    }
    if (n > w->tail.len) {
        n = w->tail.len;
    }
    return xstrdup(w->tail.data + w->tail.len - n);
}

/* Joins a first line and an optional body. */
static char *
with_body(char *first, char *body)
{
    char *s = xasprintf("%s%s%s", first, body != NULL ? "\n" : "",
        body != NULL ? body : "");

    free(first);
    free(body);
    return s;
}

/* Sets the reason (short, for the verdict line) and the message: the
 * reason, where it happened, and the body (a traceback, a fatal error). */
static void
set_reason(struct hunt *h, char *reason, char *body)
{
    char *at = where(h);

    free(h->reason);
    h->reason = reason;
    set_message(h, with_body(xasprintf("%s %s", reason, at), body));
    free(at);
}

#define LOST "the worker lost its report channel"

/* Whether the records ended early although the worker did not fail: it
 * said it lost them, exited 0 without "end", or outlived their EOF. */
static int
channel_lost(const struct watch *w)
{
    if (w->ch.has_fail || w->h->finished) {
        return 0;
    }
    return w->gone || (WIFEXITED(w->wstatus) &&
        (WEXITSTATUS(w->wstatus) == 0 ||
        WEXITSTATUS(w->wstatus) == RECORD_EXIT_LOST));
}

/* What became of the hunt, from records, exit status and stderr. */
static void
classify(struct watch *w)
{
    struct hunt *h = w->h;
    char *body;
    int sig;

    /* Where it stopped: the fail record says, or else the last phase. */
    if (!w->ch.has_fail) {
        h->fail_round = w->ch.last_round;
        h->fail_phase = w->ch.last_phase;
    }
    if (w->exited && WIFSIGNALED(w->wstatus)) {
        h->signal = WTERMSIG(w->wstatus);   /* ours, if it timed out */
    }
    if (w->timed_out) {
        h->status = STATUS_TIMEOUT;
        set_reason(h, xasprintf("timed out after %g s",
            h->settings->timeout), timeout_dump(w));
    } else if (interrupted) {
        h->status = STATUS_INTERRUPTED;
        h->signal = interrupted;
        set_reason(h, xasprintf("interrupted by %s",
            signal_name(interrupted)), NULL);
    } else if (w->ch.corrupted) {
        h->status = STATUS_CRASHED;
        body = h->message;              /* how it broke */
        h->message = NULL;
        set_reason(h, xstrdup(LOST), body);
    } else if (channel_lost(w)) {
        h->status = STATUS_CRASHED;
        set_reason(h, xstrdup(LOST), xasprintf("the record pipe (descriptor "
            "%d in the worker) was closed or replaced before the hunt ended "
            "(does the target close descriptors it does not own, "
            "os.closerange()?)", w->worker_fd));
    } else if (!w->ch.has_fail && h->finished && w->exited &&
        WIFEXITED(w->wstatus) && WEXITSTATUS(w->wstatus) == 0) {
        h->status = STATUS_CLEAN;       /* the verdict decides */
    } else if (w->ch.has_fail && h->fail_round == 1 &&
        h->fail_phase == PHASE_INIT) {
        /* No target code has run: the interpreter itself cannot start. */
        h->status = STATUS_ERROR;
        body = h->message;
        h->message = NULL;
        set_reason(h, xstrdup("the embedded Python cannot be initialized"),
            body);
    } else if (w->ch.has_fail) {
        h->status = STATUS_FAILED;
        /* An exit status alone says little: add what the target printed
         * last (unittest's summary, say). */
        if (h->message != NULL && strchr(h->message, '\n') == NULL) {
            h->reason = xstrdup(h->message);
            h->message = with_body(h->message, last_lines(&w->tail));
            if (w->out_tail.len > 0) {
                h->message = with_body(h->message, last_lines(&w->out_tail));
            }
        }
        if (h->settings->mode == MODE_REINIT && h->fail_round > 1 &&
            (h->fail_phase == PHASE_INIT || h->fail_phase == PHASE_RUN) &&
            h->rounds[0].measured) {
            h->note = xasprintf("round %d failed after round 1 succeeded: "
                "the target may not survive re-initialization in one "
                "process (numpy cannot); try --mode loop", h->fail_round);
        }
    } else if (w->exited && WIFSIGNALED(w->wstatus)) {
        sig = WTERMSIG(w->wstatus);
        h->status = STATUS_CRASHED;
        set_reason(h, xasprintf("the worker was killed by %s (%s)",
            signal_name(sig), strsignal(sig)), crash_text(&w->tail));
    } else if (h->python.version == NULL) {
        h->status = STATUS_ERROR;
        h->exit_code = WIFEXITED(w->wstatus) ? WEXITSTATUS(w->wstatus) : -1;
        set_reason(h, xasprintf("the worker did not start (exit status %d)",
            h->exit_code), crash_text(&w->tail));
    } else {
        h->status = STATUS_FAILED;
        h->exit_code = WIFEXITED(w->wstatus) ? WEXITSTATUS(w->wstatus) : -1;
        set_reason(h, xasprintf("the worker exited with status %d before "
            "the round ended (os._exit() or exit() in the target?)",
            h->exit_code), NULL);
    }
}

/* A descriptor moved to RECORD_FD_MIN or above, where a target is less
 * likely to clobber it by accident; the same one if that fails. */
static int
move_high(int fd)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, RECORD_FD_MIN);

    if (high < 0) {
        return fd;
    }
    close(fd);
    return high;
}

/* Children of ours, once the worker is gone, can only be strays of the
 * hunt (one hunt at a time): processes that left the worker's group
 * (setsid) and came to us, the subreaper, when their parent died. Kills
 * and reaps them, for two seconds at most. */
static void
reap_strays(void)
{
    char path[64], buf[4096], *p, *end;
    double until = clock_now() + 2.0;
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    ssize_t n;
    long pid;
    int fd, any;

    snprintf(path, sizeof path, "/proc/self/task/%ld/children",
        (long)gettid());
    do {
        any = 0;
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            return;     /* no CONFIG_PROC_CHILDREN: drain_all is bounded */
        }
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        for (p = buf; (pid = strtol(p, &end, 10)) > 0; p = end) {
            kill((pid_t)pid, SIGKILL);
            any = 1;
        }
        while (waitpid(-1, NULL, WNOHANG) > 0) {
            ;
        }
        if (any) {
            nanosleep(&pause, NULL);
        }
    } while (any && clock_now() < until);
}

void
supervise_hunt(struct hunt *h, const char *exe)
{
    const struct settings *st = h->settings;
    int rec[2], err[2], out[2] = { -1, -1 }, i;
    char drain_buf[64];
    struct pollfd pfd[4];
    int *fds[3];
    struct watch w;
    double t, started;
    pid_t r;

    memset(&w, 0, sizeof w);
    w.h = h;
    started = clock_now();
    channel_init(&w.ch, h);
    if (pipe2(rec, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        (st->quiet && pipe2(out, O_CLOEXEC) < 0)) {
        fatal("pipe");
    }
    /* Processes the target starts and that leave its group are ours to
     * kill when their parent dies. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    w.worker_fd = rec[1] = move_high(rec[1]);
    w.pid = spawn(exe, st, rec[1], err[1], out[1]);
    close(rec[1]);
    close(err[1]);
    if (out[1] >= 0) {
        close(out[1]);
    }
    w.rec_fd = rec[0];
    w.err_fd = err[0];
    w.out_fd = out[0];
    w.round_start = clock_now();
    fds[0] = &w.rec_fd;
    fds[1] = &w.err_fd;
    fds[2] = &w.out_fd;

    while (!w.exited) {
        for (i = 0; i < 3; i++) {
            pfd[i].fd = *fds[i];        /* poll skips negative fds */
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        pfd[3].fd = child_pipe[0];      /* readable once a child exits */
        pfd[3].events = POLLIN;
        pfd[3].revents = 0;
        if (poll(pfd, 4, POLL_MS) > 0) {
            for (i = 0; i < 3; i++) {
                if (pfd[i].revents != 0 && *fds[i] >= 0) {
                    drain(&w, fds[i]);
                }
            }
            while (pfd[3].revents != 0 &&
                read(child_pipe[0], drain_buf, sizeof drain_buf) > 0) {
                ;   /* the wake-up is all it says */
            }
        }
        t = clock_now();
        if (w.ch.starts != w.starts) {
            w.starts = w.ch.starts;
            w.round_start = t;          /* --timeout is per round */
            /* --per-test: the test under way */
            if (w.ch.cur->started > 0 && (w.ch.cur != h || !st->per_test)) {
                progress(w.ch.cur, w.ch.cur->started, t - started);
            }
        }
        /* The records ended before "end": the worker exits now (it
         * failed, or died), or it lost its channel and goes on. */
        if (w.rec_fd < 0 && !h->finished && w.eof_at == 0) {
            w.eof_at = t;
        }
        if (w.eof_at != 0 && !w.gone && t - w.eof_at > LOST_GRACE &&
            w.kill_at == 0) {
            w.gone = 1;
            w.kill_at = t;
        }
        if ((interrupted || w.ch.corrupted) && w.kill_at == 0) {
            w.kill_at = t;
        }
        if (st->timeout > 0 && !w.timed_out && w.kill_at == 0 &&
            t - w.round_start > st->timeout) {
            /* faulthandler in the worker prints where it is stuck */
            w.timed_out = 1;
            w.dump_from = w.err_total;
            kill(w.pid, SIGUSR1);
            w.kill_at = t + DUMP_GRACE;
        }
        if (w.kill_at != 0 && t >= w.kill_at) {
            kill_group(&w, SIGKILL);
        }
        r = waitpid(w.pid, &w.wstatus, WNOHANG);
        if (r == w.pid) {
            w.exited = 1;
        } else if (r < 0 && errno != EINTR) {
            fatal("waitpid");
        }
    }
    /* No process of the hunt outlives it; then read what the worker wrote
     * before it went, without waiting for an EOF that a child that left
     * the group may never give. */
    kill(-w.pid, SIGKILL);
    reap_strays();
    drain_all(&w);
    for (i = 0; i < 3; i++) {
        if (*fds[i] >= 0) {
            close(*fds[i]);
        }
    }
    classify(&w);
    h->seconds = clock_now() - started;
    if (progress_tty && write(STDERR_FILENO, "\r\033[K", 4) < 0) {
        ;   /* the line is cleared, or stderr is gone */
    }
    if (w.tail.len > 0) {
        h->output_tail = xstrdup(w.tail.data);
    }
    channel_free(&w.ch);
    free(w.tail.data);
    free(w.out_tail.data);
}
