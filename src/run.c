/*
 * run.c: a run of refhunt, with one target or many, and its reports.
 *
 * One target: a hunt (supervise.c), its verdict, and the reports the
 * options ask for: text, JSON, JUnit, baseline, GitHub annotations.
 *
 * Many targets (--each): every target is hunted by a refhunt of its own
 * (this binary again, one target, -q, its reports into temporary files),
 * -j N at a time. That child is the supervisor of its hunt as a single
 * run would be, so a hunt is always alone in its process (the supervisor
 * reaps strays as a subreaper). Results are printed in the order the
 * targets were given; the run's exit status is the worst.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "baseline.h"
#include "junit.h"
#include "report.h"
#include "run.h"
#include "supervise.h"
#include "verdict.h"
#include "xmalloc.h"

#define EXIT_USAGE 2

/* Opens a report file ("-" is stdout); NULL with *cause naming the
 * option and file. */
static FILE *
open_report(const char *option, const char *path, char **cause)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

    if (f == NULL) {
        *cause = xasprintf("%s %s: %s", option, path, strerror(errno));
    }
    return f;
}

/* Closes it; -1 with *cause naming the option and file on any error. */
static int
close_report(FILE *f, const char *option, const char *path, char **cause)
{
    int failed = fflush(f) != 0 || ferror(f);
    struct stat sb;

    if (f != stdout && fclose(f) != 0) {
        failed = 1;
    }
    if (failed) {
        *cause = xasprintf("%s %s: %s", option, path, strerror(errno));
        /* no half a report; but never a device such as /dev/full */
        if (f != stdout && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            unlink(path);
        }
    }
    return failed ? -1 : 0;
}

/* --junit (a whole document) and the internal --junit-case (one case). */
static int
write_junit(const struct settings *st, const struct hunt *h, char **cause)
{
    const char *path = st->junit_path != NULL ? st->junit_path :
        st->junit_case_path;
    FILE *f;

    if (path == NULL) {
        return 0;
    }
    if ((f = open_report("--junit", path, cause)) == NULL) {
        return -1;
    }
    if (st->junit_path != NULL) {
        junit_begin(f, 1, h->status != STATUS_CLEAN, h->seconds);
    }
    junit_case(f, h);
    if (st->junit_path != NULL) {
        junit_end(f);
    }
    return close_report(f, "--junit", path, cause);
}

/* --write-baseline, and the internal --baseline-out (lines only). */
static int
write_baseline(const struct settings *st, const struct hunt *h, char **cause)
{
    const char *path = st->write_baseline_path != NULL ?
        st->write_baseline_path : st->baseline_out_path;
    FILE *f;

    if (path == NULL) {
        return 0;
    }
    if ((f = open_report("--write-baseline", path, cause)) == NULL) {
        return -1;
    }
    if (st->write_baseline_path != NULL) {
        fprintf(f, "# refhunt baseline: METRIC MAX TARGET a line\n");
    }
    baseline_write(f, h);
    return close_report(f, "--write-baseline", path, cause);
}

int
run_one(const struct settings *st, const char *exe)
{
    struct baseline *base = NULL;
    char *cause = NULL;
    struct hunt *h;
    int json_stdout, status, text_errno, failed = 0;
    FILE *text;

    if (st->baseline_path != NULL &&
        (base = baseline_read(st->baseline_path, &cause)) == NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        return EXIT_USAGE;
    }
    json_stdout = st->json_path != NULL && strcmp(st->json_path, "-") == 0;
    text = json_stdout ? stderr : stdout;
    supervise_progress(st->quiet && isatty(STDERR_FILENO));
    h = hunt_new(st);
    supervise_hunt(h, exe);
    verdict_compute(h);
    if (base != NULL) {
        baseline_apply(base, h);
    }
    status = verdict_exit_status(h);

    /* The JSON first: neither a reader of the text that leaves early
     * (refhunt | head) nor a full disk for the text may cost it. */
    if (st->json_path != NULL &&
        report_json(h, json_stdout, st->json_path, &cause) != 0) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        failed = 1;
    }
    if (write_junit(st, h, &cause) != 0) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        failed = 1;
    }
    if (write_baseline(st, h, &cause) != 0) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        failed = 1;
    }
    report_text(h, text);
    if (getenv("GITHUB_ACTIONS") != NULL &&
        strcmp(getenv("GITHUB_ACTIONS"), "true") == 0) {
        report_annotations(h, text);
    }
    text_errno = fflush(text) != 0 || ferror(text) ? errno : 0;
    /* A closed pipe is the reader's choice: the verdict stands. */
    if (text_errno != 0 && text_errno != EPIPE) {
        fprintf(stderr, "refhunt: cannot write the report to %s: %s\n",
            json_stdout ? "stderr" : "stdout", strerror(text_errno));
        failed = 1;
    }
    hunt_free(h);
    baseline_free(base);
    return failed ? EXIT_USAGE : status;
}

