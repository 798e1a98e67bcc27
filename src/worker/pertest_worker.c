/*
 * pertest_worker.c: the worker of --per-test. One interpreter (loop mode):
 * pertest.py collects the suite and runs each test W+N times in a row; it
 * calls back here (send) before each phase and to read the counters, so
 * that they are read from C without allocating, as in loop mode.
 *
 * Records: phase 1 init, phase 1 run, then a "test" record per collected
 * test, then for each test hunted "testbegin", its runs as rounds (phase
 * run/collect/measure, counters) and "testend"; then phase 1 finalize and
 * end. A whole-run failure (a collection error) is "fail 1 run". With
 * --explain, a test that leaks has its explain records in its last run,
 * before that run's counters (explainer.c).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed.h"
#include "explainer.h"
#include "pertest_py.h"
#include "probe.h"
#include "record.h"
#include "rule.h"
#include "sites.h"
#include "worker.h"
#include "xmalloc.h"

/* What pertest.py's send() says: its _TEST, _BEGIN, ... */
enum {
    SEND_TEST,
    SEND_BEGIN,
    SEND_RUN,
    SEND_COLLECT,
    SEND_MEASURE,
    SEND_END,
    SEND_MOVED,
    SEND_SUSPECT,
    SEND_AGAIN,
};

static const char *const outcomes[] = {
    "passed", "failed", "skipped", "xfailed", "aborted",
};

/* The one hunt of this worker process, for the callback. */
static struct {
    int     fd;
    int     lost;
    pid_t   pid;
    int64_t last[METRIC_COUNT];     /* the counters last sent */
    int     measured;
    const struct spec *st;
    PyObject *glue;                 /* borrowed: --explain calls it */
    int64_t (*runs)[METRIC_COUNT];  /* the test's counters, run by run */
    int     untrusted;              /* a module bypasses the refs total */
    struct explainer ex;            /* --explain: before the last run */
} pw = { -1, 0, 0, { 0 }, 0, NULL, NULL, NULL, 0,
    { NULL, NULL, 0, NULL, NULL } };

/* Whether refs or blocks differ from the last reading: a heap that did
 * not move since needs no cleanup. */
static int
moved(void)
{
    int64_t c[METRIC_COUNT];

    if (!pw.measured) {
        return 1;
    }
    probe_read_live(c);
    return c[METRIC_REFS] != pw.last[METRIC_REFS] ||
        c[METRIC_BLOCKS] != pw.last[METRIC_BLOCKS];
}

static void send_line(const char *, ...) __attribute__((format(printf, 1, 2)));

/* One record, formatted; the channel is marked lost if it is gone. */
static void
send_line(const char *fmt, ...)
{
    va_list ap;
    char *line;

    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0) {
        line = NULL;
    }
    va_end(ap);
    if (line == NULL || (!pw.lost && record_send(pw.fd, "%s", line) != 0)) {
        pw.lost = 1;
    }
    free(line);
}

static void
send_counters(long round, const int64_t c[])
{
    char buf[METRIC_COUNT][32];
    int m;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (c[m] == COUNTER_NONE) {
            snprintf(buf[m], sizeof buf[m], "-");
        } else {
            snprintf(buf[m], sizeof buf[m], "%" PRId64, c[m]);
        }
    }
    if (!pw.lost && record_send(pw.fd, "counters %ld %s %s %s %s\n", round,
        buf[0], buf[1], buf[2], buf[3]) != 0) {
        pw.lost = 1;
    }
}

/* A TEXT field: cut to what a record holds, escaped; newly allocated. */
static char *
escaped(const char *text)
{
    char *cut = record_cut(text), *esc = record_escape(cut);

    free(cut);
    return esc;
}

static void
send_untrusted(const char *name, void *arg)
{
    char *esc = escaped(name);

    (void)arg;
    pw.untrusted = 1;
    send_line("untrusted %s\n", esc);
    free(esc);
}

/* --explain: whether the test looks like leaking after run r, as the
 * verdict would say of the tracked deltas so far (refs decide only when
 * trusted); with none yet (one tracked run), it may. */
