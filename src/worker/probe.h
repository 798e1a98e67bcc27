/*
 * probe.h: the process-wide counters of the embedded CPython.
 *
 * Every difference between CPython versions and builds lives in probe.c.
 * The counters are read outside the interpreter, after Py_FinalizeEx, so
 * they count what outlived it.
 */
#ifndef REFHUNT_PROBE_H
#define REFHUNT_PROBE_H

#include <stdint.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "blocktable.h"
#include "measure.h"

/* Before each interpreter, after Py_PreInitialize: re-arms the counting
 * where the runtime resets its state on every start (3.12+). */
void        probe_before_init(void);

/* In each new interpreter, with the GIL: installs the reference tracer
 * where it is wanted (3.13+: objects counted, or --trace-blocks). */
void        probe_after_init(void);

/* Whether this build counts live objects (release builds of 3.13+). */
int         probe_objects_counted(void);

/* --trace-blocks: before the first interpreter, hook the allocators on
 * every version and record each block's site (sites.h). */
void        probe_trace_blocks(int);

/* Whether a live block the hook saw is one the runtime keeps by design
 * (3.12 and 3.13's immortal strings) or, after a free-threaded 3.13
 * interpreter ended, one it left that nothing holds: not counted. */
int         probe_block_by_design(uintptr_t, struct block_info);

/* The round that allocations from now on belong to (0: none of the
 * target's, such as calibration rounds), and whether it is a tracked one:
 * --trace-blocks reads the stacks of a tracked round's allocations only,
 * as only what those rounds kept is listed (a warm-up's imports cost
 * most of the stacks a hunt would read). */
void        probe_set_round(int, int);

/* In the live (sub)interpreter, before Py_FinalizeEx or Py_EndInterpreter:
 * notes what its end will leave behind by design. */
void        probe_before_finalize(void);

/* Py_FinalizeEx, noting what the refs total is at its end. */
int         probe_finalize(void);

/* Reads refs, blocks and fds after probe_finalize; COUNTER_NONE for what
 * this build lacks. */
void        probe_read(int64_t [METRIC_COUNT]);

/* The same in the main interpreter after Py_EndInterpreter. */
void        probe_read_after_subinterpreter(int64_t [METRIC_COUNT]);

/* The same in a live interpreter (with the GIL), allocating nothing that
 * stays: the measurement must not show up as a leak. */
void        probe_read_live(int64_t [METRIC_COUNT]);

/* A new subinterpreter, made current; NULL with *cause. */
PyThreadState *probe_new_subinterpreter(char **);

/* Ends it and makes the main interpreter's thread state current again. */
void        probe_end_subinterpreter(PyThreadState *, PyThreadState *);

/* Whether an init/finalize cycle of an empty target is known to leave
 * nothing behind on this version (no calibration needed). */
int         probe_clean_cycle(void);

/* Whether what a reinit round keeps is the same whatever the round before
 * it ran (worker.c puts the import share in a warm-up's place only
 * then). */
int         probe_rounds_independent(void);

/* In the live interpreter, on builds that count refs: calls found(name,
 * arg) for each module of sys.modules loaded from a shared object whose
 * inline reference counting bypasses the refs total (not built for a
 * debug interpreter), once per name in the process. */
void        probe_untrusted_modules(void (*)(const char *, void *), void *);

/* A Python frame: its code object and the byte offset of its
 * instruction. */
struct py_frame {
    void       *code;
    int         addr;
};

/* Up to max frames of the current thread's Python stack, innermost
 * first; allocates nothing (the allocator hook calls it). */
int         probe_python_frames(struct py_frame *, int);

/* A frame's file (UTF-8, the code's own) and *line; NULL if unknown. */
const char *probe_frame_where(const struct py_frame *, int *);

/* What tells a frame's code from another at the same address: its
 * filename object, and *first_line. */
const void *probe_frame_identity(const struct py_frame *, int *);

/* The pending exception, normalized and cleared: a new reference, or
 * NULL if none (PyErr_Fetch before 3.12). */
PyObject   *probe_take_exception(void);

/* The embedded Python's version, as "3.11.2". */
const char *probe_version(void);
int         probe_debug_build(void);
int         probe_refs_available(void);
int         probe_free_threaded(void);
int         probe_uncounted_refs(PyObject *);
/* Turns off, before 3.11, the cache that ceval would allocate for the code
 * object (and the code objects it makes) at its 1024th call. */
void        probe_own_code(PyObject *);
/* probe_own_code() for the functions and methods of every module. */
void        probe_no_opcache(void);

/* How blocks are counted, one word for the report. */
const char *probe_blocks_source(void);

#endif