/* ---- many targets */

/* One target of the run and what became of it. */
struct job {
    struct settings st;             /* the target, as a single run */
    char           *name;           /* as printed */
    char           *dir;            /* its temporary files */
    pid_t           pid;            /* its refhunt, while it runs */
    int             progress;       /* read end of its progress pipe */
    char            round[32];      /* "3/6", from it */
    int             done;
    int             exit_status;
    int             printed;
};

/* How bad an exit status is: the run's is the worst of its targets'. */
static int
rank(int exit_status)
{
    switch (exit_status) {
    case 0:  return 0;      /* clean */
    case 1:  return 1;      /* leak */
    case 3:  return 2;      /* failed */
    case 4:  return 3;      /* crashed */
    case 5:  return 4;      /* timeout */
    case 2:  return 6;      /* error */
    }
    return 5;               /* interrupted, or a signal */
}

/* The targets --each makes of the operands: scripts, or one target per
 * argument of -m module and -c code. */
static struct job *
plan(const struct settings *st, int *njobs)
{
    struct job *jobs;
    int n = 0, i, total;

    total = st->kind == TARGET_SCRIPT ? st->nargs + 1 : st->nargs;
    jobs = xcalloc((size_t)(total > 0 ? total : 1), sizeof *jobs);
    for (i = 0; i < total; i++) {
        /* --shard K/N: a stable part, by position in the order given */
        if (st->shard_n > 0 && i % st->shard_n != st->shard_k - 1) {
            continue;
        }
        jobs[n].st = *st;
        jobs[n].st.each = 0;
        if (st->kind == TARGET_SCRIPT) {
            jobs[n].st.target = i == 0 ? st->target : st->args[i - 1];
            jobs[n].st.nargs = 0;
        } else {
            jobs[n].st.args = st->args + i;
            jobs[n].st.nargs = 1;
        }
        jobs[n].progress = -1;
        jobs[n].pid = -1;
        n++;
    }
    *njobs = n;
    return jobs;
}

static char *
job_file(const struct job *j, const char *name)
{
    return xasprintf("%s/%s", j->dir, name);
}