static int
looks_leaky(int r)
{
    static const enum metric ms[] = { METRIC_REFS, METRIC_BLOCKS };
    const struct spec *st = pw.st;
    int i, k, n = r - st->warmups, leaks = 0;
    int64_t *d;

    if (n <= 0) {
        return 1;
    }
    d = xcalloc((size_t)n, sizeof *d);
    for (k = 0; k < 2 && !leaks; k++) {
        if (ms[k] == METRIC_REFS && pw.untrusted && !st->trust_refs) {
            continue;
        }
        for (i = 0; i < n; i++) {
            int64_t a = pw.runs[st->warmups + i - 1][ms[k]],
                b = pw.runs[st->warmups + i][ms[k]];

            if (a == COUNTER_NONE || b == COUNTER_NONE) {
                break;
            }
            d[i] = b - a;
        }
        leaks = i == n && verdict_leaks(ms[k], d, n);
    }
    free(d);
    return leaks;
}

/* After a screened test's last run: whether a tracked delta of a metric
 * that decides the verdict (refs only when trusted) is not 0. Such a test
 * is measured again the exact way: its deltas could be a leak (the
 * verdict's rule is monotonic, and a screen's deltas are never below the
 * exact ones: what it keeps alive is garbage that the frozen heap hides
 * from the gc), or not be the exact ones. */
static int
screen_moved(void)
{
    const struct spec *st = pw.st;
    int i, m, last = st->warmups + st->tracked;

    for (i = st->warmups > 0 ? st->warmups : 1; i < last; i++) {
        for (m = 0; m < METRIC_COUNT; m++) {
            if (m == METRIC_REFS && pw.untrusted && !st->trust_refs) {
                continue;
            }
            if (pw.runs[i][m] != pw.runs[i - 1][m]) {
                return 1;
            }
        }
    }
    return 0;
}

/* --trace-blocks: runs are numbered from base on in the block table (an
 * object's round is the run that made it, and no run of another test has
 * its number), from 1 in the records. */
static int trace_base;

static void
send_site(int round, int64_t count, int64_t size, const char *where,
    void *arg)
{
    worker_send_site(round - trace_base, count, size, where, arg);
}

static void
send_site_type(int round, int64_t count, const char *type, void *arg)
{
    worker_send_site_type(round - trace_base, count, type, arg);
}

/* A test's runs (start again): new run numbers, no snapshot yet. */
static void
trace_restart(void)
{
    sites_forget_snapshots();
    trace_base += 1000;
}

/* MEASURE: the counters of run r, read allocating nothing. --explain:
 * after those of the two runs before the last, a snapshot if the test
 * looks like leaking; after the last run's, if it still does, the explanation,
 * whose records go before the counters record (channel.c). A test that
 * does not look leaky costs nothing more. */
static void
measure(long r)
{
    const struct spec *st = pw.st;
    int64_t c[METRIC_COUNT];
    int last = st->warmups + st->tracked;

    probe_read_live(c);
    memcpy(pw.last, c, sizeof pw.last);
    pw.measured = 1;
    if (r >= 1 && r <= last) {
        memcpy(pw.runs[r - 1], c, sizeof c);
    }
    if (st->explain && r >= 1 && r <= last) {
        if (r == last && explainer_taken(&pw.ex) && looks_leaky((int)r)) {
            explainer_send(&pw.ex, pw.glue, st->explain, pw.fd, &pw.lost);
        }
    }
    send_counters(r, c);
    /* --trace-blocks: the live blocks per site after the last warm-up run
     * and each tracked run, as after loop mode's rounds */
    if (st->trace_blocks && r >= st->warmups && r <= last) {
        sites_snapshot(trace_base + (int)r);
    }
    /* two snapshots: what the run before the last made and the last kept
     * (explainer.h) */
    if (st->explain && (r == last - 2 || r == last - 1) &&
        looks_leaky((int)r)) {
        explainer_snapshot(&pw.ex, pw.glue);
    } else if (st->explain && r >= last - 2) {
        explainer_clear(&pw.ex);
    }
}

/* A record of send(code, number, text); True when the channel is gone.
 * send(MOVED, 0, None): whether the heap moved since the last reading.
 * METH_FASTCALL: no argument tuple is made between two readings. */
