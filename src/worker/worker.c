/*
 * worker.c: the process that embeds CPython and runs the rounds.
 *
 *   reinit     every round a whole interpreter lifetime: initialize, run,
 *              gc passes, Py_FinalizeEx; counters read after it.
 *   subinterp  the main interpreter stays; every round runs in a new
 *              subinterpreter, ended before the counters are read.
 *   loop       one interpreter; every round re-runs the target, then
 *              clears the caches regrtest clears, then the gc passes.
 * A record goes to the supervisor before each phase starts, so a crash
 * names the phase it happened in.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "embed.h"
#include "explainer.h"
#include "probe.h"
#include "record.h"
#include "rule.h"
#include "share.h"
#include "sites.h"
#include "worker.h"
#include "xmalloc.h"

/* Empty rounds that measure the interpreter's own leak per cycle. */
#define CALIBRATION_ROUNDS 4

struct worker {
    const struct spec *st;
    int             fd;             /* the record channel */
    int             lost;           /* the channel is gone: stop */
    PyObject       *glue;           /* loop: the one interpreter's glue */
    PyThreadState  *main_tstate;    /* subinterp: the main interpreter */
    char           *growth_before;  /* --show-growth: last round's counts */
    struct explainer explain;       /* --explain: the objects alive before
                                       the last run */
    pid_t           pid;            /* the worker, not a child the target
                                       forked */
    struct share    share;          /* reinit: what round 1 imported */
    int             untrusted;      /* an untrusted record was sent */
    int64_t         drift[METRIC_COUNT];    /* calibration's, or
                                       COUNTER_NONE */
    int64_t         last[METRIC_COUNT];     /* the counters of the last
                                       round, calibration's included */
    int             calibrated;     /* calibration rounds ran */
    int             share_round;    /* the warm-up that imported only the
                                       target's modules, or 0 */
    int             trying;         /* in a checkpoint's child: a failure
                                       is the try's, sent by no record */
};


static void
send_phase(struct worker *w, int round, enum phase p)
{
    if (!w->lost &&
        record_send(w->fd, "phase %d %s\n", round, phase_name(p)) != 0) {
        w->lost = 1;
    }
}

/* A record whose last field is a TEXT: head (its other fields), then the
 * text cut to the channel's limit and escaped. */
static void
send_text(struct worker *w, const char *head, const char *text)
{
    char *cut = record_cut(text), *esc = record_escape(cut);

    free(cut);
    if (!w->lost && record_send(w->fd, "%s %s\n", head, esc) != 0) {
        w->lost = 1;
    }
    free(esc);
}

static void
send_fail(struct worker *w, int round, enum phase p, const char *text)
{
    char *head = xasprintf("fail %d %s", round, phase_name(p));

    send_text(w, head, text);
    free(head);
}

static void
format_counter(char *buf, size_t size, int64_t v)
{
    if (v == COUNTER_NONE) {
        snprintf(buf, size, "-");
    } else {
        snprintf(buf, size, "%" PRId64, v);
    }
}

/* --show-growth: the types that grew since the last round, as records.
 * An error here is refhunt's, reported and not the target's fault. */
static void
send_growth(struct worker *w, PyObject *glue, int round)
{
    PyObject *res, *list, *text, *item;
    const char *name, *counts;
    char *cause = NULL, *head;
    long long count, delta;
    Py_ssize_t i;

    res = embed_call(glue, "growth", Py_BuildValue("(is)", w->st->show_growth,
        w->growth_before != NULL ? w->growth_before : ""), &cause);
    if (res == NULL || !PyArg_ParseTuple(res, "OU", &list, &text) ||
        (counts = PyUnicode_AsUTF8(text)) == NULL) {
        PyErr_Clear();
        send_fail(w, round, PHASE_COLLECT, cause != NULL ? cause :
            "--show-growth failed");
        free(cause);
        Py_XDECREF(res);
        return;
    }
    free(w->growth_before);
    w->growth_before = xstrdup(counts);
    for (i = 0; i < PyList_Size(list); i++) {
        item = PyList_GetItem(list, i);
        if (!PyArg_ParseTuple(item, "sLL", &name, &count, &delta)) {
            PyErr_Clear();
            continue;
        }
        head = xasprintf("growth %d %lld %lld", round, count, delta);
        send_text(w, head, name);
        free(head);
    }
    Py_DECREF(res);
}

