/*
 * worker.c: the process that embeds CPython and runs the rounds.
 *
 * Reinit mode: every round is a whole interpreter lifetime,
 *   Py_PreInitialize, Py_InitializeFromConfig, run, gc passes,
 *   Py_FinalizeEx, then the counters, read outside any interpreter.
 * A record goes to the supervisor before each phase starts, so a crash
 * names the phase it happened in.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "glue_py.h"
#include "probe.h"
#include "record.h"
#include "verdict.h"
#include "worker.h"
#include "xmalloc.h"

/* Empty rounds that measure the interpreter's own leak per cycle. */
#define CALIBRATION_ROUNDS 4

struct worker {
    const struct settings *st;
    int     fd;             /* the record channel */
    int     lost;           /* the channel is gone: stop */
    pid_t   pid;            /* the worker, not a child the target forked */
};

static void
send_phase(struct worker *w, int round, enum phase p)
{
    if (!w->lost &&
        record_send(w->fd, "phase %d %s\n", round, phase_name(p)) != 0) {
        w->lost = 1;
    }
}

static void
send_fail(struct worker *w, int round, enum phase p, const char *text)
{
    char *esc = record_escape(text);

    if (!w->lost &&
        record_send(w->fd, "fail %d %s %s\n", round, phase_name(p), esc) != 0) {
        w->lost = 1;
    }
    free(esc);
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

/* The text of a failed PyStatus, for a fail record. */
static char *
status_text(PyStatus status)
{
    if (PyStatus_IsExit(status)) {
        return xasprintf("the interpreter exited with status %d",
            status.exitcode);
    }
    return xasprintf("%s%s%s", status.func != NULL ? status.func : "",
        status.func != NULL ? ": " : "",
        status.err_msg != NULL ? status.err_msg : "initialization failed");
}

/* sys.argv as the python command sets it. */
static PyStatus
set_argv(PyConfig *config, const struct settings *st)
{
    PyStatus status;
    char **argv = xcalloc((size_t)st->nargs + 2, sizeof *argv);
    int i;

    switch (st->kind) {
    case TARGET_SCRIPT:
        argv[0] = (char *)st->target;
        break;
    case TARGET_MODULE:
        argv[0] = "-m";     /* runpy puts the module's path here */
        break;
    case TARGET_CODE:
        argv[0] = "-c";
        break;
    }
    for (i = 0; i < st->nargs; i++) {
        argv[i + 1] = st->args[i];
    }
    status = PyConfig_SetBytesArgv(config, st->nargs + 1, argv);
    free(argv);
    return status;
}

/* Starts one interpreter; on failure *cause says why. */
static int
start_interpreter(const struct settings *st, char **cause)
{
    PyPreConfig preconfig;
    PyConfig config;
    PyStatus status;

    if (st->isolated) {
        PyPreConfig_InitIsolatedConfig(&preconfig);
    } else {
        PyPreConfig_InitPythonConfig(&preconfig);
    }
    status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        *cause = status_text(status);
        return -1;
    }
    probe_before_init();

    if (st->isolated) {
        PyConfig_InitIsolatedConfig(&config);
    } else {
        PyConfig_InitPythonConfig(&config);
    }
    config.parse_argv = 0;
    /* Same hash seed every round, so that dict and set sizes repeat. */
    if (st->isolated || getenv("PYTHONHASHSEED") == NULL) {
        config.use_hash_seed = 1;
        config.hash_seed = 0;
    }
    /* Tracebacks on stderr if the target crashes the process. */
    config.faulthandler = 1;
    /* As if started as the python it was built for: prefix, sys.executable. */
    status = PyConfig_SetBytesString(&config, &config.program_name,
        REFHUNT_PYTHON_EXECUTABLE);
    if (PyStatus_Exception(status)) {
        goto error;
    }
    status = set_argv(&config, st);
    if (PyStatus_Exception(status)) {
        goto error;
    }
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) {
        goto error;
    }
    PyConfig_Clear(&config);
    return 0;
error:
    *cause = status_text(status);
    PyConfig_Clear(&config);
    return -1;
}

/* The text of the pending Python exception, cleared. */
static char *
fetch_error(const char *what)
{
    PyObject *type, *value, *tb, *s;
    char *text = NULL;

    PyErr_Fetch(&type, &value, &tb);
    if (value != NULL && (s = PyObject_Str(value)) != NULL) {
        const char *u = PyUnicode_AsUTF8(s);

        if (u != NULL) {
            text = xasprintf("%s: %s: %s", what,
                ((PyTypeObject *)type)->tp_name, u);
        }
        Py_DECREF(s);
    }
    PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text != NULL ? text : xasprintf("%s failed", what);
}

