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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "record.h"
#include "supervise.h"
#include "xmalloc.h"

#define TAIL_MAX        (64 * 1024)     /* of the target's stderr, kept */
#define RECORD_MAX      (1024 * 1024)   /* longest record line accepted */
#define DUMP_GRACE      2.0             /* seconds for the timeout traceback */
#define POLL_MS         100

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    interrupted = sig;
}

void
supervise_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int
supervise_interrupted(void)
{
    return interrupted;
}

struct buffer {
    char   *data;
    size_t  len;
    size_t  cap;
};

static void
buffer_add(struct buffer *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xreallocarray(b->data, b->cap, 1);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
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
    struct buffer   records;                    /* partial record line */
    struct buffer   tail;                       /* the target's stderr */
    size_t          err_total;                  /* stderr bytes seen */
    size_t          dump_from;                  /* err_total at SIGUSR1 */
    double          round_start;
    int             clock_round;                /* round the clock is for */
    int             last_round;                 /* of the last phase record */
    enum phase      last_phase;
    double          kill_at;                    /* 0: not condemned */
    int             timed_out;
    int             lost;                       /* channel unreadable */
    int             has_fail;
    int             wstatus;
    int             exited;
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set_message(struct hunt *h, char *text)
{
    free(h->message);
    h->message = text;
}

static void
handle_record(struct watch *w, const char *line)
{
    struct hunt *h = w->h;
    struct record r;
    char *cause;
    int m;

    if (record_parse(line, &r, &cause) != 0) {
        if (!w->lost) {
            w->lost = 1;
            set_message(h, xasprintf("the worker's report channel was "
                "corrupted (%s)", cause));
        }
        free(cause);
        return;
    }
    switch (r.type) {
    case RECORD_HELLO:
        h->python.version = r.text;
        h->python.blocks_source = r.extra;
        h->python.debug = r.debug;
        h->python.refs_available = r.refs_available;
        r.text = r.extra = NULL;
        w->round_start = now();
        break;
    case RECORD_CALIBRATION:
        h->calibrated = 1;
        h->calibrating = 0;
        memcpy(h->calibration, r.counter, sizeof h->calibration);
        break;
    case RECORD_PHASE:
        /* --timeout is per round: a round starts with init, or in loop
         * mode with run */
        if (r.phase == PHASE_INIT || r.round != w->clock_round) {
            w->round_start = now();
            w->clock_round = r.round;
        }
        w->last_round = r.round;
        w->last_phase = r.phase;
        if (r.round == 0) {
            h->calibrating = 1;
            break;
        }
        if (r.round > h->nrounds) {
            break;
        }
        if (r.round > h->started) {
            h->started = r.round;
        }
        /* (the main interpreter's finalization after the last round of
         * subinterp and loop modes leaves the measured round as it is) */
        if (!h->rounds[r.round - 1].measured) {
            h->rounds[r.round - 1].phase = r.phase;
        }
        break;
    case RECORD_COUNTERS:
        if (r.round < 1 || r.round > h->nrounds) {
            break;
        }
        h->rounds[r.round - 1].measured = 1;
        for (m = 0; m < METRIC_COUNT; m++) {
            h->rounds[r.round - 1].counter[m] = r.counter[m];
        }
        break;
    case RECORD_FAIL:
        w->has_fail = 1;
        h->fail_round = r.round;
        h->fail_phase = r.phase;
        if (r.round >= 1 && r.round <= h->nrounds) {
            h->rounds[r.round - 1].phase = r.phase;
        }
        set_message(h, r.text);
        r.text = NULL;
        break;
    case RECORD_GROWTH:
        if (r.round >= 1 && r.round <= h->nrounds) {
            struct round *rd = &h->rounds[r.round - 1];

            rd->growth = xreallocarray(rd->growth, (size_t)rd->ngrowth + 1,
                sizeof *rd->growth);
            rd->growth[rd->ngrowth++] = (struct growth){ r.text, r.value[0],
                r.value[1] };
            r.text = NULL;
        }
        break;
    case RECORD_TRACE:
        if (r.round >= 1 && r.round <= h->nrounds) {
            struct round *rd = &h->rounds[r.round - 1];

            rd->trace = xreallocarray(rd->trace, (size_t)rd->ntrace + 1,
                sizeof *rd->trace);
            rd->trace[rd->ntrace++] = (struct trace){ r.value[0], r.value[1],
                r.text };
            r.text = NULL;
        }
        break;
    case RECORD_MODULE:
    case RECORD_TEST:
        names_add(&h->found, r.text);
        break;
    case RECORD_END:
        h->finished = 1;
        break;
    }
    record_clear(&r);
}

static void
handle_records(struct watch *w, const char *p, size_t n)
{
    char *nl;
    size_t used = 0;

    if (w->lost) {
        return;
    }
    buffer_add(&w->records, p, n);
    while ((nl = memchr(w->records.data + used, '\n',
        w->records.len - used)) != NULL) {
        *nl = '\0';
        handle_record(w, w->records.data + used);
        used = (size_t)(nl - w->records.data) + 1;
    }
    memmove(w->records.data, w->records.data + used, w->records.len - used);
    w->records.len -= used;
    if (w->records.len > RECORD_MAX && !w->lost) {
        w->lost = 1;
        set_message(w->h, xstrdup("the worker's report channel was "
            "corrupted (a record line without end)"));
    }
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
        handle_records(w, buf, (size_t)n);
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
    /* stdout under -q: read and dropped so the target never blocks */
}

/* Reads every channel until none has data right now, for a second at
 * most: a process that escaped the group may go on writing. */
static void
drain_all(struct watch *w)
{
    int *fds[3] = { &w->rec_fd, &w->err_fd, &w->out_fd }, i, busy = 1;
    double until = now() + 1.0;
    struct pollfd pfd;

    while (busy && now() < until) {
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
    for (char **a = argv; *a != NULL; a++) {
        free(*a);
    }
    free(argv);
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

/* What became of the hunt, from records, exit status and stderr. */
static void
classify(struct watch *w)
{
    struct hunt *h = w->h;
    char *body;
    int sig;

    /* Where it stopped: the fail record says, or else the last phase. */
    if (!w->has_fail) {
        h->fail_round = w->last_round;
        h->fail_phase = w->last_phase;
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
    } else if (w->lost) {
        h->status = STATUS_CRASHED;     /* the message says how it broke */
        h->reason = xstrdup("the worker's report channel broke");
    } else if (!w->has_fail && h->finished && w->exited &&
        WIFEXITED(w->wstatus) && WEXITSTATUS(w->wstatus) == 0) {
        h->status = STATUS_CLEAN;       /* the verdict decides */
    } else if (w->has_fail && h->fail_round == 1 &&
        h->fail_phase == PHASE_INIT) {
        /* No target code has run: the interpreter itself cannot start. */
        h->status = STATUS_ERROR;
        body = h->message;
        h->message = NULL;
        set_reason(h, xstrdup("the embedded Python cannot be initialized"),
            body);
    } else if (w->has_fail) {
        h->status = STATUS_FAILED;
        /* An exit status alone says little: add what the target printed
         * last (unittest's summary, say). */
        if (h->message != NULL && strchr(h->message, '\n') == NULL) {
            h->reason = xstrdup(h->message);
            h->message = with_body(h->message, last_lines(&w->tail));
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

void
supervise_hunt(struct hunt *h, const char *exe)
{
    const struct settings *st = h->settings;
    int rec[2], err[2], out[2] = { -1, -1 }, i, pidfd;
    struct pollfd pfd[4];
    int *fds[3];
    struct watch w;
    double t;
    pid_t r;

    memset(&w, 0, sizeof w);
    w.h = h;
    if (pipe2(rec, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        (st->quiet && pipe2(out, O_CLOEXEC) < 0)) {
        fatal("pipe");
    }
    w.pid = spawn(exe, st, rec[1], err[1], out[1]);
    /* Wakes poll when the worker exits; without it (Linux < 5.3) the loop
     * notices within POLL_MS. */
    pidfd = (int)syscall(SYS_pidfd_open, w.pid, 0);
    close(rec[1]);
    close(err[1]);
    if (out[1] >= 0) {
        close(out[1]);
    }
    w.rec_fd = rec[0];
    w.err_fd = err[0];
    w.out_fd = out[0];
    w.round_start = now();
    w.clock_round = -1;
    fds[0] = &w.rec_fd;
    fds[1] = &w.err_fd;
    fds[2] = &w.out_fd;

    while (!w.exited) {
        for (i = 0; i < 3; i++) {
            pfd[i].fd = *fds[i];        /* poll skips negative fds */
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        pfd[3].fd = pidfd;              /* readable once the worker exits */
        pfd[3].events = POLLIN;
        pfd[3].revents = 0;
        if (poll(pfd, 4, POLL_MS) > 0) {
            for (i = 0; i < 3; i++) {
                if (pfd[i].revents != 0 && *fds[i] >= 0) {
                    drain(&w, fds[i]);
                }
            }
        }
        t = now();
        if (interrupted && w.kill_at == 0) {
            w.kill_at = t;
        }
        if (w.lost && w.kill_at == 0) {
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
    drain_all(&w);
    for (i = 0; i < 3; i++) {
        if (*fds[i] >= 0) {
            close(*fds[i]);
        }
    }
    if (pidfd >= 0) {
        close(pidfd);
    }
    classify(&w);
    if (w.tail.len > 0) {
        h->output_tail = xstrdup(w.tail.data);
    }
    free(w.records.data);
    free(w.tail.data);
}
