/*
 * pertest.c: --per-test, the supervisor's side. Every test of a pytest or
 * unittest suite gets its own verdict in one pass.
 *
 * A worker (pertest_worker.c) collects the suite and hunts the tests in
 * order, each a hunt of its own in the channel (its runs are its rounds).
 * A test that crashes or hangs its worker gets that worker's status
 * (crashed, timeout), and a new worker, told to start at the next test,
 * goes on: each worker is one supervise_hunt(), and every verdict so far
 * is kept. The suite's report is one hunt whose tests are all of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "json.h"
#include "junit.h"
#include "pertest.h"
#include "report.h"
#include "supervise.h"
#include "verdict.h"
#include "xmalloc.h"

#define EXIT_USAGE 2

/* The settings of every worker, kept: each test's hunt points to its
 * worker's. */
struct workers {
    struct settings **st;
    int             n;
};

static struct settings *
worker_settings(struct workers *ws, const struct settings *st, int start)
{
    struct settings *s = xmalloc(sizeof *s);

    *s = *st;
    s->test_start = start;
    ws->st = xreallocarray(ws->st, (size_t)ws->n + 1, sizeof *ws->st);
    ws->st[ws->n++] = s;
    return s;
}

static char *
take(char **p)
{
    char *s = *p;

    *p = NULL;
    return s;
}

/* The worker ended inside test t: that is the test's end. */
static void
end_in_test(struct hunt *t, struct hunt *h)
{
    t->status = h->status == STATUS_CLEAN ? STATUS_CRASHED : h->status;
    free(t->reason);
    free(t->message);
    t->reason = take(&h->reason);
    t->message = take(&h->message);
    t->fail_round = h->fail_round;
    t->fail_phase = h->fail_phase;
    t->signal = h->signal;
    t->exit_code = h->exit_code;
    t->seconds = 0;
}

/* Moves the worker's tests into the suite's; 1 if it ended inside one. */
static int
merge(struct hunt *suite, struct hunt *h)
{
    struct tests *all = &suite->tests;
    int i, open = h->tests.open;

    all->hunt = xreallocarray(all->hunt, (size_t)(all->n + h->tests.n) + 1,
        sizeof *all->hunt);
    for (i = 0; i < h->tests.n; i++) {
        all->hunt[all->n++] = h->tests.hunt[i];
    }
    if (open && h->tests.n > 0) {
        end_in_test(h->tests.hunt[h->tests.n - 1], h);
    }
    free(h->tests.hunt);
    h->tests = (struct tests){ NULL, 0, 0 };
    if (suite->python.version == NULL && h->python.version != NULL) {
        suite->python = h->python;
        h->python = (struct python_info){ NULL, 0, 0, NULL };
    }
    return open;
}

/* The whole run failed (collection, the runner, a crash between tests). */
static void
whole_failed(struct hunt *suite, struct hunt *h)
{
    suite->status = h->status;
    suite->reason = take(&h->reason);
    suite->message = take(&h->message);
    suite->fail_round = h->fail_round;
    suite->fail_phase = h->fail_phase;
    suite->signal = h->signal;
    suite->exit_code = h->exit_code;
    suite->output_tail = take(&h->output_tail);
}

/* Hunts the suite: as many workers as crashes and hangs need. */
static struct hunt *
hunt_suite(const struct settings *st, const char *exe, struct workers *ws,
    int *nworkers)
{
    struct hunt *suite = hunt_new(st), *h;
    int start = st->test_start, ran, open;

    for (;;) {
        h = hunt_new(worker_settings(ws, st, start));
        supervise_hunt(h, exe);
        (*nworkers)++;
        if (suite->found.n == 0 && h->found.n > 0) {
            suite->found = h->found;
            h->found = (struct names){ NULL, 0 };
        }
        ran = h->tests.n;
        open = merge(suite, h);
        suite->seconds += h->seconds;
        if (!open) {
            if (h->status != STATUS_CLEAN) {
                whole_failed(suite, h);
            }
            hunt_free(h);
            break;
        }
        hunt_free(h);
        start += ran;
        if (supervise_interrupted() || start >= suite->found.n) {
            break;
        }
    }
    return suite;
}