/* --trace-blocks: one round's blocks kept at a site, as a record. */
void
worker_send_site(int round, int64_t count, int64_t size, const char *where,
    void *arg)
{
    char *head = xasprintf("trace %d %" PRId64 " %" PRId64, round, count,
        size), *cut = record_cut(where), *esc = record_escape(cut);

    record_send(*(int *)arg, "%s %s\n", head, esc);
    free(head);
    free(cut);
    free(esc);
}

/* --trace-blocks, 3.13+: the live objects of a type among the blocks of
 * the site sent last. */
void
worker_send_site_type(int round, int64_t count, const char *type, void *arg)
{
    char *cut = record_cut(type), *esc = record_escape(cut);

    record_send(*(int *)arg, "tracetype %d %" PRId64 " %s\n", round, count,
        esc);
    free(cut);
    free(esc);
}

/* The sys.path entries the target added, as path records. */
static void
send_paths(struct worker *w, PyObject *glue)
{
    PyObject *paths;
    char *cause = NULL;
    Py_ssize_t i;

    paths = embed_call(glue, "added_paths", PyTuple_New(0), &cause);
    if (paths == NULL) {
        free(cause);    /* then modules from there fail on their own */
        return;
    }
    for (i = 0; i < PyList_Size(paths); i++) {
        const char *p = PyBytes_AsString(PyList_GetItem(paths, i));

        if (p != NULL) {
            send_text(w, "path", p);
        }
        PyErr_Clear();
    }
    Py_DECREF(paths);
}

static void
send_untrusted(const char *name, void *arg)
{
    struct worker *w = arg;

    w->untrusted = 1;
    send_text(w, "untrusted", name);
}

/* The run and collect phases in the current interpreter; 0, or -1 with
 * *phase and *cause. */
static int
run_phases(struct worker *w, PyObject *glue, int round, int empty,
    enum phase *phase, char **cause)
{
    const struct spec *st = w->st;
    int loop = st->mode == MODE_LOOP, rc;

    *phase = PHASE_RUN;
    send_phase(w, round, PHASE_RUN);
    rc = embed_run(glue, st, empty, loop, cause);
    if (getpid() != w->pid) {
        /* A child the target forked came back: as under python, the
         * script is over for it. */
        _exit(Py_FinalizeEx() < 0 ? 120 : rc == 0 ? 0 : 1);
    }
    if (rc != 0) {
        return -1;
    }
    *phase = PHASE_COLLECT;
    send_phase(w, round, PHASE_COLLECT);
    if (loop && embed_call_void(glue, "cleanup", PyTuple_New(0), cause) != 0) {
        return -1;
    }
    if (embed_call_void(glue, "collect", Py_BuildValue("(iii)",
        st->gc_passes, !loop, st->mode == MODE_REINIT), cause) != 0) {
        return -1;
    }
    probe_untrusted_modules(send_untrusted, w);
    return 0;
}

int
worker_wants_finders(const struct spec *st)
{
    return st->show_growth > 0 || st->explain > 0;
}

/* Sends the fail record; always -1. */
static int
fail(struct worker *w, int round, enum phase phase, char *cause)
{
    if (!w->trying) {
        send_fail(w, round, phase, cause);
    }
    free(cause);
    return -1;
}

/* reinit: one interpreter lifetime; counters[] read after it. */
static int
reinit_round(struct worker *w, int round, int empty, int64_t counters[])
{
    enum phase phase = PHASE_RUN;
    char *cause = NULL, *fin_cause = NULL;
    PyObject *glue;
    int failed;

    send_phase(w, round, PHASE_INIT);
    if (embed_start(w->st, &cause) != 0) {
        return fail(w, round, PHASE_INIT, cause);
    }
    glue = embed_load_glue(worker_wants_finders(w->st), &cause);
    failed = glue == NULL ||
        run_phases(w, glue, round, empty, &phase, &cause) != 0;
    if (!failed && !empty && w->st->show_growth) {
        send_growth(w, glue, round);    /* before finalization: counted live */
    }
    if (!failed && !empty && round == 1 && w->st->import_share) {
        share_keep(&w->share, glue);    /* for the share of a leak */
    }
    Py_XDECREF(glue);
    send_phase(w, round, PHASE_FINALIZE);
    if (embed_finish(&fin_cause) != 0) {
        if (!failed) {
            return fail(w, round, PHASE_FINALIZE, fin_cause);
        }
        free(fin_cause);
    }
    if (failed) {
        return fail(w, round, phase, cause);
    }
    send_phase(w, round, PHASE_MEASURE);
    probe_read(counters);
    return 0;
}