/* glue.py compiled once and marshalled: loading that in later rounds
 * costs 35 us instead of 1 ms of compiling (debug 3.11). */
static char   *glue_marshalled;
static size_t  glue_marshalled_len;

static PyObject *
glue_code(void)
{
    PyObject *code, *bytes;

    if (glue_marshalled != NULL) {
        return PyMarshal_ReadObjectFromString(glue_marshalled,
            (Py_ssize_t)glue_marshalled_len);
    }
    code = Py_CompileString(refhunt_glue_py, "<refhunt glue.py>",
        Py_file_input);
    if (code == NULL) {
        return NULL;
    }
    bytes = PyMarshal_WriteObjectToString(code, Py_MARSHAL_VERSION);
    if (bytes == NULL) {
        PyErr_Clear();      /* compile again next round */
        return code;
    }
    glue_marshalled_len = (size_t)PyBytes_GET_SIZE(bytes);
    glue_marshalled = xmalloc(glue_marshalled_len);
    memcpy(glue_marshalled, PyBytes_AS_STRING(bytes), glue_marshalled_len);
    Py_DECREF(bytes);
    return code;
}

/* Runs glue.py in a fresh namespace; a new reference, or NULL. */
static PyObject *
load_glue(void)
{
    PyObject *ns, *code, *res;

    ns = PyDict_New();
    if (ns == NULL) {
        return NULL;
    }
    if (PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins()) < 0) {
        Py_DECREF(ns);
        return NULL;
    }
    code = glue_code();
    if (code == NULL) {
        Py_DECREF(ns);
        return NULL;
    }
    res = PyEval_EvalCode(code, ns, ns);
    Py_DECREF(code);
    if (res == NULL) {
        Py_DECREF(ns);
        return NULL;
    }
    Py_DECREF(res);
    return ns;
}

/* Calls glue.NAME(args); NULL with *cause on an error of refhunt's own. */
static PyObject *
call_glue(PyObject *glue, const char *name, PyObject *args, char **cause)
{
    PyObject *func = PyDict_GetItemString(glue, name), *res;

    if (func == NULL || args == NULL) {
        *cause = fetch_error(name);
        Py_XDECREF(args);
        return NULL;
    }
    res = PyObject_CallObject(func, args);
    Py_DECREF(args);
    if (res == NULL) {
        *cause = fetch_error(name);
    }
    return res;
}

static const char *
kind_name(enum target_kind k)
{
    return k == TARGET_SCRIPT ? "script" : k == TARGET_MODULE ? "module" :
        "code";
}

/*
 * Runs the target (or, to calibrate, the empty target "pass") and the gc
 * passes in the live interpreter; returns 0, or -1 with *cause (the
 * target's traceback or exit status) and *phase.
 */
static int
run_target(struct worker *w, int round, int empty, enum phase *phase,
    char **cause)
{
    const struct settings *st = w->st;
    PyObject *glue, *res;
    int rc = -1;

    *phase = PHASE_RUN;
    glue = load_glue();
    if (glue == NULL) {
        *cause = fetch_error("refhunt glue");
        return -1;
    }
    send_phase(w, round, PHASE_RUN);
    res = call_glue(glue, "run", Py_BuildValue("(ssii)",
        empty ? "code" : kind_name(st->kind), empty ? "pass" : st->target,
        st->isolated, SIGUSR1), cause);
    if (getpid() != w->pid) {
        /* A child the target forked came back: as under python, the
         * script is over for it. */
        _exit(Py_FinalizeEx() < 0 ? 120 : res == Py_None ? 0 : 1);
    }
    if (res == NULL) {
        goto out;
    }
    if (res != Py_None) {
        const char *u = PyUnicode_AsUTF8(res);

        *cause = xstrdup(u != NULL ? u : "the target failed");
        PyErr_Clear();
        Py_DECREF(res);
        goto out;
    }
    Py_DECREF(res);
    *phase = PHASE_COLLECT;
    send_phase(w, round, PHASE_COLLECT);
    res = call_glue(glue, "collect", Py_BuildValue("(i)", st->gc_passes),
        cause);
    if (res == NULL) {
        goto out;
    }
    Py_DECREF(res);
    rc = 0;
out:
    Py_DECREF(glue);
    return rc;
}

/* One interpreter lifetime; counters[] read after it. 0, or -1 when the
 * round failed (the fail record is sent). */