/* Starts the refhunt of one target, its output into files of its own. */
static void
start(struct job *j, const char *exe, const struct settings *st, int color)
{
    char *json = job_file(j, "report.json"), *out = job_file(j, "stdout");
    char *err = job_file(j, "stderr"), *junit = job_file(j, "case.xml");
    char *base = job_file(j, "baseline"), **argv, *opts[12];
    int n = 0, fd, p[2] = { -1, -1 };

    opts[n++] = xasprintf("--json=%s", json);
    /* the target's own output is no part of a many-target report; -v
     * asks for everything, -q -v for the round table without it */
    if (!st->verbose || st->quiet) {
        opts[n++] = xstrdup("-q");
    }
    if (st->verbose) {
        opts[n++] = xstrdup("-v");
    }
    opts[n++] = xstrdup(color ? "--color=always" : "--color=never");
    if (st->junit_path != NULL) {
        opts[n++] = xasprintf("--junit-case=%s", junit);
    }
    if (st->write_baseline_path != NULL) {
        opts[n++] = xasprintf("--baseline-out=%s", base);
    }
    if (st->baseline_path != NULL) {
        opts[n++] = xasprintf("--baseline=%s", st->baseline_path);
    }
    if (st->timeout > 0) {
        opts[n++] = xasprintf("--timeout=%g", st->timeout);
    }
    opts[n] = NULL;
    j->st.quiet = 0;        /* -q or -v are in opts */
    j->st.verbose = 0;
    argv = cli_child_argv(exe, &j->st, (const char *const *)opts);
    if (pipe2(p, O_CLOEXEC) < 0) {
        p[0] = p[1] = -1;
    }
    fflush(stdout);
    fflush(stderr);
    j->pid = fork();
    if (j->pid < 0) {
        fatal("fork");
    }
    if (j->pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        /* O_CLOEXEC: only the dup2 copies go on to the hunt */
        if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
            0600)) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
            (fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
            0600)) < 0 ||
            dup2(fd, STDERR_FILENO) < 0) {
            _exit(EXIT_USAGE);
        }
        if (p[1] >= 0 && fcntl(p[1], F_SETFD, 0) == 0) {
            char env[16];

            snprintf(env, sizeof env, "%d", p[1]);
            setenv("REFHUNT_PROGRESS_FD", env, 1);
        }
        execv(exe, argv);
        dprintf(STDERR_FILENO, "refhunt: cannot run %s: %s\n", exe,
            strerror(errno));
        _exit(EXIT_USAGE);
    }
    if (p[1] >= 0) {
        close(p[1]);
    }
    j->progress = p[0];
    if (j->progress >= 0) {
        fcntl(j->progress, F_SETFL, O_NONBLOCK);
    }
    cli_worker_argv_free(argv);
    while (n > 0) {
        free(opts[--n]);
    }
    free(json);
    free(out);
    free(err);
    free(junit);
    free(base);
}

/* Reads a whole small file into a string; NULL if there is none. */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *data = NULL;
    size_t len = 0;
    FILE *mem;
    int c;

    if (f == NULL) {
        return NULL;
    }
    mem = open_memstream(&data, &len);
    while (mem != NULL && (c = getc(f)) != EOF) {
        putc(c, mem);
    }
    if (mem != NULL) {
        fclose(mem);
    }
    fclose(f);
    return data;
}

/* Copies a job's captured output to ours. */
static void
relay(const struct job *j, const char *name, FILE *to)
{
    char *path = job_file(j, name), *data = slurp(path);

    if (data != NULL) {
        fputs(data, to);
    }
    free(data);
    free(path);
}

/* The last max bytes of a target's name, from a UTF-8 character's start:
 * targets of --each differ at the end (-c CODE a, -c CODE b). */
static const char *
name_tail(const char *name, size_t max)
{
    size_t len = strlen(name);

    if (len <= max) {
        return name;
    }
    name += len - max;
    while (((unsigned char)*name & 0xc0) == 0x80) {
        name++;
    }
    return name;
}

/* The progress line: done/total, the running targets and their rounds. */
static void
draw_progress(const struct job *jobs, int njobs, int ndone, double elapsed)
{
    char line[512];
    const char *tail;
    int i, n;

    n = snprintf(line, sizeof line, "\r\033[Krefhunt: %d/%d done, %.1f s",
        ndone, njobs, elapsed);
    for (i = 0; i < njobs && n > 0 && (size_t)n < sizeof line - 80; i++) {
        if (jobs[i].pid > 0 && !jobs[i].done) {
            tail = name_tail(jobs[i].name, 30);
            n += snprintf(line + n, sizeof line - (size_t)n, "; %s%s %s",
                tail == jobs[i].name ? "" : "...", tail,
                jobs[i].round[0] != '\0' ? jobs[i].round : "starting");
        }
    }
    if (n > 0 && write(STDERR_FILENO, line, strlen(line)) < 0) {
        ;   /* stderr is gone: no progress */
    }
}

/* The latest "R/N" a job's refhunt sent. */
static void
read_progress(struct job *j)
{
    char buf[256], *nl, *start;
    ssize_t n = read(j->progress, buf, sizeof buf - 1);

    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            close(j->progress);
            j->progress = -1;
        }
        return;
    }
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
    }
    nl = strrchr(buf, '\n');
    start = nl != NULL ? nl + 1 : buf;
    snprintf(j->round, sizeof j->round, "round %.20s", start);
}

/* {"targets": [...]}: the targets' reports, in order; a target without
 * one (its refhunt failed before it could write it) gets a short one. */