/* subinterp: one subinterpreter lifetime; counters[] read in the main
 * interpreter after it. */
static int
subinterp_round(struct worker *w, int round, int empty, int64_t counters[])
{
    enum phase phase = PHASE_RUN;
    PyThreadState *sub;
    char *cause = NULL;
    PyObject *glue;
    int failed;

    send_phase(w, round, PHASE_INIT);
    sub = probe_new_subinterpreter(&cause);
    if (sub == NULL) {
        return fail(w, round, PHASE_INIT, cause);
    }
    sites_watch_extensions();
    glue = embed_load_glue(worker_wants_finders(w->st), &cause);
    failed = glue == NULL ||
        run_phases(w, glue, round, empty, &phase, &cause) != 0;
    if (!failed && !empty && w->st->show_growth) {
        send_growth(w, glue, round);
    }
    Py_XDECREF(glue);
    send_phase(w, round, PHASE_FINALIZE);
    probe_before_finalize();
    probe_end_subinterpreter(sub, w->main_tstate);
    if (failed) {
        return fail(w, round, phase, cause);
    }
    send_phase(w, round, PHASE_MEASURE);
    probe_read_after_subinterpreter(counters);
    return 0;
}

/* loop: the target once more in the one interpreter. */
static int
loop_round(struct worker *w, int round, int64_t counters[])
{
    enum phase phase;
    char *cause = NULL;

    if (run_phases(w, w->glue, round, 0, &phase, &cause) != 0) {
        return fail(w, round, phase, cause);
    }
    send_phase(w, round, PHASE_MEASURE);
    probe_read_live(counters);
    /* after the counters: what these allocate must not be measured, and
     * they keep nothing in the heap until the next counters */
    if (w->st->show_growth) {
        send_growth(w, w->glue, round);
    }
    /* two snapshots: what the run before the last made and the last kept
     * (explainer.h) */
    if (w->st->explain && (round == w->st->warmups + w->st->tracked - 2 ||
        round == w->st->warmups + w->st->tracked - 1)) {
        explainer_snapshot(&w->explain, w->glue);
    }
    if (w->st->explain && round == w->st->warmups + w->st->tracked) {
        explainer_send(&w->explain, w->glue, w->st->explain, w->fd,
            &w->lost);
    }
    return 0;
}

static int
one_round(struct worker *w, int round, int empty, int64_t counters[])
{
    char *cause = NULL;

    if (embed_home(&cause) != 0) {
        fprintf(stderr, "refhunt: %s\n", cause);     /* the round says */
        free(cause);
    }
    probe_set_round(empty ? 0 : round, !empty && w->st->trace_blocks &&
        round > w->st->warmups);
    switch (w->st->mode) {
    case MODE_REINIT:
        return reinit_round(w, round, empty, counters);
    case MODE_SUBINTERP:
        return subinterp_round(w, round, empty, counters);
    case MODE_LOOP:
        break;
    }
    return loop_round(w, round, counters);
}

/* subinterp and loop: the interpreter that outlives the rounds, started
 * in round 1's init phase. */
static int
start_main(struct worker *w)
{
    char *cause = NULL;

    send_phase(w, 1, PHASE_INIT);
    if (embed_start(w->st, &cause) != 0) {
        return fail(w, 1, PHASE_INIT, cause);
    }
    w->main_tstate = PyThreadState_Get();
    if (w->st->mode != MODE_LOOP) {
        return 0;
    }
    /* regrtest's set-up: warm caches, snapshot what cleanup restores */
    w->glue = embed_load_glue(worker_wants_finders(w->st), &cause);
    if (w->glue == NULL || embed_call_void(w->glue, "loop_setup",
        PyTuple_New(0), &cause) != 0) {
        return fail(w, 1, PHASE_RUN, cause);
    }
    /* once before the rounds, its result dropped: what the first listing
     * of the heap leaves for good (5 blocks on 3.9) is left before them */
    if (w->st->explain) {
        explainer_snapshot(&w->explain, w->glue);
        explainer_clear(&w->explain);
    }
    return 0;
}

