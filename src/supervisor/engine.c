/*
 * engine.c: one hunt's worker, watched from outside, as an instance.
 *
 * The worker runs under its keeper with three channels: records on a pipe
 * of their own, its stderr through us (passed on, and the tail kept for
 * the report), its stdout inherited (or read, with -q or for --each). The
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
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "cli.h"
#include "engine.h"
#include "keeper.h"
#include "outcome.h"
#include "record.h"
#include "spec.h"
#include "xmalloc.h"

#define TAIL_MAX        (64 * 1024)     /* of the target's stderr, kept */
#define DUMP_GRACE      2.0     /* seconds for the timeout traceback */
#define LOST_GRACE      1.0     /* seconds to exit after the records end */
#define DRAIN_MAX       1.0     /* seconds to read what is left at the end */
#define RECORD_FD_MIN   100     /* the worker's end of the records */

/*
 * As tmux's job.c: an engine runs until two things have happened, in
 * either order: its worker ended (DEAD: the keeper sent its end-of-worker
 * record) and its records ended (CLOSED). Nothing is guessed from an exit
 * status: the records, the keeper's record and what refhunt itself did
 * (a kill, and why) are the facts outcome.c decides on.
 */
enum engine_state {
    ENGINE_RUNNING = 0,
    ENGINE_DEAD = 1,
    ENGINE_CLOSED = 2,
};

struct engine {
    struct hunt    *h;
    enum output     output;
    struct keeper   keeper;
    unsigned        state;                      /* ENGINE_* bits */
    struct worker_end end;                      /* once DEAD */
    int             rec_fd, err_fd, out_fd;     /* -1 once at EOF */
    int             worker_fd;                  /* rec_fd's number there */
    struct channel  ch;                         /* the records */
    unsigned        starts;                     /* ch.starts seen */
    struct buffer   tail;                       /* the target's stderr */
    struct buffer   out_tail;                   /* its stdout, under -q */
    size_t          err_total;                  /* stderr bytes seen */
    size_t          dump_from;                  /* err_total at the dump */
    double          started;
    double          round_start;
    double          kill_at;                    /* 0: not condemned */
    int             killed;                     /* the kill was asked */
    int             timed_out;
    int             interrupted;
    double          closed_at;                  /* CLOSED before "end" */
    int             gone;                       /* ... and the worker
                                                   outlived that */
};

struct hunt *
engine_current(const struct engine *e)
{
    return e->ch.cur;
}

struct hunt *
engine_hunt(const struct engine *e)
{
    return e->h;
}

/* The hunt whose records the worker's end closes, and whose outcome it
 * decides: the import share once its rounds began (the hunt's own
 * records are all in then), else the hunt. */
static struct hunt *
judged(const struct engine *e)
{
    return e->h->share != NULL ? e->h->share : e->h;
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

/* OUTPUT_KEEP: into the hunt's spool (none: it could not be made). */
static void
keep_add(struct hunt *h, struct spooled *st, const char *p, size_t n)
{
    if (h->spool != NULL) {
        spool_add(h->spool, st, p, n);
    }
}

/* Reads what one descriptor has; closes it at EOF. */
static void
drain(struct engine *e, int *fd)
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
    if (*fd == e->rec_fd) {
        channel_feed(&e->ch, buf, (size_t)n);
    } else if (*fd == e->err_fd) {
        tail_add(&e->tail, buf, (size_t)n);
        e->err_total += (size_t)n;
        if (e->output == OUTPUT_KEEP) {
            keep_add(e->h, &e->h->kept_err, buf, (size_t)n);
        } else if (e->output == OUTPUT_PASS &&
            write(STDERR_FILENO, buf, (size_t)n) < 0) {
            ;   /* best effort: our own stderr may be gone */
        }
    } else if (e->output == OUTPUT_KEEP) {
        keep_add(e->h, &e->h->kept_out, buf, (size_t)n);
    } else {
        /* stdout under -q: read so the target never blocks; its tail
         * kept for a failure's message (pytest reports on stdout) */
        tail_add(&e->out_tail, buf, (size_t)n);
    }
}

