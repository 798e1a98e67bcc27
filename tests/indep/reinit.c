/*
 * reinit.c: an independent measurement of reinit rounds for tests/truth.py,
 * sharing no code with refhunt: CODE run in N whole interpreter lifetimes
 * (initialize, run, 3 gc passes, Py_FinalizeEx), printing the references
 * and memory blocks left after each as JSON, [[refs, blocks], ...] (refs
 * null on a release build).
 *
 *     indep_reinit PYTHON CODE N
 *
 * Exit 3 when a round fails; 77 where the global block count is not
 * exported (3.12 and later).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>

#if PY_VERSION_HEX < 0x030C0000
PyAPI_FUNC(Py_ssize_t) _Py_GetAllocatedBlocks(void);

/* One interpreter lifetime; 0, -1 if it could not start or end, -2 if the
 * code failed. */
static int
lifetime(const char *python, const char *code)
{
    PyConfig config;
    PyStatus status;
    int failed;

    PyConfig_InitPythonConfig(&config);
    config.use_hash_seed = 1;
    config.hash_seed = 0;
    status = PyConfig_SetBytesString(&config, &config.program_name, python);
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        return -1;
    }
    failed = PyRun_SimpleString(code) != 0;
    PyRun_SimpleString("import gc\nfor _ in range(3): gc.collect()\n");
    return Py_FinalizeEx() < 0 ? -1 : failed ? -2 : 0;
}
#endif

int
main(int argc, char **argv)
{
#if PY_VERSION_HEX < 0x030C0000
    int i, n, rc;

    if (argc != 4 || (n = atoi(argv[3])) < 1) {
        fprintf(stderr, "usage: indep_reinit PYTHON CODE N\n");
        return 2;
    }
    printf("[");
    for (i = 0; i < n; i++) {
        if ((rc = lifetime(argv[1], argv[2])) != 0) {
            fprintf(stderr, "indep_reinit: round %d %s\n", i + 1, rc == -2 ?
                "failed: the code raised" : "failed to start or end");
            return 3;
        }
#ifdef Py_REF_DEBUG
        printf("%s[%zd, %zd]", i > 0 ? ", " : "", _Py_GetRefTotal(),
            _Py_GetAllocatedBlocks());
#else
        printf("%s[null, %zd]", i > 0 ? ", " : "", _Py_GetAllocatedBlocks());
#endif
    }
    printf("]\n");
    return 0;
#else
    (void)argc;
    (void)argv;
    return 77;
#endif
}