/* Ends the main interpreter after the last round (or a failed one). */
static int
finish_main(struct worker *w, int round, int failed)
{
    char *cause = NULL;

    Py_CLEAR(w->glue);
    if (!failed) {
        send_phase(w, round, PHASE_FINALIZE);
    }
    if (embed_finish(&cause) != 0) {
        if (failed) {
            free(cause);
            return -1;
        }
        return fail(w, round, PHASE_FINALIZE, cause);
    }
    return failed ? -1 : 0;
}

/*
 * Runs empty rounds (round 0 in the records) and sends the interpreter's
 * own drift per round, to be subtracted from the target's (verdict_drift
 * says how much, respecting its sign).
 */
static int
calibrate(struct worker *w)
{
    int64_t prev[METRIC_COUNT], cur[METRIC_COUNT];
    int64_t growth[METRIC_COUNT][CALIBRATION_ROUNDS - 1];
    char buf[METRIC_COUNT][32];
    int i, m;

    for (i = 0; i < CALIBRATION_ROUNDS; i++) {
        if (one_round(w, 0, 1, cur) != 0) {
            return -1;  /* the fail record says why */
        }
        for (m = 0; i > 0 && m < METRIC_COUNT; m++) {
            growth[m][i - 1] = cur[m] == COUNTER_NONE ||
                prev[m] == COUNTER_NONE ? COUNTER_NONE : cur[m] - prev[m];
        }
        memcpy(prev, cur, sizeof prev);
        memcpy(w->last, cur, sizeof w->last);
    }
    w->calibrated = 1;
    for (m = 0; m < METRIC_COUNT; m++) {
        w->drift[m] = verdict_drift(growth[m], CALIBRATION_ROUNDS - 1);
        format_counter(buf[m], sizeof buf[m], w->drift[m]);
    }
    if (!w->lost && record_send(w->fd, "calibration %s %s %s %s\n", buf[0],
        buf[1], buf[2], buf[3]) != 0) {
        w->lost = 1;
    }
    return 0;
}

/* The tracked rounds' deltas of metric m, less drift (COUNTER_NONE:
 * none); 0 where a round did not count it (no leak then). */
static void
tracked_deltas(const struct spec *st, int64_t (*counters)[METRIC_COUNT],
    int m, int64_t drift, int64_t *deltas)
{
    int i;

    for (i = 0; i < st->tracked; i++) {
        int64_t a = counters[st->warmups + i - 1][m],
            b = counters[st->warmups + i][m];

        deltas[i] = a == COUNTER_NONE || b == COUNTER_NONE ? 0 :
            b - a - (drift != COUNTER_NONE ? drift : 0);
    }
}

/*
 * Whether a metric moves in every tracked round (up, or down: 3.12+ less
 * the interned strings): then an empty target must show how much of that is
 * the interpreter's own (release 3.9, 3.12 and 3.13 leak blocks on every
 * init/finalize cycle). Clean targets on clean interpreters skip it.
 */
static int
needs_calibration(const struct spec *st, int64_t (*counters)[METRIC_COUNT])
{
    int64_t *deltas = xcalloc((size_t)st->tracked, sizeof *deltas);
    int i, m, leaks = 0;

    for (m = 0; m < METRIC_COUNT && !leaks; m++) {
        tracked_deltas(st, counters, m, COUNTER_NONE, deltas);
        leaks = verdict_leaks((enum metric)m, deltas, st->tracked);
        for (i = 0; i < st->tracked; i++) {
            deltas[i] = -deltas[i];
        }
        leaks |= verdict_leaks((enum metric)m, deltas, st->tracked);
    }
    free(deltas);
    return leaks;
}

/* Whether metric m decides leaks (verdict.c): not refs that an untrusted
 * extension may have moved. */
static int
decides(const struct worker *w, int m)
{
    return m != METRIC_REFS || !w->untrusted || w->st->trust_refs ||
        !probe_refs_available();
}

/* Whether the supervisor's verdict will be a leak (verdict.c): a metric
 * that decides leaks by the rule, once calibrated. */
