/*
 * lifetimes.c: what it costs any program to start Python N times, for
 * scripts/bench-instructions.py, sharing no code with refhunt: N whole
 * interpreter lifetimes of SCRIPT in one process, each as python's own
 * main runs it (the script's path as argv, site imported, the file run,
 * Py_FinalizeEx), and nothing else: no gc pass, no counter read.
 *
 *     indep_lifetimes SCRIPT N
 *
 * Exit 3 when a lifetime fails to start or end, or the script raises.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    int i, n;

    if (argc != 3 || (n = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: indep_lifetimes SCRIPT N\n");
        return 2;
    }
    for (i = 0; i < n; i++) {
        PyConfig config;
        PyStatus status;
        FILE *f;
        int failed;

        PyConfig_InitPythonConfig(&config);
        status = PyConfig_SetBytesArgv(&config, 1, &argv[1]);
        if (!PyStatus_Exception(status)) {
            status = Py_InitializeFromConfig(&config);
        }
        PyConfig_Clear(&config);
        if (PyStatus_Exception(status) || (f = fopen(argv[1], "rb")) == NULL) {
            fprintf(stderr, "indep_lifetimes: lifetime %d failed to start\n",
                i + 1);
            return 3;
        }
        failed = PyRun_AnyFileExFlags(f, argv[1], 1, NULL) != 0;
        if (Py_FinalizeEx() < 0 || failed) {
            fprintf(stderr, "indep_lifetimes: lifetime %d failed\n", i + 1);
            return 3;
        }
    }
    return 0;
}