static int
write_json(const struct settings *st, struct job *jobs, int njobs, int worst,
    char **cause)
{
    FILE *f = open_report("--json", st->json_path, cause);
    char *path, *data;
    int i;

    if (f == NULL) {
        return -1;
    }
    fprintf(f, "{\"exit_status\": %d, \"targets\": [", worst);
    for (i = 0; i < njobs; i++) {
        path = job_file(&jobs[i], "report.json");
        data = slurp(path);
        fputs(i > 0 ? ",\n" : "\n", f);
        if (data != NULL && data[0] == '{') {
            fputs(data, f);
        } else {
            fprintf(f, "{\"target\": \"");
            for (const char *p = jobs[i].name; *p != '\0'; p++) {
                if (*p == '"' || *p == '\\') {
                    fputc('\\', f);
                }
                fputc((unsigned char)*p < 0x20 ? '?' : *p, f);
            }
            fprintf(f, "\", \"status\": \"%s\", \"exit_status\": %d}\n",
                jobs[i].pid < 0 ? "interrupted" : "error",
                jobs[i].exit_status);
        }
        free(data);
        free(path);
    }
    fprintf(f, "]}\n");
    return close_report(f, "--json", st->json_path, cause);
}

static int
write_junit_all(const struct settings *st, struct job *jobs, int njobs,
    double seconds, char **cause)
{
    FILE *f = open_report("--junit", st->junit_path, cause);
    int i, failures = 0;

    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < njobs; i++) {
        failures += jobs[i].exit_status != 0;
    }
    junit_begin(f, njobs, failures, seconds);
    for (i = 0; i < njobs; i++) {
        char *path = job_file(&jobs[i], "case.xml"), *data = slurp(path);

        if (data != NULL && data[0] != '\0') {
            fputs(data, f);
        } else {
            /* its refhunt could not write one: a failure all the same */
            junit_bare_failure(f, jobs[i].name, jobs[i].exit_status);
        }
        free(data);
        free(path);
    }
    junit_end(f);
    return close_report(f, "--junit", st->junit_path, cause);
}

static int
write_baseline_all(const struct settings *st, struct job *jobs, int njobs,
    char **cause)
{
    FILE *f = open_report("--write-baseline", st->write_baseline_path,
        cause);
    int i;

    if (f == NULL) {
        return -1;
    }
    fprintf(f, "# refhunt baseline: METRIC MAX TARGET a line\n");
    for (i = 0; i < njobs; i++) {
        relay(&jobs[i], "baseline", f);
    }
    return close_report(f, "--write-baseline", st->write_baseline_path,
        cause);
}

static void
remove_dir(const char *dir)
{
    static const char *const files[] = { "report.json", "stdout", "stderr",
        "case.xml", "baseline" };
    char *path;
    size_t i;

    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        path = xasprintf("%s/%s", dir, files[i]);
        unlink(path);
        free(path);
    }
    rmdir(dir);
}