static PyObject *
send_record(long code, long number, const char *text)
{
    char *esc, num[32];

    snprintf(num, sizeof num, "%ld", number);
    switch (code) {
    case SEND_TEST:
        esc = escaped(text);
        send_line("test %s\n", esc);
        free(esc);
        break;
    case SEND_BEGIN:
        explainer_clear(&pw.ex);    /* a test that ended early left it */
        trace_restart();
        esc = escaped(text);
        send_line("testbegin %s %s\n", num, esc);
        free(esc);
        break;
    case SEND_RUN:
        probe_set_round(trace_base + (int)number,
            number > pw.st->warmups);
        send_line("phase %s run\n", num);
        break;
    case SEND_COLLECT:
        send_line("phase %s collect\n", num);
        break;
    case SEND_MEASURE:
        /* as in loop mode: extension modules whose refcounting bypasses
         * the total, before the reading */
        probe_untrusted_modules(send_untrusted, NULL);
        send_line("phase %s measure\n", num);
        measure(number);
        break;
    case SEND_END:
        if (number < 0 || number >= (long)(sizeof outcomes /
            sizeof outcomes[0])) {
            PyErr_SetString(PyExc_ValueError, "send: no such outcome");
            return NULL;
        }
        /* --trace-blocks: where the blocks its tracked runs kept were
         * made, before its end (a test that did not run them all: none) */
        if (pw.st->trace_blocks) {
            sites_report(pw.st->trace_blocks, send_site, send_site_type,
                &pw.fd);
            trace_restart();
        }
        esc = escaped(text);
        send_line("testend %s %s\n", outcomes[number], esc);
        free(esc);
        break;
    case SEND_MOVED:
        return PyBool_FromLong(moved());
    case SEND_SUSPECT:
        return PyBool_FromLong(screen_moved());
    case SEND_AGAIN:
        trace_restart();            /* its runs start again */
        send_line("testagain %s\n", num);
        break;
    default:
        PyErr_SetString(PyExc_ValueError, "send: no such record");
        return NULL;
    }
    return PyBool_FromLong(pw.lost);
}

static PyObject *
send_cb(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *held = NULL, *res;
    const char *text = "";
    long code, number;

    (void)self;
    if (getpid() != pw.pid) {
        _exit(0);       /* a child a test forked came back here */
    }
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "send(code, number, text)");
        return NULL;
    }
    code = PyLong_AsLong(args[0]);
    number = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    /* a test id from a file name that is not UTF-8: its bytes */
    if (args[2] != Py_None && (text = embed_text(args[2], &held)) == NULL) {
        return NULL;
    }
    res = send_record(code, number, text);
    Py_XDECREF(held);
    return res;
}

static PyMethodDef send_def = {
    "send", (PyCFunction)(void (*)(void))send_cb, METH_FASTCALL,
    "refhunt: send a record to the supervisor",
};

