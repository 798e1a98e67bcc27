/*
 * embed.c: starting and stopping the embedded CPython, and calling glue.py
 * in it. What differs between versions is in probe.c.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "embed.h"
#include "finders_py.h"
#include "glue_py.h"
#include "probe.h"
#include "sites.h"
#include "xmalloc.h"

int
embed_home(char **cause)
{
    static char *home;

    if (home == NULL) {
        home = getcwd(NULL, 0);
        return 0;
    }
    if (chdir(home) != 0) {
        *cause = xasprintf("cannot go back to the working directory %s, "
            "where every round starts: %s", home, strerror(errno));
        return -1;
    }
    return 0;
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
set_argv(PyConfig *config, const struct spec *st)
{
    PyStatus status;
    wchar_t **argv = xcalloc((size_t)st->nargs + 2, sizeof *argv);
    const char *arg0;
    int i, n = 0;

    switch (st->kind) {
    case TARGET_SCRIPT:
        arg0 = st->target;
        break;
    case TARGET_MODULE:
        arg0 = "-m";        /* runpy puts the module's path here */
        break;
    case TARGET_CODE:
    default:
        arg0 = "-c";
        break;
    }
    /* decoded as PyConfig_SetBytesArgv would, without casting const away */
    for (i = -1; i < st->nargs; i++) {
        argv[n] = Py_DecodeLocale(i < 0 ? arg0 : st->args[i], NULL);
        if (argv[n++] == NULL) {
            status = PyStatus_NoMemory();
            goto out;
        }
    }
    status = PyConfig_SetArgv(config, n, argv);
out:
    for (i = 0; i < n; i++) {
        PyMem_RawFree(argv[i]);
    }
    free(argv);
    return status;
}

/* Starts one interpreter; on failure *cause says why. */
int
embed_start(const struct spec *st, char **cause)
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
    probe_after_init();
    sites_note_stdlib();
    sites_watch_extensions();
    return 0;
error:
    *cause = status_text(status);
    PyConfig_Clear(&config);
    return -1;
}

int
embed_finish(char **cause)
{
    probe_before_finalize();
    if (probe_finalize() < 0) {
        *cause = xstrdup("Py_FinalizeEx failed: buffered data could not be "
            "written (stdout or stderr closed?)");
        return -1;
    }
    return 0;
}

const char *
embed_text(PyObject *s, PyObject **holder)
{
    const char *u;

    *holder = NULL;
    if ((u = PyUnicode_AsUTF8(s)) != NULL) {
        return u;       /* no allocation after the first time */
    }
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        return NULL;
    }
    PyErr_Clear();
    *holder = PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape");
    return *holder != NULL ? PyBytes_AS_STRING(*holder) : NULL;
}

/* The text of the pending Python exception, cleared. */
static char *
fetch_error(const char *what)
{
    PyObject *exc = probe_take_exception(), *s, *held;
    char *text = NULL;

    if (exc != NULL && (s = PyObject_Str(exc)) != NULL) {
        const char *u = embed_text(s, &held);

        if (u != NULL) {
            text = xasprintf("%s: %s: %s", what, Py_TYPE(exc)->tp_name, u);
        }
        Py_XDECREF(held);
        Py_DECREF(s);
    }
    PyErr_Clear();
    Py_XDECREF(exc);
    return text != NULL ? text : xasprintf("%s failed", what);
}

/* The code of one of refhunt's files: unmarshalled as the build compiled
 * it, or compiled here if this libpython's bytecode is not the build's
 * (an interpreter upgraded since). A new reference, or NULL. */
static PyObject *
embedded_code(const struct embedded_py *py)
{
    PyObject *code = NULL;
    long magic = PyImport_GetMagicNumber();

    if (magic == -1) {
        PyErr_Clear();      /* unknown: compile */
    }
    if (magic == py->magic) {
        code = PyMarshal_ReadObjectFromString((const char *)py->code,
            (Py_ssize_t)py->code_len);
        if (code == NULL) {
            PyErr_Clear();
        }
    }
    if (code == NULL) {
        code = Py_CompileString(py->source, py->filename, Py_file_input);
    }
    if (code != NULL) {
        probe_own_code(code);
    }
    return code;
}

/* glue._c_compile(source: bytes, filename: str, ignore_cookie: bool):
 * compile() without PyAST_Check, which builds the ast module's types in
 * every new interpreter (glue.py's _compile says more). */