/* Per test: the verdict, then the baseline; the suite's status is the
 * worst of its own and its tests'. */
static void
decide(struct hunt *suite, struct baseline *base)
{
    struct hunt *t;
    int i;

    for (i = 0; i < suite->tests.n; i++) {
        t = suite->tests.hunt[i];
        verdict_compute(t);
        if (base != NULL) {
            baseline_apply(base, t);
        }
        if (t->status > suite->status) {
            suite->status = t->status;
            suite->signal = t->signal;
        }
    }
}

/* ---- reports */

static const char *
test_status(const struct hunt *t)
{
    return t->outcome != NULL && t->status == STATUS_CLEAN ? t->outcome :
        status_name(t->status);
}

/* "212 tests: 3 leak, 1 failed, 208 clean" */
static void
counts(const struct hunt *suite, FILE *f)
{
    static const char *const order[] = { "leak", "failed", "crashed",
        "timeout", "interrupted", "skipped", "xfailed" };
    int i, k, n, clean = 0, known = 0, m;

    fprintf(f, "%d test%s:", suite->tests.n, suite->tests.n == 1 ? "" : "s");
    for (k = 0; k < (int)(sizeof order / sizeof order[0]); k++) {
        for (i = 0, n = 0; i < suite->tests.n; i++) {
            n += strcmp(test_status(suite->tests.hunt[i]), order[k]) == 0;
        }
        if (n > 0) {
            fprintf(f, " %d %s,", n, order[k]);
        }
    }
    for (i = 0; i < suite->tests.n; i++) {
        const struct hunt *t = suite->tests.hunt[i];

        if (strcmp(test_status(t), "clean") == 0) {
            clean++;
            for (m = 0; m < METRIC_COUNT; m++) {
                if (t->known[m] > 0) {
                    known++;
                    break;
                }
            }
        }
    }
    fprintf(f, " %d clean", clean);
    if (known > 0) {
        fprintf(f, " (%d within the baseline)", known);
    }
    if (suite->found.n > suite->tests.n) {
        fprintf(f, ", %d not run", suite->found.n - suite->tests.n);
    }
}

/* What the report says about one test that did not end well. */
static void
test_trouble(const struct hunt *t, int quiet, FILE *f)
{
    const char *body = t->message;
    char *last;

    fprintf(f, "%s %s", t->name, status_name(t->status));
    if (t->fail_round > 0) {
        fprintf(f, " in run %d", t->fail_round);
    }
    last = report_last_line(t->message);
    fprintf(f, ": %s\n", t->reason != NULL ? t->reason : last);
    free(last);
    if (t->reason != NULL) {
        /* crashed, timeout: stderr showed it, unless -q kept it */
        body = quiet && body != NULL && strchr(body, '\n') != NULL ?
            strchr(body, '\n') + 1 : NULL;
    }
    /* a failure: pytest's or unittest's own message, which no one
     * printed */
    if (body != NULL && strchr(body, '\n') != NULL) {
        fprintf(f, "%s%s", body, body[strlen(body) - 1] == '\n' ? "" : "\n");
    }
}

static void
text_report(const struct hunt *suite, FILE *f)
{
    const struct settings *st = suite->settings;
    const struct hunt *t;
    char *last;
    int i, m;

    for (i = 0; i < suite->tests.n; i++) {
        t = suite->tests.hunt[i];
        for (m = 0; m < METRIC_COUNT; m++) {
            if (t->leaked[m] || t->known[m] > 0) {
                report_leak_line_baseline(t, (enum metric)m, f);
            }
        }
        if (t->status >= STATUS_FAILED) {
            test_trouble(t, st->quiet, f);
        }
    }
    fprintf(f, "refhunt: %s: ", suite->name);
    if (suite->reason != NULL || suite->message != NULL) {
        last = report_last_line(suite->message);
        fprintf(f, "%s: %s; ", status_name(suite->status),
            suite->reason != NULL ? suite->reason : last);
        free(last);
    }
    counts(suite, f);
    fprintf(f, " (per test: %d warm-up%s + %d tracked run%s in loop mode",
        st->warmups, st->warmups == 1 ? "" : "s", st->tracked,
        st->tracked == 1 ? "" : "s");
    if (suite->python.version != NULL) {
        fprintf(f, "; Python %s %s", suite->python.version,
            suite->python.debug ? "debug build" : "release build");
        if (!suite->python.refs_available) {
            fprintf(f, ": blocks and fds only");
        }
    }
    fprintf(f, ")\n");
    /* a collection error: pytest's own words, which -q kept from the
     * terminal */
    if (suite->message != NULL && st->quiet &&
        strchr(suite->message, '\n') != NULL) {
        fprintf(f, "%s%s", suite->message,
            suite->message[strlen(suite->message) - 1] == '\n' ? "" : "\n");
    }
}