int
run_each(const struct settings *st, const char *exe, int color)
{
    struct baseline *base;
    struct job *jobs;
    struct pollfd pfd[1024];
    struct hunt *named;
    char *cause = NULL, tmpl[] = "/tmp/refhunt.XXXXXX", *root;
    int njobs, running = 0, next = 0, ndone = 0, printed = 0, i, n, ws;
    int jobs_max = st->jobs > 0 ? st->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    int worst = 0, tty = isatty(STDERR_FILENO), failed = 0;
    FILE *text = st->json_path != NULL && strcmp(st->json_path, "-") == 0 ?
        stderr : stdout;
    double started = clock_now();
    pid_t pid;

    if (st->baseline_path != NULL) {
        /* read once here: a malformed one is a usage error before any hunt */
        if ((base = baseline_read(st->baseline_path, &cause)) == NULL) {
            fprintf(stderr, "refhunt: %s\n", cause);
            free(cause);
            return EXIT_USAGE;
        }
        baseline_free(base);
    }
    jobs = plan(st, &njobs);
    if (njobs == 0) {
        /* still the reports, empty, for a CI job that collects them */
        fprintf(stderr, "refhunt: --shard %d/%d leaves no target of these\n",
            st->shard_k, st->shard_n);
    }
    if ((root = mkdtemp(tmpl)) == NULL) {
        fatal("mkdtemp");
    }
    for (i = 0; i < njobs; i++) {
        named = hunt_new(&jobs[i].st);
        jobs[i].name = xstrdup(named->name);
        hunt_free(named);
        jobs[i].dir = xasprintf("%s/%d", root, i);
        if (mkdir(jobs[i].dir, 0700) != 0) {
            fatal("mkdir %s", jobs[i].dir);
        }
    }
    if (jobs_max < 1) {
        jobs_max = 1;
    }
    while (ndone < njobs) {
        while (running < jobs_max && next < njobs &&
            !supervise_interrupted()) {
            start(&jobs[next++], exe, st, color);
            running++;
        }
        if (running == 0) {
            break;      /* interrupted before all started */
        }
        n = 0;
        for (i = 0; i < njobs && n < 1024; i++) {
            if (jobs[i].pid > 0 && !jobs[i].done && jobs[i].progress >= 0) {
                pfd[n].fd = jobs[i].progress;
                pfd[n].events = POLLIN;
                n++;
            }
        }
        poll(pfd, (nfds_t)n, 100);
        for (i = 0; i < njobs; i++) {
            if (jobs[i].pid > 0 && !jobs[i].done && jobs[i].progress >= 0) {
                read_progress(&jobs[i]);
            }
        }
        if (supervise_interrupted()) {
            for (i = 0; i < njobs; i++) {
                if (jobs[i].pid > 0 && !jobs[i].done) {
                    kill(jobs[i].pid, supervise_interrupted());
                }
            }
        }
        while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
            for (i = 0; i < njobs; i++) {
                if (jobs[i].pid == pid && !jobs[i].done) {
                    jobs[i].done = 1;
                    jobs[i].exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) :
                        128 + WTERMSIG(ws);
                    if (jobs[i].progress >= 0) {
                        close(jobs[i].progress);
                    }
                    running--;
                    ndone++;
                }
            }
        }
        /* Reports in the order given, as soon as the ones before are out. */
        while (printed < njobs && jobs[printed].done) {
            if (tty) {
                fputs("\r\033[K", stderr);
            }
            relay(&jobs[printed], "stdout", text);
            relay(&jobs[printed], "stderr", stderr);
            fflush(text);
            if (rank(jobs[printed].exit_status) > rank(worst)) {
                worst = jobs[printed].exit_status;
            }
            printed++;
        }
        if (tty && ndone < njobs) {
            draw_progress(jobs, njobs, ndone, clock_now() - started);
        }
    }
    if (tty) {
        fputs("\r\033[K", stderr);
    }
    if (supervise_interrupted()) {
        worst = 128 + supervise_interrupted();
        for (i = 0; i < njobs; i++) {
            if (jobs[i].pid < 0) {      /* never started: interrupted too */
                jobs[i].done = 1;
                jobs[i].exit_status = worst;
            }
        }
    }
    for (i = 0, n = 0; i < njobs; i++) {
        n += jobs[i].done && jobs[i].exit_status == 0;
    }
    fprintf(text, "refhunt: %d target%s: %d clean, %d not (%.1f s, -j %d)\n",
        njobs, njobs == 1 ? "" : "s", n, njobs - n, clock_now() - started,
        jobs_max);
    /* Every report asked for, each whatever became of the others. */
    for (i = 0; i < 3; i++) {
        int rc = 0;

        if (i == 0 && st->json_path != NULL) {
            rc = write_json(st, jobs, njobs, worst, &cause);
        } else if (i == 1 && st->junit_path != NULL) {
            rc = write_junit_all(st, jobs, njobs, clock_now() - started,
                &cause);
        } else if (i == 2 && st->write_baseline_path != NULL) {
            rc = write_baseline_all(st, jobs, njobs, &cause);
        }
        if (rc != 0) {
            fprintf(stderr, "refhunt: %s\n", cause);
            free(cause);
            failed = 1;
        }
    }
    for (i = 0; i < njobs; i++) {
        remove_dir(jobs[i].dir);
        free(jobs[i].dir);
        free(jobs[i].name);
    }
    rmdir(root);
    free(jobs);
    return failed ? EXIT_USAGE : worst;
}