static int
hunt_leaks(const struct worker *w, int64_t (*counters)[METRIC_COUNT])
{
    const struct spec *st = w->st;
    int64_t *deltas = xcalloc((size_t)st->tracked, sizeof *deltas);
    int m, leaks = 0;

    for (m = 0; m < METRIC_COUNT && !leaks; m++) {
        if (!decides(w, m)) {
            continue;
        }
        tracked_deltas(st, counters, m, w->drift[m], deltas);
        leaks = verdict_leaks((enum metric)m, deltas, st->tracked);
    }
    free(deltas);
    return leaks;
}

/* The spec of a share round: the code that imports the target's modules
 * (share.c), with none of the hunt's per-round findings. */
static void
share_spec(const struct spec *hunt, const char *code, struct spec *sp)
{
    *sp = *hunt;
    sp->kind = TARGET_CODE;
    sp->target = code;
    sp->args = NULL;
    sp->nargs = 0;
    sp->import_share = 0;
    sp->show_growth = 0;
    sp->trace_blocks = 0;   /* its sites are not listed: none are read */
    /* as a bisect probe: finalization collects what one pass leaves */
    sp->gc_passes = sp->gc_passes > 1 ? 1 : sp->gc_passes;
}

/* A record of a round and counters: "counters" (the round's), or "share"
 * (the round the share's import round ran in, 0: after the hunt's, and
 * the counters of the round before it). */
static void
send_counters(struct worker *w, const char *kind, int round,
    const int64_t counters[])
{
    char buf[METRIC_COUNT][32];
    int m;

    for (m = 0; m < METRIC_COUNT; m++) {
        format_counter(buf[m], sizeof buf[m], counters[m]);
    }
    if (!w->lost && record_send(w->fd, "%s %d %s %s %s %s\n", kind, round,
        buf[0], buf[1], buf[2], buf[3]) != 0) {
        w->lost = 1;
    }
}

/*
 * reinit, after a hunt that leaks: the import share, IMPORT_SHARE_ROUNDS
 * rounds more (spec.h), each importing round 1's modules by name and
 * nothing else (share.c). The process has run the hunt's rounds, so it
 * needs no warm-up: the first's delta, against the hunt's last round, is
 * already what an import-only round leaks. The share record ends the
 * hunt's own report first (a crash from here on loses only the share);
 * the rounds are numbered on from 2, and the record has the counters of
 * the round before them, the share's round 1: the hunt's last, or the
 * last calibration round (what the empty rounds drift is no import's).
 */
static int
share_rounds(struct worker *w)
{
    const struct spec *hunt = w->st;
    struct spec sp;
    char *code = share_code(&w->share);
    int64_t counters[METRIC_COUNT];
    int round, last, rc = 0;

    share_spec(hunt, code, &sp);
    send_counters(w, "share", 0, w->last);
    w->st = &sp;
    /* after empty rounds, one import round first: the next is what a
     * round of them leaks (3.9 release: 1 to 4 blocks more just after) */
    last = 1 + w->calibrated + hunt->import_share;
    for (round = 2; round <= last && !w->lost; round++) {
        if (one_round(w, round, 0, counters) != 0) {
            rc = 3;
            break;
        }
        send_counters(w, "counters", round, counters);
    }
    w->st = hunt;
    free(code);
    return rc;
}

/*
 * reinit: whether the last warm-up, round, should import only the
 * target's modules (early_share): the warm-up before it grew by the rule
 * (a leak shows from there), with at least 3 warm-ups (so that two ran
 * the target), none of the options that read each round's own objects or
 * sites, and on a version where a round keeps the same whatever ran
 * before it.
 */
static int
early_share_due(const struct worker *w, int64_t (*counters)[METRIC_COUNT],
    int round)
{
    const struct spec *st = w->st;
    int64_t a, b, delta;
    int m;

    if (st->mode != MODE_REINIT || !st->import_share || st->warmups < 3 ||
        round != st->warmups || st->show_growth || st->explain ||
        st->trace_blocks || !probe_rounds_independent()) {
        return 0;
    }
    for (m = 0; m < METRIC_COUNT; m++) {
        a = counters[round - 3][m];
        b = counters[round - 2][m];
        delta = b - a;
        if (decides(w, m) && a != COUNTER_NONE && b != COUNTER_NONE &&
            verdict_leaks((enum metric)m, &delta, 1)) {
            return 1;
        }
    }
    return 0;
}

