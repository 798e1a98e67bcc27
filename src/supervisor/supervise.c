/*
 * supervise.c: hunts run side by side in one poll loop.
 *
 * As ninja's SubprocessSet: every running engine's descriptors and the
 * wake-up pipe in one poll(); a hunt that ends is handed back to the
 * caller as data, and the next one starts. The interrupt flag and the
 * wake-up pipe are the only process-wide state: signals are.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "supervise.h"
#include "xmalloc.h"

#define POLL_MAX_MS     1000    /* nothing to do: still look around */
#define PROGRESS_MS     100     /* the progress line's clock */

static volatile sig_atomic_t interrupted;

/* Written to by signal handlers; read (emptied) by the poll loop. */
static int wake_pipe[2] = { -1, -1 };

static void
wake(void)
{
    int saved = errno;

    if (wake_pipe[1] >= 0 && write(wake_pipe[1], "w", 1) < 0) {
        ;   /* full: a wake-up is pending anyway */
    }
    errno = saved;
}

static void
on_signal(int sig)
{
    interrupted = sig;
    wake();
}

static void
on_child(int sig)
{
    (void)sig;
    wake();
}

int
supervise_jobs(const struct settings *st)
{
    cpu_set_t cpus;
    int n;

    if (st->jobs > 0) {
        return st->jobs;
    }
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0) {
        n = CPU_COUNT(&cpus);
    } else {
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    return n < 1 ? 1 : n;
}

