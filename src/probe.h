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

#include "hunt.h"

/* Before each interpreter, after Py_PreInitialize: re-arms the counting
 * where the runtime resets its state on every start (3.12+). */
void        probe_before_init(void);

/* In the live interpreter, before Py_FinalizeEx: notes what finalization
 * will leave behind by design. */
void        probe_before_finalize(void);

/* Reads refs, blocks and fds; COUNTER_NONE for what this build lacks. */
void        probe_read(int64_t [METRIC_COUNT]);

/* Whether an init/finalize cycle of an empty target is known to leave
 * nothing behind on this version (no calibration needed). */
int         probe_clean_cycle(void);

/* The embedded Python's version, as "3.11.2". */
const char *probe_version(void);
int         probe_debug_build(void);
int         probe_refs_available(void);

/* How blocks are counted, one word for the report. */
const char *probe_blocks_source(void);

#endif
