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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "clock.h"
#include "json.h"
#include "outcome.h"
#include "pertest.h"
#include "pipeline.h"
#include "record.h"
#include "run.h"
#include "supervise.h"
#include "testqueue.h"
#include "verdict.h"
#include "xmalloc.h"

/* The workers of every suite, kept until the end: which suite each is
 * for, its share of the tests and the file that names them to it. */
struct workers {
    struct hunt   **hunt;
    char          **ids_path;       /* NULL: every test */
    struct names   *share;          /* the ids in that file */
    int            *suite;          /* an index in suites; -1: it ended */
    int             n;
};

/* A worker of suite i that hunts ids_path's tests, *share (taken over;
 * ids_path NULL: all). */
static struct hunt *
worker_hunt(struct workers *ws, int i, const struct hunt *suite,
    char *ids_path, struct names *share)
{
    struct hunt *h = hunt_new(suite->settings);
    size_t n = (size_t)ws->n + 1;

    h->test_ids = ids_path;
    ws->hunt = xreallocarray(ws->hunt, n, sizeof *ws->hunt);
    ws->ids_path = xreallocarray(ws->ids_path, n, sizeof *ws->ids_path);
    ws->share = xreallocarray(ws->share, n, sizeof *ws->share);
    ws->suite = xreallocarray(ws->suite, n, sizeof *ws->suite);
    ws->hunt[ws->n] = h;
    ws->ids_path[ws->n] = ids_path;
    ws->share[ws->n] = *share;
    *share = (struct names){ NULL, 0 };
    ws->suite[ws->n++] = i;
    return h;
}