/* Reads every channel until none has data right now, for DRAIN_MAX at
 * most: a process that escaped the keeper may go on writing. */
static void
drain_all(struct engine *e)
{
    int *fds[3] = { &e->rec_fd, &e->err_fd, &e->out_fd }, i, busy = 1;
    double until = clock_now() + DRAIN_MAX;
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
                drain(e, fds[i]);
                busy = 1;
            }
        }
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

static void
close_pair(int p[2])
{
    if (p[0] >= 0) {
        close(p[0]);
    }
    if (p[1] >= 0) {
        close(p[1]);
    }
}

/* OUTPUT_PASS: where the target's stdout goes, a descriptor for the
 * worker (or -1: ours, inherited). With --json - our stdout is the
 * report's, and the target's goes to stderr, as the text report does. */
static int
passed_stdout(const struct hunt *h)
{
    const char *json = h->settings->json_path;

    if (json == NULL || strcmp(json, "-") != 0) {
        return -1;
    }
    return fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
}

struct engine *
engine_start(struct hunt *h, const char *worker, enum output output,
    char **cause)
{
    int rec[2] = { -1, -1 }, err[2] = { -1, -1 }, out[2] = { -1, -1 };
    struct engine *e;
    struct spec sp;
    char **argv;
    int rc, saved;

    if (output == OUTPUT_PASS) {
        out[1] = passed_stdout(h);
    }
    if (pipe2(rec, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        (output != OUTPUT_PASS && pipe2(out, O_CLOEXEC) < 0)) {
        saved = errno;
        *cause = xasprintf("cannot start a worker: pipe: %s",
            strerror(errno));
        close_pair(rec);
        close_pair(err);
        close_pair(out);
        errno = saved;
        return NULL;
    }
    e = xcalloc(1, sizeof *e);
    e->h = h;
    e->output = output;
    e->started = e->round_start = clock_now();
    channel_init(&e->ch, h);
    e->worker_fd = rec[1] = move_high(rec[1]);
    sp = spec_of(h->settings, h->task, h->test_ids, rec[1]);
    argv = spec_argv(worker, &sp);
    rc = keeper_spawn(&e->keeper, argv, rec[1], err[1], out[1], cause);
    saved = errno;
    spec_argv_free(argv);
    close(rec[1]);
    close(err[1]);
    if (out[1] >= 0) {
        close(out[1]);
    }
    e->rec_fd = rec[0];
    e->err_fd = err[0];
    e->out_fd = out[0];
    if (rc != 0) {
        close(e->rec_fd);
        close(e->err_fd);
        if (e->out_fd >= 0) {
            close(e->out_fd);
        }
        channel_free(&e->ch);
        free(e);
        errno = saved;
        return NULL;
    }
    return e;
}

int
engine_busy(int err)
{
    return err == EMFILE || err == ENFILE || err == EAGAIN;
}

int
engine_poll_fds(const struct engine *e, struct pollfd *pfd)
{
    int n = 0;

    if (e->rec_fd >= 0) {
        pfd[n++] = (struct pollfd){ .fd = e->rec_fd, .events = POLLIN };
    }
    if (e->err_fd >= 0) {
        pfd[n++] = (struct pollfd){ .fd = e->err_fd, .events = POLLIN };
    }
    if (e->out_fd >= 0) {
        pfd[n++] = (struct pollfd){ .fd = e->out_fd, .events = POLLIN };
    }
    return n;
}

double
engine_deadline(const struct engine *e)
{
    const struct settings *st = e->h->settings;
    double d = 0;

    if (e->kill_at != 0 && !e->killed) {
        d = e->kill_at;
    } else if (e->closed_at != 0 && !e->gone) {
        d = e->closed_at + LOST_GRACE;
    } else if (st->timeout > 0 && !e->timed_out) {
        d = e->round_start + st->timeout;
    }
    return d;
}

int
engine_step(struct engine *e, const struct pollfd *pfd, int npfd,
    int interrupted)
{
    const struct settings *st = e->h->settings;
    int *fds[3] = { &e->rec_fd, &e->err_fd, &e->out_fd }, i, j;
    struct hunt *h = judged(e);
    double t;
    pid_t r;
    int ws;

    for (i = 0; i < npfd; i++) {
        for (j = 0; j < 3; j++) {
            if (pfd[i].revents != 0 && *fds[j] >= 0 &&
                pfd[i].fd == *fds[j]) {
                drain(e, fds[j]);
            }
        }
    }
    t = clock_now();
    if (e->ch.starts != e->starts) {
        e->starts = e->ch.starts;
        e->round_start = t;             /* --timeout is per round */
    }
    if (e->rec_fd < 0) {
        e->state |= ENGINE_CLOSED;
    }
    /* The records ended before "end": the worker exits now (it failed,
     * or died), or it lost its channel and goes on. */
    if ((e->state & ENGINE_CLOSED) && !h->finished && e->closed_at == 0) {
        e->closed_at = t;
    }
    if (e->closed_at != 0 && !e->gone && t - e->closed_at > LOST_GRACE &&
        e->kill_at == 0) {
        e->gone = 1;
        e->kill_at = t;
    }
    if (interrupted && !e->interrupted) {
        e->interrupted = interrupted;
        if (e->kill_at == 0) {
            e->kill_at = t;
        }
    }
    if (e->ch.corrupted && e->kill_at == 0) {
        e->kill_at = t;
    }
    if (st->timeout > 0 && !e->timed_out && e->kill_at == 0 &&
        t - e->round_start > st->timeout) {
        /* faulthandler in the worker prints where it is stuck */
        e->timed_out = 1;
        e->dump_from = e->err_total;
        keeper_dump(&e->keeper);
        e->kill_at = t + DUMP_GRACE;
    }
    if (e->kill_at != 0 && t >= e->kill_at && !e->killed) {
        keeper_kill(&e->keeper);
        e->killed = 1;
    }
    r = waitpid(e->keeper.pid, &ws, WNOHANG);
    if (r == e->keeper.pid) {
        e->state |= ENGINE_DEAD;
        e->end = keeper_worker_end(&e->keeper);
        if (!e->end.said) {
            e->end.status = ws;     /* the keeper itself was killed */
        }
        return 1;
    }
    return 0;
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

/* "in round 2, phase run", or the calibration round's equivalent. */
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

/* What the target wrote to stderr since the timeout's dump request. */
static char *
timeout_dump(const struct engine *e)
{
    size_t n = e->err_total - e->dump_from;

    if (n == 0) {
        return NULL;
    }
    if (n > e->tail.len) {
        n = e->tail.len;
    }
    return xstrdup(e->tail.data + e->tail.len - n);
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
    free(h->message);
    h->message = with_body(xasprintf("%s %s", reason, at), body);
    free(at);
}

/* The message so far, taken out of the hunt. */
static char *
take_message(struct hunt *h)
{
    char *m = h->message;

    h->message = NULL;
    return m;
}

#define LOST "the worker lost its report channel"

/* The facts of the hunt as the engine saw them. */
static struct outcome_facts
facts(const struct engine *e)
{
    const struct hunt *h = judged(e);
    struct outcome_facts f;
    int ws = e->end.status;

    memset(&f, 0, sizeof f);
    f.timed_out = e->timed_out;
    f.interrupted = e->interrupted;
    f.corrupted = e->ch.corrupted;
    f.records_gone = e->gone;
    f.hello = h->python.version != NULL;
    f.has_fail = e->ch.has_fail;
    f.finished = h->finished;
    f.fail_round = h->fail_round;
    f.fail_phase = h->fail_phase;
    f.reinit = h->settings->mode == MODE_REINIT;
    f.round1_measured = h->nrounds > 0 && h->rounds[0].measured;
    f.signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    f.exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    f.said_lost = e->end.lost;
    return f;
}

/* The words for an outcome: reason, message, note. */
static void
describe(struct engine *e, struct outcome o, const struct outcome_facts *f)
{
    struct hunt *h = judged(e);

    h->status = o.status;
    if (f->signal != 0) {
        h->signal = f->signal;      /* ours, if it timed out */
    }
    switch (o.reason) {
    case REASON_NONE:
        break;
    case REASON_TIMEOUT:
        set_reason(h, xasprintf("timed out after %g s", h->settings->timeout),
            timeout_dump(e));
        break;
    case REASON_INTERRUPTED:
        h->signal = f->interrupted;
        set_reason(h, xasprintf("interrupted by %s",
            signal_name(f->interrupted)), NULL);
        break;
    case REASON_CORRUPTED:
        set_reason(h, xstrdup(LOST), take_message(h));    /* how it broke */
        break;
    case REASON_CHANNEL_LOST:
        set_reason(h, xstrdup(LOST), xasprintf("the record pipe "
            "(descriptor %d in the worker) was closed or replaced before "
            "the hunt ended (does the target close descriptors it does not "
            "own, os.closerange()?)", e->worker_fd));
        break;
    case REASON_NO_PYTHON:
        set_reason(h, xstrdup("the embedded Python cannot be initialized"),
            take_message(h));
        break;
    case REASON_NO_REINIT:
        h->note = xasprintf("round %d failed after round 1 succeeded: the "
            "target may not survive re-initialization in one process "
            "(numpy cannot); try --mode loop", h->fail_round);
        /* FALLTHROUGH */
    case REASON_TARGET_FAILED:
        /* An exit status alone says little: add what the target printed
         * last (unittest's summary, say). */
        if (h->message != NULL && strchr(h->message, '\n') == NULL) {
            h->reason = xstrdup(h->message);
            h->message = with_body(h->message, last_lines(&e->tail));
            if (e->out_tail.len > 0) {
                h->message = with_body(h->message, last_lines(&e->out_tail));
            }
        }
        break;
    case REASON_KILLED:
        set_reason(h, xasprintf("the worker was killed by %s (%s)",
            signal_name(f->signal), strsignal(f->signal)),
            crash_text(&e->tail));
        break;
    case REASON_NO_WORKER:
        h->exit_code = f->exit_code;
        set_reason(h, xasprintf("the worker did not start (exit status %d)",
            f->exit_code), crash_text(&e->tail));
        break;
    case REASON_WORKER_EXITED:
        h->exit_code = f->exit_code;
        set_reason(h, xasprintf("the worker exited with status %d before "
            "the round ended (os._exit() or exit() in the target?)",
            f->exit_code), f->exit_code != 0 ? NULL : xstrdup("Status 0 "
            "ends a python process as a success, but refhunt needs the "
            "process for the rounds after it: no verdict without them."));
        break;
    }
}

void
engine_finish(struct engine *e)
{
    struct hunt *h = judged(e);
    struct outcome_facts f;
    int *fds[3] = { &e->rec_fd, &e->err_fd, &e->out_fd }, i;

    if (!(e->state & ENGINE_DEAD)) {
        /* not over yet: the caller gives up on it */
        keeper_kill(&e->keeper);
        waitpid(e->keeper.pid, NULL, 0);
        e->end = keeper_worker_end(&e->keeper);
        e->state |= ENGINE_DEAD;
    }
    /* Read what the worker wrote before it went, without waiting for an
     * EOF that a process that escaped may never give. */
    drain_all(e);
    for (i = 0; i < 3; i++) {
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    }
    e->state |= ENGINE_CLOSED;
    /* Where it stopped: the fail record says, or else the last phase. */
    if (!e->ch.has_fail) {
        h->fail_round = e->ch.last_round;
        h->fail_phase = e->ch.last_phase;
    }
    f = facts(e);
    describe(e, outcome_decide(&f), &f);
    e->h->seconds = clock_now() - e->started;
    if (e->tail.len > 0) {
        e->h->output_tail = xstrdup(e->tail.data);
    }
    channel_free(&e->ch);
    free(e->tail.data);
    free(e->out_tail.data);
    free(e);
}