/*
 * The import share in the last warm-up's place: the round imports only
 * the target's modules, as the share's round after the hunt would. It
 * follows two rounds of the target, so its delta is the share (the same
 * figure as the round after the hunt's on every leaking script target of
 * tests/, on 3.10 to 3.13: scripts/compare-share.py), and
 * what it leaves is the first tracked round's base as a warm-up's would
 * be; the share then costs no round of its own. The round runs in a child
 * of the worker (checkpoint.c): should it fail or crash, the worker runs
 * the warm-up itself, and a leak's share is measured after the hunt, as
 * without this (where a crash loses only the share). 1: the share round
 * ran and this is the child; 0: run the warm-up.
 */
static int
early_share(struct worker *w, int round, int64_t counters[])
{
    const struct spec *hunt = w->st;
    struct checkpoint cp;
    struct spec sp;
    char *code;
    int rc;

    if (checkpoint_begin(&cp) != CHECKPOINT_CHILD) {
        return 0;
    }
    w->pid = getpid();
    w->trying = 1;
    code = share_code(&w->share);
    share_spec(hunt, code, &sp);
    w->st = &sp;
    rc = one_round(w, round, 0, counters);
    w->st = hunt;
    free(code);
    if (rc != 0 || w->lost) {
        _exit(0);       /* the worker goes on */
    }
    w->trying = 0;
    checkpoint_commit(&cp);
    w->share_round = round;
    return 1;
}

/* An import record from a (name, by) of glue's imported(). */
static void
send_import(struct worker *w, PyObject *item)
{
    const char *name;
    char *head;
    int by;

    if (!PyArg_ParseTuple(item, "si", &name, &by)) {
        PyErr_Clear();  /* a name with a NUL: not importable anyway */
        return;
    }
    head = xasprintf("import %d", by);
    send_text(w, head, name);
    free(head);
}

/*
 * --bisect's discovery: one interpreter that runs the target once and
 * lists what it imported, or lists the tests of -m unittest NAME ...
 * without running them.
 */
static int
discover(struct worker *w)
{
    const struct spec *st = w->st;
    PyObject *glue, *names = NULL, *held;
    char *cause = NULL;
    Py_ssize_t i;
    const char *name;
    int failed;

    send_phase(w, 1, PHASE_INIT);
    if (embed_start(st, &cause) != 0) {
        return fail(w, 1, PHASE_INIT, cause);
    }
    send_phase(w, 1, PHASE_RUN);
    glue = embed_load_glue(0, &cause);
    if (glue != NULL && st->task == TASK_LIST_IMPORTS) {
        if (embed_call_void(glue, "watch_imports", PyTuple_New(0),
            &cause) == 0 && embed_run(glue, st, 0, 0, &cause) == 0) {
            send_paths(w, glue);
            names = embed_call(glue, "imported", PyTuple_New(0), &cause);
        }
    } else if (glue != NULL) {
        names = pertest_list(glue, st, &cause);
    }
    failed = names == NULL;
    for (i = 0; !failed && i < PyList_Size(names); i++) {
        if (st->task == TASK_LIST_IMPORTS) {
            send_import(w, PyList_GetItem(names, i));
            continue;
        }
        name = embed_text(PyList_GetItem(names, i), &held);
        if (name != NULL) {
            send_text(w, "test", name);
        }
        Py_XDECREF(held);
        PyErr_Clear();
    }
    Py_XDECREF(names);
    Py_XDECREF(glue);
    if (failed) {
        send_fail(w, 1, PHASE_RUN, cause);
        free(cause);
        cause = NULL;
    }
    send_phase(w, 1, PHASE_FINALIZE);
    if (embed_finish(&cause) != 0) {
        free(cause);
    }
    if (failed || w->lost || record_send(w->fd, "end\n") != 0) {
        return 3;
    }
    return 0;
}