/* The files of ids go (the tests' hunts point to them until then). */
static void
workers_free(struct workers *ws)
{
    int i;

    for (i = 0; i < ws->n; i++) {
        if (ws->ids_path[i] != NULL) {
            unlink(ws->ids_path[i]);
            free(ws->ids_path[i]);
        }
        names_clear(&ws->share[i]);
    }
    free(ws->share);
    free(ws->hunt);
    free(ws->ids_path);
    free(ws->suite);
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

/* refhunt's own error stopped the test: it has no verdict. */
static int
aborted(const struct hunt *t)
{
    return t->outcome != NULL && strcmp(t->outcome, "aborted") == 0;
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
        if (aborted(h->tests.hunt[i])) {
            hunt_free(h->tests.hunt[i]);    /* not run: the worker's
                                               failure says why */
            continue;
        }
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

/* The whole run failed (collection, the runner, a crash between tests).
 * With -j in one suite each worker may say so (a collection error, with
 * --continue-on-collection-errors): the last one's words stand. */
static void
whole_failed(struct hunt *suite, struct hunt *h)
{
    suite->status = h->status;
    free(suite->reason);
    suite->reason = take(&h->reason);
    free(suite->message);
    suite->message = take(&h->message);
    suite->fail_round = h->fail_round;
    suite->fail_phase = h->fail_phase;
    suite->signal = h->signal;
    suite->exit_code = h->exit_code;
    free(suite->output_tail);
    suite->output_tail = take(&h->output_tail);
}

/* A test id and its place in the suite's collection. */
struct place {
    const char     *id;
    int             index;
};

static int
place_cmp(const void *a, const void *b)
{
    const struct place *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    return c != 0 ? c : x->index - y->index;
}

/* The suite's collection (its first worker's), sorted by id for lookups:
 * a new worker may collect in another order (pytest-randomly). */
static struct place *
places(const struct hunt *suite)
{
    struct place *p = xcalloc((size_t)suite->found.n + 1, sizeof *p);
    int i;

    for (i = 0; i < suite->found.n; i++) {
        p[i] = (struct place){ suite->found.name[i], i };
    }
    qsort(p, (size_t)suite->found.n, sizeof *p, place_cmp);
    return p;
}

/* Where the collection has id; found.n when it does not. */
static int
place_of(const struct place *p, int n, const char *id)
{
    int lo = 0, hi = n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(p[mid].id, id);

        if (c == 0) {
            while (mid > 0 && strcmp(p[mid - 1].id, id) == 0) {
                mid--;
            }
            return p[mid].index;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return n;
}

static const struct place *sorting;     /* for by_collection */
static int nsorting;

static int
by_collection(const void *a, const void *b)
{
    const struct hunt *x = *(struct hunt *const *)a,
        *y = *(struct hunt *const *)b;
    int i = place_of(sorting, nsorting, x->name),
        j = place_of(sorting, nsorting, y->name);

    return i != j ? i - j : strcmp(x->name, y->name);
}

/* The report is in the order the suite collected its tests. */
static void
collection_order(struct hunt *suite)
{
    struct place *p = places(suite);

    sorting = p;
    nsorting = suite->found.n;
    qsort(suite->tests.hunt, (size_t)suite->tests.n, sizeof
        *suite->tests.hunt, by_collection);
    sorting = NULL;
    free(p);
}

/* The ids of from (the suite's collection when NULL) that no worker of
 * the suite hunted yet, added to *left. */
static void
ids_left(const struct hunt *suite, const struct names *from,
    struct names *left)
{
    struct place *hunted = xcalloc((size_t)suite->tests.n + 1,
        sizeof *hunted);
    int i;

    from = from != NULL ? from : &suite->found;
    for (i = 0; i < suite->tests.n; i++) {
        hunted[i] = (struct place){ suite->tests.hunt[i]->name, i };
    }
    qsort(hunted, (size_t)suite->tests.n, sizeof *hunted, place_cmp);
    for (i = 0; i < from->n; i++) {
        if (place_of(hunted, suite->tests.n, from->name[i]) ==
            suite->tests.n) {
            names_add(left, from->name[i]);
        }
    }
    free(hunted);
}

/* A new file of ids, escaped as a record's TEXT, one a line, then an
 * empty line and the files the worker need not collect (skip) when there
 * are any; NULL with no ids, or when it cannot be written (then those
 * tests are not run, and the report says so). */
static char *
ids_file(const struct names *ids, const struct names *skip)
{
    const char *tmp = getenv("TMPDIR");
    char *path, *esc;
    int i, fd;
    FILE *f;

    if (ids->n == 0) {
        return NULL;
    }
    path = xasprintf("%s/refhunt-tests-XXXXXX", tmp != NULL && *tmp != '\0'
        ? tmp : "/tmp");
    if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        free(path);
        return NULL;
    }
    for (i = 0; i < ids->n + skip->n; i++) {
        if (i == ids->n) {
            fputc('\n', f);
        }
        esc = record_escape(i < ids->n ? ids->name[i] :
            skip->name[i - ids->n]);
        fprintf(f, "%s\n", esc);
        free(esc);
    }
    if (fclose(f) != 0) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* Every suite's workers, for the scheduler; with -j in one suite, the
 * queue of its tests. */
struct schedule {
    struct hunt   **suites;
    int             n;
    struct workers *ws;
    int             nworkers;
    struct testqueue *queue;
};

/* The worker for the ids in *batch (taken over), or NULL when there are
 * none. From a queue its pytest collects only its tests' files: NumPy's
 * whole suite takes 126 s to collect, and its heap is what the exact
 * gc passes walk. */
static struct hunt *
batch_worker(struct schedule *sc, int i, struct names *batch)
{
    struct names skip = { NULL, 0 };
    char *path;

    if (sc->queue != NULL) {
        testqueue_other_files(sc->queue, batch, &skip);
    }
    path = ids_file(batch, &skip);
    names_clear(&skip);

    if (path == NULL) {
        names_clear(batch);
        return NULL;
    }
    return worker_hunt(sc->ws, i, sc->suites[i], path, batch);
}

/* Worker k, of suite i, ended: its tests are the suite's. Returns the
 * worker that goes on: with the tests of its share it did not hunt (it
 * ended inside one, which crashed or hung), or with the queue's next
 * batch; or NULL. */
static struct hunt *
worker_ended(struct schedule *sc, int i, int k, struct hunt *h)
{
    struct hunt *suite = sc->suites[i], *next = NULL;
    struct names left = { NULL, 0 };
    int open, ran = h->tests.n;

    sc->nworkers++;
    if (suite->found.n == 0 && h->found.n > 0) {
        suite->found = h->found;
        h->found = (struct names){ NULL, 0 };
    }
    open = merge(suite, h);
    suite->seconds += h->seconds;
    if (!open && h->status != STATUS_CLEAN) {
        whole_failed(suite, h);
        /* a run that failed before any test would fail every batch; one
         * that ran its tests (pytest's collection errors, with
         * --continue-on-collection-errors) fails the run, and the other
         * batches still run */
        if (sc->queue != NULL && ran == 0) {
            sc->queue->next = sc->queue->nunits;    /* no more workers */
        }
    }
    hunt_free(h);
    if (supervise_interrupted()) {
        return NULL;
    }
    if (open) {
        /* its share: what its file named, or the whole collection */
        ids_left(suite, sc->ws->ids_path[k] != NULL ? &sc->ws->share[k] :
            NULL, &left);
        next = batch_worker(sc, i, &left);
    }
    if (next == NULL && sc->queue != NULL &&
        testqueue_take(sc->queue, &left) == 0) {
        next = batch_worker(sc, i, &left);
    }
    return next;
}

/* supervise_all's done: the suite of the worker that ended. */
static struct hunt *
one_ended(struct hunt *h, void *arg)
{
    struct schedule *sc = arg;
    int i, k;

    for (k = 0; k < sc->ws->n; k++) {
        if (sc->ws->hunt[k] == h && sc->ws->suite[k] >= 0) {
            i = sc->ws->suite[k];
            sc->ws->suite[k] = -1;      /* it ended */
            return worker_ended(sc, i, k, h);
        }
    }
    return NULL;
}

/* -j N in one suite: its test ids, listed by a worker of their own (NULL
 * when that fails: then one worker hunts, and says why). */
static struct hunt *
list_tests(const struct settings *st, const char *worker)
{
    struct hunt *h = hunt_discovery(st, TASK_LIST_TESTS);

    supervise_hunt(h, worker);
    if (h->status != STATUS_CLEAN || h->found.n == 0) {
        hunt_free(h);
        return NULL;
    }
    return h;
}

/* Runs the workers first[0, n) and those they hand on to, jobs at a time
 * in one poll loop; frees those an interruption kept from starting. */
static void
run_workers(struct schedule *sc, struct hunt **first, int n, int jobs,
    const char *worker)
{
    struct supervision sv = { .worker = worker, .output = OUTPUT_DROP,
        .done = one_ended, .arg = sc };
    int i, k;

    sv.jobs = jobs;
    sv.progress = isatty(STDERR_FILENO);
    supervise_all(first, n, &sv);
    for (i = 0; i < n; i++) {
        for (k = 0; k < sc->ws->n; k++) {
            if (sc->ws->hunt[k] == first[i] && sc->ws->suite[k] >= 0) {
                sc->ws->suite[k] = -1;
                hunt_free(first[i]);    /* interrupted before it started */
            }
        }
    }
}

/* -j N in one suite: workers take its tests from one queue, a batch of
 * units at a time (testqueue.h); one that crashes hands the rest of its
 * batch to a new worker. */
static void
hunt_queue(struct schedule *sc, struct hunt *list, const char *worker)
{
    struct hunt *suite = sc->suites[0], **first;
    const struct settings *st = suite->settings;
    struct names batch = { NULL, 0 };
    struct testqueue q;
    int n = 0;

    suite->found = list->found;
    list->found = (struct names){ NULL, 0 };
    hunt_free(list);
    testqueue_init(&q, &suite->found, strcmp(st->target, "pytest") == 0,
        st->jobs);
    sc->queue = &q;
    first = xcalloc((size_t)st->jobs + 1, sizeof *first);
    while (n < st->jobs && testqueue_take(&q, &batch) == 0) {
        if ((first[n] = batch_worker(sc, 0, &batch)) != NULL) {
            n++;
        }
    }
    run_workers(sc, first, n, st->jobs, worker);
    sc->queue = NULL;
    testqueue_free(&q);
    free(first);
}

/* Hunts each suite: a worker, and a new one for the tests left after
 * each crash or hang. With --each, every worker is one hunt of a single
 * poll loop, jobs at a time: a suite's next worker starts as soon as its
 * last ends. With -j in one suite, workers share its tests (hunt_queue).
 * The report is in collection order. */
static void
hunt_suites(struct hunt **suites, int n, const struct settings *st,
    const char *worker, struct workers *ws, int *nworkers)
{
    struct schedule sc = { suites, n, ws, 0, NULL };
    struct names all = { NULL, 0 };
    struct hunt **first = xcalloc((size_t)n + 1, sizeof *first);
    struct hunt *h, *list;
    int i, k;

    if (n == 1 && !st->each && st->jobs > 1 &&
        (list = list_tests(suites[0]->settings, worker)) != NULL) {
        hunt_queue(&sc, list, worker);
    } else if (n == 1 && !st->each) {
        /* one suite: its output passed through, one worker at a time */
        for (h = worker_hunt(ws, 0, suites[0], NULL, &all); h != NULL;
            h = worker_ended(&sc, 0, k, h)) {
            k = ws->n - 1;
            ws->suite[k] = -1;
            supervise_hunt(h, worker);
        }
    } else if (n > 0) {
        for (i = 0; i < n; i++) {
            first[i] = worker_hunt(ws, i, suites[i], NULL, &all);
        }
        run_workers(&sc, first, n, supervise_jobs(st), worker);
    }
    *nworkers = sc.nworkers;
    free(first);
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
        if (i > 0 && t->test_ids != suite->tests.hunt[i - 1]->test_ids) {
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
    collection_order(suite);    /* after: that is in the order they ran */
}

/* ---- reports */

/* What the report files are made of: every suite. */
struct suites {
    const struct settings *st;
    struct hunt *const *suite;
    int             n;
    double          seconds;
};

/* Suite i's object, for report_json_targets(). */
static void
json_nth(FILE *f, int i, const void *arg)
{
    const struct suites *s = arg;

    pipeline_suite_json(s->suite[i], f);
}

static void
write_json(FILE *f, const void *arg)
{
    const struct suites *s = arg;

    if (s->st->each) {
        report_json_targets(f, pipeline_status(s->suite, s->n), s->n,
            json_nth, s);
    } else if (s->n > 0) {
        pipeline_suite_json(s->suite[0], f);
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
        pipeline_junit(f, all, k, s->seconds);
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

struct hunt *
pertest_pass(const struct settings *st, const char *worker)
{
    struct workers ws = { NULL, NULL, NULL, NULL, 0 };
    struct hunt *suite = hunt_new(st);
    int i, nworkers = 0;

    hunt_suites(&suite, 1, st, worker, &ws, &nworkers);
    decide(suite, NULL);
    for (i = 0; i < suite->tests.n; i++) {
        suite->tests.hunt[i]->test_ids = NULL;  /* its file goes now */
    }
    workers_free(&ws);
    return suite;
}

int
pertest_main(const struct settings *st, const char *worker)
{
    struct suites all;
    struct baseline *base;
    struct workers ws = { NULL, NULL, NULL, NULL, 0 };
    struct settings *targets;
    struct hunt **suites;
    int i, j, n, nworkers = 0, status;
    FILE *text = pipeline_text(st);
    double started = clock_now();

    if (pipeline_baseline(st, &base) != 0) {
        return EXIT_USAGE;
    }
    targets = run_plan(st, &n);     /* the suites */
    suites = xcalloc((size_t)(n > 0 ? n : 1), sizeof *suites);
    for (i = 0; i < n; i++) {
        suites[i] = hunt_new(&targets[i]);
    }
    hunt_suites(suites, n, st, worker, &ws, &nworkers);
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
        pipeline_suite_text(suites[i], text);
        for (j = 0; j < suites[i]->tests.n; j++) {
            pipeline_annotate(suites[i]->tests.hunt[j], text);
        }
        pipeline_flush(text);
    }
    if (st->each) {
        pipeline_summary(text, suites, n, clock_now() - started,
            supervise_jobs(st));
    }
    if (st->verbose) {
        fprintf(text, "refhunt: %d worker%s\n", nworkers,
            nworkers == 1 ? "" : "s");
    }
    if (base != NULL) {
        baseline_unmatched(base, st->baseline_path, stderr);
    }
    all = (struct suites){ st, suites, n, clock_now() - started };
    status = pipeline_finish(st, text, suites, n, &(struct pipeline_files){
        write_json, write_junit, write_baseline, &all });
    for (i = 0; i < n; i++) {
        hunt_free(suites[i]);
    }
    free(suites);
    run_plan_free(st, targets, n);
    workers_free(&ws);
    baseline_free(base);
    return status;
}