static int
one_round(struct worker *w, int round, int empty, int64_t counters[])
{
    enum phase phase = PHASE_INIT;
    char *cause = NULL;
    int failed;

    send_phase(w, round, PHASE_INIT);
    if (start_interpreter(w->st, &cause) != 0) {
        send_fail(w, round, PHASE_INIT, cause);
        free(cause);
        return -1;
    }
    failed = run_target(w, round, empty, &phase, &cause) != 0;
    send_phase(w, round, PHASE_FINALIZE);
    probe_before_finalize();
    if (Py_FinalizeEx() < 0 && !failed) {
        failed = 1;
        phase = PHASE_FINALIZE;
        cause = xstrdup("Py_FinalizeEx failed: buffered data could not be "
            "written (stdout or stderr closed?)");
    }
    if (failed) {
        send_fail(w, round, phase, cause);
        free(cause);
        return -1;
    }
    send_phase(w, round, PHASE_MEASURE);
    probe_read(counters);
    return 0;
}

/*
 * Runs empty rounds (round 0 in the records) and sends the smallest growth
 * per round, to be subtracted from the target's: the smallest, so that
 * noise never hides a leak of the target.
 */
static void
calibrate(struct worker *w)
{
    int64_t prev[METRIC_COUNT], cur[METRIC_COUNT], least[METRIC_COUNT];
    char buf[METRIC_COUNT][32];
    int i, m;

    for (i = 0; i < CALIBRATION_ROUNDS; i++) {
        if (one_round(w, 0, 1, cur) != 0) {
            return;     /* the fail record says why */
        }
        for (m = 0; i > 0 && m < METRIC_COUNT; m++) {
            int64_t d = cur[m] == COUNTER_NONE ? COUNTER_NONE :
                cur[m] - prev[m];

            if (i == 1 || d < least[m]) {
                least[m] = d;
            }
        }
        memcpy(prev, cur, sizeof prev);
    }
    for (m = 0; m < METRIC_COUNT; m++) {
        format_counter(buf[m], sizeof buf[m], least[m]);
    }
    if (!w->lost && record_send(w->fd, "calibration %s %s %s\n", buf[0],
        buf[1], buf[2]) != 0) {
        w->lost = 1;
    }
}

/*
 * Whether a metric moves in every tracked round (up, or down: 3.12+ less
 * the interned strings): then an empty target must show how much of that is
 * the interpreter's own (release 3.9, 3.12 and 3.13 leak blocks on every
 * init/finalize cycle). Clean targets on clean interpreters skip it.
 */
static int
needs_calibration(const struct settings *st, int64_t (*counters)[METRIC_COUNT])
{
    int64_t *deltas = xcalloc((size_t)st->tracked, sizeof *deltas);
    int i, m, leaks = 0;

    for (m = 0; m < METRIC_COUNT && !leaks; m++) {
        for (i = 0; i < st->tracked; i++) {
            int64_t a = counters[st->warmups + i - 1][m],
                b = counters[st->warmups + i][m];

            deltas[i] = a == COUNTER_NONE || b == COUNTER_NONE ? 0 : b - a;
        }
        leaks = verdict_leaks((enum metric)m, deltas, st->tracked);
        for (i = 0; i < st->tracked; i++) {
            deltas[i] = -deltas[i];
        }
        leaks |= verdict_leaks((enum metric)m, deltas, st->tracked);
    }
    free(deltas);
    return leaks;
}

int
worker_main(const struct settings *st)
{
    struct worker w = { st, st->worker_fd, 0, getpid() };
    int nrounds = st->warmups + st->tracked, round, m;
    int64_t (*counters)[METRIC_COUNT];
    char buf[METRIC_COUNT][32], *version;

    /* Children the target execs must not hold the channel open. */
    if (fcntl(w.fd, F_SETFD, FD_CLOEXEC) < 0 || record_bind(w.fd) != 0) {
        fprintf(stderr, "refhunt: --worker-fd %d: %s\n", w.fd,
            strerror(errno));
        return 2;
    }
    version = record_escape(probe_version());
    if (record_send(w.fd, "hello %s %d %d %s\n", version, probe_debug_build(),
        probe_refs_available(), probe_blocks_source()) != 0) {
        free(version);
        return RECORD_EXIT_LOST;
    }
    free(version);
    counters = xcalloc((size_t)nrounds, sizeof *counters);
    for (round = 1; round <= nrounds && !w.lost; round++) {
        if (one_round(&w, round, 0, counters[round - 1]) != 0) {
            free(counters);
            return w.lost ? RECORD_EXIT_LOST : 3;
        }
        for (m = 0; m < METRIC_COUNT; m++) {
            format_counter(buf[m], sizeof buf[m], counters[round - 1][m]);
        }
        if (record_send(w.fd, "counters %d %s %s %s\n", round, buf[0],
            buf[1], buf[2]) != 0) {
            w.lost = 1;
        }
    }
    if (!w.lost && !probe_clean_cycle() && needs_calibration(st, counters)) {
        calibrate(&w);
    }
    free(counters);
    if (w.lost || record_send(w.fd, "end\n") != 0) {
        return RECORD_EXIT_LOST;
    }
    return 0;
}