void
supervise_signals(void)
{
    struct sigaction sa;

    /* SIGCHLD wakes the poll loop through a pipe: a keeper's exit is seen
     * at once (pidfd_open would do, but not under valgrind, which the
     * test setup uses) */
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        wake_pipe[0] = wake_pipe[1] = -1;
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
    sigaction(SIGHUP, &sa, NULL);       /* the terminal closed */
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

/* The last max bytes of a hunt's name, from a UTF-8 character's start,
 * after "...": targets of --each differ at the end (-c CODE a, -c CODE b). */
static void
name_tail(char *buf, size_t size, const char *name, size_t max)
{
    size_t len = strlen(name);

    if (len <= max) {
        snprintf(buf, size, "%s", name);
        return;
    }
    name += len - max;
    while (((unsigned char)*name & 0xc0) == 0x80) {
        name++;
    }
    snprintf(buf, size, "...%s", name);
}

/* The line redrawn on stderr: one hunt's round, or for many the number
 * done and the running ones. */
static void
draw_progress(struct engine **running, int nrunning, int ndone, int total,
    double elapsed)
{
    char line[512], name[40];
    const struct hunt *h;
    int i, n;

    if (total == 1) {
        /* one hunt, or its import share's round after it; --per-test:
         * the test under way and its run */
        h = engine_current(running[0]);
        if (h->settings->per_test && h == engine_hunt(running[0])) {
            n = snprintf(line, sizeof line, "\r\033[Krefhunt: %.60s: "
                "collecting, %.1f s", h->name, elapsed);
        } else if (h == engine_hunt(running[0])->share) {
            n = snprintf(line, sizeof line, "\r\033[Krefhunt: %.60s: "
                "import share round %d/%d, %.1f s", h->name, h->started - 1,
                h->nrounds - 1, elapsed);
        } else {
            n = snprintf(line, sizeof line, "\r\033[Krefhunt: %.60s: %s "
                "%d/%d, %.1f s", h->name, h->settings->per_test ? "run" :
                "round", h->started, h->nrounds, elapsed);
        }
    } else {
        n = snprintf(line, sizeof line, "\r\033[Krefhunt: %d/%d done, "
            "%.1f s", ndone, total, elapsed);
        for (i = 0; i < nrunning && n > 0 && (size_t)n < sizeof line - 80;
            i++) {
            h = engine_hunt(running[i]);
            name_tail(name, sizeof name, h->name, 30);
            if (h->started > 0) {
                n += snprintf(line + n, sizeof line - (size_t)n,
                    "; %s round %d/%d", name, h->started, h->nrounds);
            } else {
                n += snprintf(line + n, sizeof line - (size_t)n,
                    "; %s starting", name);
            }
        }
    }
    if (n > 0 && write(STDERR_FILENO, line, strlen(line)) < 0) {
        ;   /* stderr is gone: no progress */
    }
}

static void
clear_progress(void)
{
    if (write(STDERR_FILENO, "\r\033[K", 4) < 0) {
        ;
    }
}

/* Milliseconds to wait in poll: until the nearest deadline. */
static int
poll_ms(struct engine **running, int nrunning, int progress)
{
    double now = clock_now(), d, soonest = 0;
    int i, ms = progress ? PROGRESS_MS : POLL_MAX_MS;

    for (i = 0; i < nrunning; i++) {
        d = engine_deadline(running[i]);
        if (d != 0 && (soonest == 0 || d < soonest)) {
            soonest = d;
        }
    }
    if (soonest != 0) {
        d = (soonest - now) * 1000 + 1;
        if (d < ms) {
            ms = d < 0 ? 0 : (int)d;
        }
    }
    return ms;
}

/* The hunts waiting to start: the given ones in order, follow-ups first. */
struct queue {
    struct hunt   **given;
    int             ngiven, next;
    struct hunt   **follow;         /* a stack: a follow-up is urgent */
    int             nfollow;
};

static struct hunt *
queue_take(struct queue *q)
{
    if (q->nfollow > 0) {
        return q->follow[--q->nfollow];
    }
    return q->next < q->ngiven ? q->given[q->next++] : NULL;
}

/* A hunt that could not start yet: it is the next to start. */
static void
queue_put_back(struct queue *q, struct hunt *h)
{
    q->follow = xreallocarray(q->follow, (size_t)q->nfollow + 1,
        sizeof *q->follow);
    q->follow[q->nfollow++] = h;
}

/* A hunt is over: tell the caller, and queue what it asks for next. */
static void
ended(struct queue *q, struct hunt *h, const struct supervision *sv,
    int *total)
{
    struct hunt *more;

    if (sv->done == NULL || (more = sv->done(h, sv->arg)) == NULL) {
        return;
    }
    queue_put_back(q, more);
    (*total)++;
}

void
supervise_all(struct hunt **hunts, int nhunts, const struct supervision *sv)
{
    struct engine **running = xcalloc((size_t)sv->jobs, sizeof *running);
    struct pollfd *pfd = xcalloc((size_t)sv->jobs * ENGINE_FDS + 1,
        sizeof *pfd);
    int *first = xcalloc((size_t)sv->jobs + 1, sizeof *first);
    struct queue q = { .given = hunts, .ngiven = nhunts };
    int nrunning = 0, ndone = 0, total = nhunts, npfd, i, n;
    int jobs = sv->jobs;
    double started = clock_now();
    char drain_buf[64], *cause = NULL;
    struct hunt *h;

    while (ndone < total) {
        while (nrunning < jobs && !interrupted &&
            (h = queue_take(&q)) != NULL) {
            running[nrunning] = engine_start(h, sv->worker, sv->output,
                &cause);
            if (running[nrunning] != NULL) {
                nrunning++;
                continue;
            }
            /* out of descriptors or processes: fewer at once, and this
             * one again when one ends (if none runs, it is an error) */
            if (engine_busy(errno) && nrunning > 0) {
                queue_put_back(&q, h);
                jobs = nrunning;
                free(cause);
                cause = NULL;
                break;
            }
            /* it could not start: an error of its own, reported */
            hunt_set_error(h, cause);
            free(cause);
            cause = NULL;
            ndone++;
            ended(&q, h, sv, &total);
        }
        if (nrunning == 0) {
            break;      /* all done, or interrupted before all started */
        }
        npfd = 0;
        for (i = 0; i < nrunning; i++) {
            first[i] = npfd;
            npfd += engine_poll_fds(running[i], pfd + npfd);
        }
        first[nrunning] = npfd;
        pfd[npfd] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
        if (sv->progress) {
            draw_progress(running, nrunning, ndone, nhunts == 1 ? 1 : total,
                clock_now() - started);
        }
        n = poll(pfd, (nfds_t)npfd + 1, poll_ms(running, nrunning,
            sv->progress));
        if (n > 0 && pfd[npfd].revents != 0) {
            while (read(wake_pipe[0], drain_buf, sizeof drain_buf) > 0) {
                ;   /* the wake-up is all it says */
            }
        }
        for (i = 0; i < nrunning; i++) {
            if (!engine_step(running[i], pfd + first[i],
                first[i + 1] - first[i], interrupted)) {
                continue;
            }
            h = engine_hunt(running[i]);
            engine_finish(running[i]);
            /* keep the order of the rest: the progress line reads well */
            memmove(&running[i], &running[i + 1],
                (size_t)(nrunning - i - 1) * sizeof *running);
            memmove(&first[i], &first[i + 1],
                (size_t)(nrunning - i) * sizeof *first);
            nrunning--;
            i--;
            ndone++;
            if (sv->progress) {
                clear_progress();
            }
            ended(&q, h, sv, &total);
        }
    }
    /* Interrupted: follow-ups that never started end as interrupted, so
     * that the hunts they follow end too. */
    while (q.nfollow > 0) {
        h = q.follow[--q.nfollow];
        h->status = STATUS_INTERRUPTED;
        h->signal = interrupted;
        ended(&q, h, sv, &total);
    }
    if (sv->progress) {
        clear_progress();
    }
    free(q.follow);
    free(running);
    free(pfd);
    free(first);
}

void
supervise_hunt(struct hunt *h, const char *worker)
{
    const struct settings *st = h->settings;
    struct supervision sv = {
        .worker = worker,
        .jobs = 1,
        .output = st->quiet ? OUTPUT_DROP : OUTPUT_PASS,
        .progress = st->quiet && isatty(STDERR_FILENO),
    };

    supervise_all(&h, 1, &sv);
    if (h->started == 0 && h->status == STATUS_CLEAN && interrupted) {
        h->status = STATUS_INTERRUPTED;     /* never started */
        h->signal = interrupted;
    }
}
