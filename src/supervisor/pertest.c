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
#include "clock.h"
#include "json.h"
#include "junit.h"
#include "outcome.h"
#include "output.h"
#include "pertest.h"
#include "report.h"
#include "run.h"
#include "supervise.h"
#include "verdict.h"
#include "xmalloc.h"

/* A worker of suite that runs its tests from the one at start. */
static struct hunt *
worker_hunt(const struct hunt *suite, int start)
{
    struct hunt *h = hunt_new(suite->settings);

    h->test_start = start;
    return h;
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
        h->python = (struct python_info){ NULL, 0, 0, 0, NULL };
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

/* A worker of the suite ended: its tests are the suite's. Returns 1 when
 * another worker must go on from *start (it ended inside a test). */
static int
worker_done(struct hunt *suite, struct hunt *h, int *start)
{
    int ran = h->tests.n, open;

    if (suite->found.n == 0 && h->found.n > 0) {
        suite->found = h->found;
        h->found = (struct names){ NULL, 0 };
    }
    open = merge(suite, h);
    suite->seconds += h->seconds;
    if (!open && h->status != STATUS_CLEAN) {
        whole_failed(suite, h);
    }
    hunt_free(h);
    *start += ran;
    return open && !supervise_interrupted() && *start < suite->found.n;
}

/* Hunts each suite: a worker, and a new one from the next test after
 * each crash or hang. Waves of workers run side by side, jobs at a time:
 * the first of every suite, then those that go on. One suite is a
 * sequence of blocking supervise_hunt() calls. */
static void
hunt_suites(struct hunt **suites, int n, const struct settings *st,
    const char *worker, int *nworkers)
{
    struct supervision sv = { .worker = worker, .output = OUTPUT_DROP };
    struct hunt **wave = xcalloc((size_t)n + 1, sizeof *wave);
    int *start = xcalloc((size_t)n + 1, sizeof *start);
    int *going = xcalloc((size_t)n + 1, sizeof *going);
    int i, k, more = n;

    for (i = 0; i < n; i++) {
        start[i] = suites[i]->test_start;
        going[i] = 1;
    }
    while (more > 0 && !supervise_interrupted()) {
        for (i = 0, k = 0; i < n; i++) {
            if (going[i]) {
                wave[k++] = worker_hunt(suites[i], start[i]);
            }
        }
        if (n == 1 && !st->each) {
            supervise_hunt(wave[0], worker);
        } else {
            sv.jobs = supervise_jobs(st);
            sv.output = OUTPUT_DROP;   /* many at once: no interleaving */
            sv.progress = isatty(STDERR_FILENO);
            supervise_all(wave, k, &sv);
        }
        *nworkers += k;
        for (i = 0, k = 0, more = 0; i < n; i++) {
            if (going[i]) {
                going[i] = worker_done(suites[i], wave[k++], &start[i]);
                more += going[i];
            }
        }
    }
    free(wave);
    free(start);
    free(going);
}

/* Per test: the verdict, then the baseline; the suite's status is the
 * worst of its own and its tests'. */
static void
decide(struct hunt *suite, struct baseline *base)
{
    struct names untrusted = { NULL, 0 };
    struct hunt *t;
    int i, j;

    for (i = 0; i < suite->tests.n; i++) {
        t = suite->tests.hunt[i];
        /* an extension module whose refcounting bypasses the refs total
         * is reported once, in the test that loaded it; it is loaded for
         * every test after that one too (a new worker reports anew) */
        if (i > 0 && t->test_start != suite->tests.hunt[i - 1]->test_start) {
            names_clear(&untrusted);
        }
        for (j = 0; j < t->untrusted.n; j++) {
            if (!names_has(&untrusted, t->untrusted.name[j])) {
                names_add(&untrusted, t->untrusted.name[j]);
            }
        }
        for (j = 0; j < untrusted.n; j++) {
            if (!names_has(&t->untrusted, untrusted.name[j])) {
                names_add(&t->untrusted, untrusted.name[j]);
            }
        }
        verdict_compute(t);
        if (base != NULL) {
            baseline_apply(base, t);
        }
        if (t->status > suite->status) {
            suite->status = t->status;
            suite->signal = t->signal;
        }
    }
    names_clear(&untrusted);
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
    for (i = 0, n = 0; i < suite->tests.n; i++) {
        n += suite->tests.hunt[i]->refs_unjudged &&
            suite->tests.hunt[i]->status <= STATUS_LEAK;
    }
    if (n > 0) {
        fprintf(f, " (%d with references not judged that would leak)", n);
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
        /* refs that would have leaked, but do not decide */
        if (t->refs_unjudged) {
            report_untrusted_refs(t, f);
        }
        /* --explain: the worker explains only the tests that leak */
        report_explained(t, f);
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
            python_build(&suite->python));
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
    fputs(", ", f);
    json_refs_trust(f, t);
    fprintf(f, ", \"runs\": %d, \"message\": ", t->started);
    json_text(f, t->status == STATUS_CLEAN && t->outcome == NULL ? NULL :
        t->message);
    fputs(", \"explain\": ", f);
    json_explain(f, t);
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
    fprintf(f, ",\n  \"python\": ");
    json_python(f, &suite->python);
    fprintf(f, ",\n  \"message\": ");
    json_text(f, suite->message);
    fprintf(f, "\n}\n");
}

/* What the report files are made of: every suite. */
struct suites {
    const struct settings *st;
    struct hunt *const *suite;
    int             n;
    double          seconds;
};

static void
write_json(FILE *f, const void *arg)
{
    const struct suites *s = arg;

    if (s->st->each) {
        report_json_targets(f, s->suite, s->n, json_report);
    } else if (s->n > 0) {
        json_report(s->suite[0], f);
    }
}

/* JUnit (a testcase a test, and one for a suite that failed as a whole)
 * or a baseline (an entry a test id). */
static void
write_tests(FILE *f, const struct suites *s, int junit)
{
    struct hunt **all;
    int i, j, k = 0;

    for (i = 0, j = 0; i < s->n; i++) {
        j += s->suite[i]->tests.n + 1;
    }
    all = xcalloc((size_t)j + 1, sizeof *all);
    for (i = 0; i < s->n; i++) {
        for (j = 0; j < s->suite[i]->tests.n; j++) {
            all[k++] = s->suite[i]->tests.hunt[j];
        }
        if (s->suite[i]->message != NULL && junit) {
            all[k++] = s->suite[i];
        }
    }
    if (junit) {
        junit_write(f, all, k, s->seconds);
    } else {
        baseline_write_all(f, all, k);
    }
    free(all);
}

static void
write_junit(FILE *f, const void *arg)
{
    write_tests(f, arg, 1);
}

static void
write_baseline(FILE *f, const void *arg)
{
    write_tests(f, arg, 0);
}

int
pertest_main(const struct settings *st, const char *worker)
{
    struct suites all;
    struct baseline *base = NULL;
    struct settings *targets;
    struct hunt **suites;
    enum status worst = STATUS_CLEAN;
    char *cause = NULL;
    const char *gh = getenv("GITHUB_ACTIONS");
    int i, j, n, nworkers = 0, failed = 0, sig = 0;
    FILE *text = st->json_path != NULL && strcmp(st->json_path, "-") == 0 ?
        stderr : stdout;
    double started = clock_now();

    if (st->baseline_path != NULL &&
        (base = baseline_read(st->baseline_path, &cause)) == NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        return EXIT_USAGE;
    }
    targets = run_plan(st, &n);     /* the suites */
    suites = xcalloc((size_t)(n > 0 ? n : 1), sizeof *suites);
    for (i = 0; i < n; i++) {
        suites[i] = hunt_new(&targets[i]);
    }
    hunt_suites(suites, n, st, worker, &nworkers);
    for (i = 0; i < n; i++) {
        decide(suites[i], base);
        if (suites[i]->tests.n == 0 && suites[i]->message == NULL &&
            supervise_interrupted()) {
            suites[i]->status = STATUS_INTERRUPTED;     /* never started */
            suites[i]->signal = supervise_interrupted();
        }
        if (suites[i]->status == STATUS_CLEAN && suites[i]->tests.n == 0 &&
            suites[i]->message == NULL) {
            suites[i]->status = STATUS_FAILED;
            suites[i]->message = xstrdup("no test ran");
        }
        text_report(suites[i], text);
        for (j = 0; gh != NULL && strcmp(gh, "true") == 0 &&
            j < suites[i]->tests.n; j++) {
            report_annotations(suites[i]->tests.hunt[j], text);
        }
        fflush(text);
        worst = status_worst(worst, suites[i]->status);
        if (suites[i]->status == STATUS_INTERRUPTED) {
            sig = suites[i]->signal;
        }
    }
    if (st->each) {
        for (i = 0, j = 0; i < n; i++) {
            j += suites[i]->status == STATUS_CLEAN;
        }
        fprintf(text, "refhunt: %d target%s: %d clean, %d not (%.1f s, "
            "-j %d)\n", n, n == 1 ? "" : "s", j, n - j, clock_now() - started,
            supervise_jobs(st));
    }
    if (st->verbose) {
        fprintf(text, "refhunt: %d worker%s\n", nworkers,
            nworkers == 1 ? "" : "s");
    }
    if (base != NULL) {
        baseline_unmatched(base, st->baseline_path, stderr);
    }
    /* the JSON first, then the others, each whatever became of the rest */
    all = (struct suites){ st, suites, n, clock_now() - started };
    failed |= st->json_path != NULL &&
        output_write("--json", st->json_path, write_json, &all) != 0;
    failed |= st->junit_path != NULL &&
        output_write("--junit", st->junit_path, write_junit, &all) != 0;
    failed |= st->write_baseline_path != NULL &&
        output_write("--write-baseline", st->write_baseline_path,
        write_baseline, &all) != 0;
    if ((fflush(text) != 0 || ferror(text)) && errno != EPIPE) {
        fprintf(stderr, "refhunt: cannot write the report: %s\n",
            strerror(errno));
        failed = 1;
    }
    for (i = 0; i < n; i++) {
        hunt_free(suites[i]);
    }
    free(suites);
    run_plan_free(st, targets, n);
    baseline_free(base);
    if (failed) {
        return EXIT_USAGE;
    }
    return n > 0 ? status_exit(worst, sig) : EXIT_CLEAN;
}