static void
json_test(const struct hunt *t, FILE *f)
{
    int m, more;

    fprintf(f, "    {\"id\": ");
    json_text(f, t->name);
    fprintf(f, ", \"status\": \"%s\", \"leaks\": ", test_status(t));
    json_leaks(f, t);
    fprintf(f, ", \"known\": {");
    for (m = 0, more = 0; m < METRIC_COUNT; m++) {
        if (t->known[m] > 0) {
            fprintf(f, "%s\"%s\": %" PRId64, more ? ", " : "",
                metric_key((enum metric)m), t->known[m]);
            more = 1;
        }
    }
    fprintf(f, "}, \"deltas\": ");
    json_deltas(f, t);
    fprintf(f, ", \"runs\": %d, \"message\": ", t->started);
    json_text(f, t->status == STATUS_CLEAN && t->outcome == NULL ? NULL :
        t->message);
    fputc('}', f);
}

static void
json_report(const struct hunt *suite, FILE *f)
{
    const struct settings *st = suite->settings;
    int i;

    fprintf(f, "{\n  \"target\": ");
    json_text(f, suite->name);
    fprintf(f, ",\n  \"kind\": \"module\",\n  \"argv\": [");
    json_text(f, st->target);
    for (i = 0; i < st->nargs; i++) {
        fputs(", ", f);
        json_text(f, st->args[i]);
    }
    fprintf(f, "],\n  \"per_test\": true,\n  \"status\": \"%s\",\n"
        "  \"exit_status\": %d,\n  \"collected\": %d,\n  \"tests\": [",
        status_name(suite->status), verdict_exit_status(suite),
        suite->found.n);
    for (i = 0; i < suite->tests.n; i++) {
        fputs(i > 0 ? ",\n" : "\n", f);
        json_test(suite->tests.hunt[i], f);
    }
    fprintf(f, "%s],\n  \"seconds\": %.3f,\n  \"mode\": \"%s\",\n"
        "  \"warmups\": %d,\n  \"tracked\": %d,\n  \"gc_passes\": %d",
        suite->tests.n > 0 ? "\n  " : "", suite->seconds, mode_name(st->mode),
        st->warmups, st->tracked, st->gc_passes);
    fprintf(f, ",\n  \"python\": {\"version\": ");
    json_text(f, suite->python.version);
    fprintf(f, ", \"debug\": %s, \"refs_available\": %s, "
        "\"blocks_source\": ", suite->python.debug ? "true" : "false",
        suite->python.refs_available ? "true" : "false");
    json_text(f, suite->python.blocks_source);
    fprintf(f, "},\n  \"message\": ");
    json_text(f, suite->message);
    fprintf(f, "\n}\n");
}

/* Opens a report file ("-": stdout); NULL with *cause. */
static FILE *
open_file(const char *option, const char *path, char **cause)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

    if (f == NULL) {
        *cause = xasprintf("%s %s: %s", option, path, strerror(errno));
    }
    return f;
}

/* Closes it; no half a report is left behind. */
static int
close_file(FILE *f, const char *option, const char *path, char **cause)
{
    int failed = fflush(f) != 0 || ferror(f);
    struct stat sb;

    if (f != stdout && fclose(f) != 0) {
        failed = 1;
    }
    if (failed) {
        *cause = xasprintf("%s %s: %s", option, path, strerror(errno));
        if (f != stdout && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            unlink(path);
        }
    }
    return failed ? -1 : 0;
}