static PyObject *
args_list(const struct spec *st)
{
    PyObject *list = PyList_New(0), *a;
    int i;

    for (i = 0; list != NULL && i < st->nargs; i++) {
        a = PyUnicode_DecodeFSDefault(st->args[i]);
        if (a == NULL || PyList_Append(list, a) < 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(a);
    }
    return list;
}

/* --test-ids FILE: the set of ids to hunt (None for every test), and
 * *skip the set of files that need not be collected: those after an
 * empty line in FILE (the batches of -j N). */
static PyObject *
test_ids(const struct spec *st, PyObject **skip, char **cause)
{
    PyObject *ids = NULL, *into, *id;
    FILE *f = NULL;
    char *line = NULL, *raw;
    size_t cap = 0;
    ssize_t len;

    if ((*skip = PySet_New(NULL)) != NULL && st->test_ids == NULL) {
        Py_RETURN_NONE;
    }
    if (*skip != NULL && (f = fopen(st->test_ids, "r")) == NULL) {
        *cause = xasprintf("cannot read %s: %s", st->test_ids,
            strerror(errno));
        Py_CLEAR(*skip);
        return NULL;
    }
    into = ids = *skip != NULL ? PySet_New(NULL) : NULL;
    while (ids != NULL && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (len == 0) {
            into = *skip;       /* the files follow */
            continue;
        }
        raw = record_unescape(line);
        id = PyUnicode_DecodeUTF8(raw, (Py_ssize_t)strlen(raw),
            "surrogateescape");
        free(raw);
        if (id == NULL || PySet_Add(into, id) < 0) {
            Py_CLEAR(ids);
        }
        Py_XDECREF(id);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    if (ids == NULL) {
        PyErr_Clear();
        Py_CLEAR(*skip);
        *cause = xstrdup("cannot hold the test ids");
    }
    return ids;
}

static void
send_fail(enum phase p, const char *text)
{
    char *esc = escaped(text != NULL ? text : "failed");

    send_line("fail 1 %s %s\n", phase_name(p), esc);
    free(esc);
}

/* Runs the suite's hunt in pertest.py; NULL, or why the run failed. */
static char *
hunt_suite(const struct spec *st, PyObject *glue)
{
    PyObject *send, *res, *held, *ids, *skip;
    char *cause = NULL;
    const char *u;
    int dump_fd;

    if (embed_call_void(glue, "loop_setup", PyTuple_New(0),
        &cause) != 0 || embed_exec(glue, &refhunt_pertest_py,
        &cause) != 0) {
        /* pertest.py in glue's namespace: it uses cleanup() and collect() */
        return cause;
    }
    /* --explain: once before the tests, its result dropped: what the
     * first listing of the heap leaves for good is left before them */
    pw.runs = xcalloc((size_t)(st->warmups + st->tracked), sizeof *pw.runs);
    if (st->explain) {
        pw.glue = glue;
        explainer_snapshot(&pw.ex, glue);
        explainer_clear(&pw.ex);
    }
    if ((ids = test_ids(st, &skip, &cause)) == NULL) {
        return cause;
    }
    if ((send = PyCFunction_New(&send_def, NULL)) == NULL) {
        Py_DECREF(ids);
        Py_DECREF(skip);
    }
    /* the timeout's traceback: to stderr as it is now, before a test
     * runner captures descriptor 2 */
    dump_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    res = send == NULL ? NULL : embed_call(glue, "hunt",
        Py_BuildValue("(sNNNiiiiiiiN)", st->target, args_list(st), ids,
        skip, st->warmups + st->tracked, st->warmups, st->gc_passes,
        st->screen, st->isolated,
        dump_fd >= 0 ? dump_fd : STDERR_FILENO, SIGUSR1, send), &cause);
    if (res == NULL) {
        return cause;
    }
    if (res != Py_None) {
        u = embed_text(res, &held);
        cause = xstrdup(u != NULL ? u : "the test run failed");
        PyErr_Clear();
        Py_XDECREF(held);
    }
    Py_DECREF(res);
    return cause;
}

PyObject *
pertest_list(PyObject *glue, const struct spec *st, char **cause)
{
    if (embed_exec(glue, &refhunt_pertest_py, cause) != 0) {
        return NULL;
    }
    return embed_call(glue, "list_ids", Py_BuildValue("(sNi)", st->target,
        args_list(st), st->isolated), cause);
}

int
pertest_worker(const struct spec *st, int fd)
{
    PyObject *glue;
    char *cause = NULL;
    int rc = 0;

    pw.fd = fd;
    pw.pid = getpid();
    pw.st = st;
    if (st->trace_blocks) {
        probe_trace_blocks(TRACE_FRAMES);
    }
    send_line("phase 1 init\n");
    if (embed_start(st, &cause) != 0) {
        send_fail(PHASE_INIT, cause);
        free(cause);
        return pw.lost ? RECORD_EXIT_LOST : 3;
    }
    send_line("phase 1 run\n");
    glue = embed_load_glue(worker_wants_finders(st), &cause);
    if (glue != NULL) {
        cause = hunt_suite(st, glue);
    }
    explainer_clear(&pw.ex);
    free(pw.runs);
    pw.runs = NULL;
    pw.glue = NULL;
    Py_XDECREF(glue);
    if (cause != NULL) {
        send_fail(PHASE_RUN, cause);
        free(cause);
        rc = 3;
    } else {
        send_line("phase 1 finalize\n");
    }
    if (embed_finish(&cause) != 0) {
        if (rc == 0) {
            send_fail(PHASE_FINALIZE, cause);
            rc = 3;
        }
        free(cause);
    }
    if (pw.lost || (rc == 0 && record_send(fd, "end\n") != 0)) {
        return RECORD_EXIT_LOST;
    }
    return rc;
}