/*
 * The supervisor sends SIGUSR1 before it kills a round that timed out.
 * In the run phase faulthandler (glue.run) prints the traceback; in the
 * others (init: site, .pth files; finalize: atexit, threads, module
 * teardown) this turns it into SIGABRT, for which faulthandler, enabled
 * from the start of initialization to the end of finalization
 * (config.faulthandler), prints every thread's traceback and ends the
 * worker.
 */
static void
timeout_dump(int sig)
{
    static const char note[] = "refhunt: the round timed out; the "
        "interpreter's threads:\n";

    (void)sig;
    if (write(STDERR_FILENO, note, sizeof note - 1) < 0) {
        ;   /* stderr is gone: nothing to say it with */
    }
    raise(SIGABRT);
}

int
worker_main(const struct spec *st)
{
    struct worker w = { st, st->fd, 0, NULL, NULL, NULL,
        { NULL, NULL, 0, NULL, NULL }, getpid(), { NULL, 0, NULL, 0 }, 0,
        { 0 } };
    int nrounds = st->warmups + st->tracked, round, m, rc = 0;
    int64_t (*counters)[METRIC_COUNT];
    char *version;

    for (m = 0; m < METRIC_COUNT; m++) {
        w.drift[m] = COUNTER_NONE;      /* not calibrated */
    }
    signal(SIGUSR1, timeout_dump);
    /* Children the target execs must not hold the channel open. */
    if (fcntl(w.fd, F_SETFD, FD_CLOEXEC) < 0 || record_bind(w.fd) != 0) {
        fprintf(stderr, "refhunt: record channel %d: %s\n", w.fd,
            strerror(errno));
        return 2;
    }
    version = record_escape(probe_version());
    if (record_send(w.fd, "hello %s %d %d %d %s\n", version,
        probe_debug_build(), probe_refs_available(), probe_free_threaded(),
        probe_blocks_source()) != 0) {
        free(version);
        return RECORD_EXIT_LOST;
    }
    free(version);
    if (st->task != TASK_HUNT) {
        return discover(&w);
    }
    if (st->per_test) {
        return pertest_worker(st, w.fd);
    }
    if (st->trace_blocks) {
        probe_trace_blocks(TRACE_FRAMES);
    }
    if (st->mode != MODE_REINIT && start_main(&w) != 0) {
        return w.lost ? RECORD_EXIT_LOST : 3;
    }
    counters = xcalloc((size_t)nrounds, sizeof *counters);
    for (round = 1; round <= nrounds && !w.lost && rc == 0; round++) {
        if (!(early_share_due(&w, counters, round) &&
            early_share(&w, round, counters[round - 1])) &&
            one_round(&w, round, 0, counters[round - 1]) != 0) {
            if (st->mode != MODE_REINIT) {
                finish_main(&w, round, 1);
            }
            rc = 3;
            break;
        }
        if (st->trace_blocks && round >= st->warmups) {
            sites_snapshot(round);
        }
        send_counters(&w, "counters", round, counters[round - 1]);
        memcpy(w.last, counters[round - 1], sizeof w.last);
    }
    /* where what the tracked rounds kept was made (reinit: alive after
     * finalization), before calibration rounds run */
    if (rc == 0 && !w.lost && st->trace_blocks) {
        sites_report(st->trace_blocks, worker_send_site, worker_send_site_type,
            &w.fd);
    }
    /* loop mode is regrtest's and needs none: nothing starts anew */
    if (rc == 0 && !w.lost && st->mode != MODE_LOOP &&
        !probe_clean_cycle() && needs_calibration(st, counters) &&
        calibrate(&w) != 0) {
        if (st->mode != MODE_REINIT) {
            finish_main(&w, 0, 1);
        }
        rc = 3;
    }
    if (rc == 0 && st->mode != MODE_REINIT &&
        finish_main(&w, nrounds, 0) != 0) {
        rc = 3;
    }
    if (rc == 0 && !w.lost && st->import_share && hunt_leaks(&w, counters)) {
        if (w.share_round > 0) {
            send_counters(&w, "share", w.share_round,
                counters[w.share_round - 2]);
        } else {
            rc = share_rounds(&w);
        }
    }
    free(counters);
    share_free(&w.share);
    free(w.growth_before);
    explainer_clear(&w.explain);
    if (w.lost || (rc == 0 && record_send(w.fd, "end\n") != 0)) {
        return RECORD_EXIT_LOST;
    }
    return rc;
}
