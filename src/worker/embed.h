/* embed.h: starting and stopping the embedded CPython, and calling
 * glue.py in it. Every function but embed_start needs the GIL. */
#ifndef REFHUNT_EMBED_H
#define REFHUNT_EMBED_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "spec.h"

/* Py_PreInitialize and Py_InitializeFromConfig as the settings say;
 * 0, or -1 with *cause. */
int         embed_start(const struct spec *, char **);

/* The first call remembers the working directory; every later call
 * goes back to it, so that every round starts where a new python would,
 * whatever os.chdir() the round before did. 0, or -1 with *cause. */
int         embed_home(char **);

/* Py_FinalizeEx; 0, or -1 with *cause. */
int         embed_finish(char **);

/* A Python file of refhunt's, compiled in by scripts/py2c.py: its source,
 * and its code marshalled at build time by the interpreter refhunt embeds,
 * whose bytecode magic number says which libpython can read it. */
struct embedded_py {
    const char          *filename;  /* "<refhunt glue.py>" */
    const char          *source;
    const unsigned char *code;
    size_t               code_len;
    long                 magic;     /* PyImport_GetMagicNumber() */
};

/* glue.py run in a fresh namespace of the current interpreter, and
 * finders.py after it in the same namespace if asked (--show-growth,
 * --explain): a new reference, or NULL with *cause. */
PyObject   *embed_load_glue(int, char **);

/* Runs one of refhunt's files in the namespace ns (more code beside
 * glue's); 0, or -1 with *cause. */
int         embed_exec(PyObject *, const struct embedded_py *, char **);

/* glue.NAME(*args) (args is stolen): its result, or NULL with *cause. */
PyObject   *embed_call(PyObject *, const char *, PyObject *, char **);

/* The bytes of a str as the OS gave them (a file name that is not UTF-8
 * decoded with surrogateescape comes back as it was): UTF-8, or the bytes
 * in a new object left in *holder (to release); NULL with an exception. */
const char *embed_text(PyObject *, PyObject **);
int         embed_call_void(PyObject *, const char *, PyObject *, char **);

/* Runs the target (empty: "pass") through glue.run; 0, or -1 with *cause
 * holding the traceback or exit status. fresh_main: a new __main__ module
 * for this run (rounds that share an interpreter). */
int         embed_run(PyObject *, const struct spec *, int, int, char **);

#endif
