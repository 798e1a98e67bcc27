/* share.c: the import share's modules, and the code that imports them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "share.h"
#include "xmalloc.h"

static void
keep(char ***list, int *n, const char *s)
{
    *list = xreallocarray(*list, (size_t)*n + 1, sizeof **list);
    (*list)[(*n)++] = xstrdup(s);
}

void
share_keep(struct share *sh, PyObject *glue)
{
    PyObject *paths, *names, *name, *held;
    const char *text;
    char *cause = NULL;
    Py_ssize_t i;

    paths = embed_call(glue, "added_paths", PyTuple_New(0), &cause);
    for (i = 0; paths != NULL && i < PyList_Size(paths); i++) {
        if ((text = PyBytes_AsString(PyList_GetItem(paths, i))) != NULL) {
            keep(&sh->paths, &sh->npaths, text);
        }
        PyErr_Clear();
    }
    Py_XDECREF(paths);
    free(cause);    /* then modules from there fail on their own */
    cause = NULL;
    names = embed_call(glue, "imported", PyTuple_New(0), &cause);
    for (i = 0; names != NULL && i < PyList_Size(names); i++) {
        name = PyTuple_GetItem(PyList_GetItem(names, i), 0);
        if (name != NULL && (text = embed_text(name, &held)) != NULL) {
            keep(&sh->names, &sh->nnames, text);
        }
        Py_XDECREF(held);
        PyErr_Clear();
    }
    Py_XDECREF(names);
    free(cause);    /* no modules: the share imports none */
}

/* Appends s to the code. */
static void
add(char **code, const char *s)
{
    char *next = xasprintf("%s%s", *code, s);

    free(*code);
    *code = next;
}

/* A name or path as a Python bytes literal: any byte is safe. */
static void
add_bytes(char **code, const char *s)
{
    char hex[8];

    add(code, "b'");
    for (; *s != '\0'; s++) {
        snprintf(hex, sizeof hex, "\\x%02x", (unsigned char)*s);
        add(code, hex);
    }
    add(code, "'");
}

char *
share_code(const struct share *sh)
{
    char *code = xstrdup("import os, sys\nsys.path[0:0] = map(os.fsdecode, [");
    int i;

    for (i = 0; i < sh->npaths; i++) {
        add(&code, i > 0 ? ", " : "");
        add_bytes(&code, sh->paths[i]);
    }
    add(&code, "])\nfor name in [");
    for (i = 0; i < sh->nnames; i++) {
        add(&code, i > 0 ? ", " : "");
        add_bytes(&code, sh->names[i]);
    }
    add(&code, "]:\n    try:\n        __import__(name.decode())\n"
        "    except Exception:\n        pass\n");
    return code;
}

void
share_free(struct share *sh)
{
    int i;

    for (i = 0; i < sh->npaths; i++) {
        free(sh->paths[i]);
    }
    for (i = 0; i < sh->nnames; i++) {
        free(sh->names[i]);
    }
    free(sh->paths);
    free(sh->names);
    memset(sh, 0, sizeof *sh);
}