/* The report files asked for; -1 if one could not be written (each is
 * tried whatever became of the others). */
static int
write_files(const struct hunt *suite)
{
    const struct settings *st = suite->settings;
    const char *junit = st->junit_path != NULL ? st->junit_path :
        st->junit_case_path;
    const char *base = st->write_baseline_path != NULL ?
        st->write_baseline_path : st->baseline_out_path;
    char *cause = NULL;
    int i, rc = 0, failures = 0;
    FILE *f;

    if (st->json_path != NULL &&
        (f = open_file("--json", st->json_path, &cause)) != NULL) {
        json_report(suite, f);
        close_file(f, "--json", st->json_path, &cause);
    }
    if (cause != NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(take(&cause));
        rc = -1;
    }
    if (junit != NULL && (f = open_file("--junit", junit, &cause)) != NULL) {
        for (i = 0; i < suite->tests.n; i++) {
            failures += suite->tests.hunt[i]->status != STATUS_CLEAN;
        }
        failures += suite->message != NULL;
        if (st->junit_path != NULL) {
            junit_begin(f, suite->tests.n + (suite->message != NULL),
                failures, suite->seconds);
        }
        for (i = 0; i < suite->tests.n; i++) {
            junit_case(f, suite->tests.hunt[i]);
        }
        if (suite->message != NULL) {
            /* the run itself failed: a case of its own */
            junit_case(f, suite);
        }
        if (st->junit_path != NULL) {
            junit_end(f);
        }
        close_file(f, "--junit", junit, &cause);
    }
    if (cause != NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(take(&cause));
        rc = -1;
    }
    if (base != NULL &&
        (f = open_file("--write-baseline", base, &cause)) != NULL) {
        if (st->write_baseline_path != NULL) {
            baseline_header(f, st);
        }
        for (i = 0; i < suite->tests.n; i++) {
            baseline_write(f, suite->tests.hunt[i]);
        }
        close_file(f, "--write-baseline", base, &cause);
    }
    if (cause != NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(take(&cause));
        rc = -1;
    }
    return rc;
}

int
pertest_main(const struct settings *st, const char *exe)
{
    struct baseline *base = NULL;
    struct workers ws = { NULL, 0 };
    struct hunt *suite;
    char *cause = NULL;
    int status, i, nworkers = 0, failed = 0;
    FILE *text = st->json_path != NULL && strcmp(st->json_path, "-") == 0 ?
        stderr : stdout;

    if (st->baseline_path != NULL &&
        (base = baseline_read(st->baseline_path, &cause)) == NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        return EXIT_USAGE;
    }
    supervise_progress(st->quiet && isatty(STDERR_FILENO));
    suite = hunt_suite(st, exe, &ws, &nworkers);
    decide(suite, base);
    if (suite->status == STATUS_CLEAN && suite->tests.n == 0 &&
        suite->message == NULL) {
        suite->status = STATUS_FAILED;
        suite->message = xstrdup("no test ran");
    }
    status = verdict_exit_status(suite);
    failed = write_files(suite) != 0;
    text_report(suite, text);
    if (base != NULL && !st->child) {
        baseline_unmatched(base, st->baseline_path, stderr);
    }
    if (getenv("GITHUB_ACTIONS") != NULL &&
        strcmp(getenv("GITHUB_ACTIONS"), "true") == 0) {
        for (i = 0; i < suite->tests.n; i++) {
            report_annotations(suite->tests.hunt[i], text);
        }
    }
    if (st->verbose) {
        fprintf(text, "refhunt: %d worker%s\n", nworkers,
            nworkers == 1 ? "" : "s");
    }
    if ((fflush(text) != 0 || ferror(text)) && errno != EPIPE) {
        fprintf(stderr, "refhunt: cannot write the report: %s\n",
            strerror(errno));
        failed = 1;
    }
    hunt_free(suite);
    for (i = 0; i < ws.n; i++) {
        free(ws.st[i]);
    }
    free(ws.st);
    baseline_free(base);
    return failed ? EXIT_USAGE : status;
}