static PyObject *
c_compile(PyObject *self, PyObject *args)
{
    PyCompilerFlags flags = _PyCompilerFlags_INIT;
    PyObject *filename;
    const char *source;
    int ignore_cookie;

    (void)self;
    if (!PyArg_ParseTuple(args, "yUp", &source, &filename, &ignore_cookie)) {
        return NULL;
    }
    if (ignore_cookie) {
        flags.cf_flags |= PyCF_IGNORE_COOKIE;
    }
    return Py_CompileStringObject(source, filename, Py_file_input, &flags,
        -1);
}

static PyMethodDef c_compile_def = {
    "_c_compile", c_compile, METH_VARARGS, NULL,
};

/* glue._c_uncounted_refs(obj): probe_uncounted_refs(). */
static PyObject *
c_uncounted_refs(PyObject *self, PyObject *obj)
{
    (void)self;
    return PyLong_FromLong(probe_uncounted_refs(obj));
}

static PyMethodDef c_uncounted_refs_def = {
    "_c_uncounted_refs", c_uncounted_refs, METH_O, NULL,
};

/* glue._c_no_opcache(): probe_no_opcache(). */
static PyObject *
c_no_opcache(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    probe_no_opcache();
    Py_RETURN_NONE;
}

static PyMethodDef c_no_opcache_def = {
    "_c_no_opcache", c_no_opcache, METH_NOARGS, NULL,
};

PyObject *
embed_load_glue(int finders, char **cause)
{
    PyObject *ns, *code, *res, *func;
    int rc;

    ns = PyDict_New();
    if (ns == NULL ||
        PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins()) < 0 ||
        (func = PyCFunction_New(&c_compile_def, NULL)) == NULL) {
        goto error;
    }
    rc = PyDict_SetItemString(ns, "_c_compile", func);
    Py_DECREF(func);
    if (rc == 0) {
        func = PyCFunction_New(&c_uncounted_refs_def, NULL);
        rc = func == NULL ? -1 :
            PyDict_SetItemString(ns, "_c_uncounted_refs", func);
        Py_XDECREF(func);
    }
    if (rc == 0) {
        func = PyCFunction_New(&c_no_opcache_def, NULL);
        rc = func == NULL ? -1 :
            PyDict_SetItemString(ns, "_c_no_opcache", func);
        Py_XDECREF(func);
    }
    if (rc < 0 || (code = embedded_code(&refhunt_glue_py)) == NULL) {
        goto error;
    }
    res = PyEval_EvalCode(code, ns, ns);
    Py_DECREF(code);
    if (res == NULL) {
        goto error;
    }
    Py_DECREF(res);
    if (finders && embed_exec(ns, &refhunt_finders_py, cause) != 0) {
        Py_DECREF(ns);
        return NULL;
    }
    return ns;
error:
    *cause = fetch_error("refhunt glue");
    Py_XDECREF(ns);
    return NULL;
}

int
embed_exec(PyObject *ns, const struct embedded_py *py, char **cause)
{
    PyObject *code = embedded_code(py), *res;

    res = code != NULL ? PyEval_EvalCode(code, ns, ns) : NULL;
    Py_XDECREF(code);
    if (res == NULL) {
        *cause = fetch_error(py->filename);
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

/* Calls glue.NAME(args); NULL with *cause on an error of refhunt's own. */
PyObject *
embed_call(PyObject *glue, const char *name, PyObject *args, char **cause)
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

int
embed_run(PyObject *glue, const struct spec *st, int empty,
    int fresh_main, char **cause)
{
    PyObject *res, *held;
    const char *u;

    /* The target as python takes it: bytes of the file system encoding,
     * a path that is not UTF-8 included */
    res = embed_call(glue, "run", Py_BuildValue("(sNiii)",
        empty ? "code" : kind_name(st->kind),
        PyUnicode_DecodeFSDefault(empty ? "pass" : st->target),
        st->isolated, SIGUSR1, fresh_main), cause);
    if (res == NULL) {
        return -1;
    }
    if (res == Py_None) {
        Py_DECREF(res);
        return 0;
    }
    u = embed_text(res, &held);
    *cause = xstrdup(u != NULL ? u : "the target failed");
    PyErr_Clear();
    Py_XDECREF(held);
    Py_DECREF(res);
    return -1;
}

int
embed_call_void(PyObject *glue, const char *name, PyObject *args,
    char **cause)
{
    PyObject *res = embed_call(glue, name, args, cause);

    Py_XDECREF(res);
    return res != NULL ? 0 : -1;
}
