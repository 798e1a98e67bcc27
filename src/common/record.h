/*
 * record.h: the line records a worker sends its supervisor.
 *
 *   hello VERSION DEBUG REFS_AVAILABLE FREE_THREADED BLOCKS_SOURCE
 *   calibration REFS BLOCKS FDS        interpreter's own leak per cycle
 *   phase ROUND NAME                   NAME: init run collect finalize measure
 *   counters ROUND REFS BLOCKS FDS     "-" for a counter not available
 *   fail ROUND PHASE TEXT              the target failed; TEXT is escaped
 *   growth ROUND COUNT DELTA TEXT      --show-growth: a type (TEXT) that
 *                                      now has COUNT objects, DELTA more
 *   trace ROUND COUNT SIZE TEXT        --trace-blocks, after the last round:
 *                                      COUNT blocks (SIZE bytes) that ROUND
 *                                      allocated are alive, allocated where
 *                                      TEXT says
 *   explain KIND VALUE TEXT            --explain, after the last round
 *                                      (--per-test: a leaking test's last
 *                                      run), before its counters:
 *                                      KIND object (VALUE: references held
 *                                      outside the GC's view, TEXT: what it
 *                                      is), then its chain, cycle, cache
 *                                      (VALUE 0); done (VALUE: milliseconds,
 *                                      TEXT: "complete" or what stopped it)
 *   import BY TEXT                     --bisect imports: the next module whose
 *                                      import completed; BY: the index (from
 *                                      0) of the import record of the module
 *                                      that imported it, or -1
 *   path TEXT                          --bisect imports: a sys.path entry
 *                                      the target added
 *   untrusted TEXT                     a loaded extension module (TEXT)
 *                                      whose inline reference counting
 *                                      bypasses the total (debug builds)
 *   test TEXT                          a test id of the target
 *   testbegin INDEX TEXT               --per-test: the test at INDEX (from 0,
 *                                      in collection order), id TEXT, starts;
 *                                      its runs are the rounds that follow
 *   testend OUTCOME TEXT               it ended: passed, failed, skipped,
 *                                      xfailed, or aborted (refhunt's own
 *                                      error stopped it: no verdict, the
 *                                      fail record that follows says why);
 *                                      TEXT: why (may be empty)
 *   testagain ROUND                    the test's runs so far were a screen
 *                                      (a frozen heap) that could be a leak:
 *                                      its rounds from ROUND on start again
 *                                      (1: all), measured the exact way.
 *                                      ROUND > 1: the worker's gc passes
 *                                      just emptied the whole heap, as after
 *                                      an exact round; the rounds before
 *                                      ROUND are kept as warm-ups
 *   share ROUND REFS BLOCKS FDS OBJECTS
 *                                      reinit: the hunt's rounds (and their
 *                                      calibration) are done and leak; the
 *                                      rounds that follow, numbered on from
 *                                      2, are its import share's, and these
 *                                      counters (of the round before them)
 *                                      their round 1's. ROUND 0: they ran
 *                                      after the hunt's (the round before:
 *                                      its last, or the last calibration
 *                                      round); ROUND N: the hunt's warm-up
 *                                      N imported only: these are round
 *                                      N-1's, N's is the share's round 2,
 *                                      and no round follows
 *   end                                every round done
 *
 * Fields are separated by one space; TEXT escapes backslash, newline and
 * other control bytes as \\, \n, \xHH, so that a record is always one line.
 * The worker cuts a TEXT to RECORD_TEXT_MAX bytes (record_cut); escaped,
 * a byte takes at most 4, so every record fits the channel's line limit.
 */
#ifndef REFHUNT_RECORD_H
#define REFHUNT_RECORD_H

#include <signal.h>
#include <stdint.h>

#include "measure.h"

/* What an explain record says of the object explained. */
enum explain_kind {
    EXPLAIN_OBJECT,
    EXPLAIN_CHAIN,
    EXPLAIN_CYCLE,
    EXPLAIN_CACHE,
    EXPLAIN_DONE,
};

/* "object", "chain", ... */
const char *explain_kind_name(enum explain_kind);

enum record_type {
    RECORD_HELLO,
    RECORD_CALIBRATION,
    RECORD_PHASE,
    RECORD_COUNTERS,
    RECORD_FAIL,
    RECORD_GROWTH,
    RECORD_TRACE,
    RECORD_TRACETYPE,
    RECORD_EXPLAIN,
    RECORD_IMPORT,
    RECORD_PATH,
    RECORD_TEST,
    RECORD_TESTBEGIN,
    RECORD_TESTEND,
    RECORD_TESTAGAIN,
    RECORD_UNTRUSTED,
    RECORD_SHARE,
    RECORD_END,
};

struct record {
    enum record_type type;
    int              round;     /* testbegin: the test's index */
    enum phase       phase;
    int64_t          counter[METRIC_COUNT];
    int64_t          value[2];  /* growth: count, delta; trace: count, size;
                                   import: by; explain: value */
    enum explain_kind kind;     /* explain */
    int              debug;
    int              refs_available;
    int              free_threaded;
    char            *text;      /* version (hello), message (fail), type
                                   (growth), traceback (trace), name */
    char            *extra;     /* blocks source (hello), outcome
                                   (testend) */
};

/* No interpreter has 2^48 references, blocks or descriptors: a counter
 * beyond that is corruption, and within it no delta or sum of deltas over
 * 1000 rounds comes near overflowing. */
#define RECORD_COUNTER_MAX (INT64_C(1) << 48)

/* The longest text a TEXT field carries, and the longest record line the
 * supervisor accepts: an escaped text and the fields before it fit. */
#define RECORD_TEXT_MAX (200 * 1000)
#define RECORD_LINE_MAX (1024 * 1024)
_Static_assert(4 * RECORD_TEXT_MAX + 4096 <= RECORD_LINE_MAX,
    "an escaped TEXT must fit a record line");

/* A text cut to RECORD_TEXT_MAX bytes: its head and its tail (where a
 * traceback says what was raised), a note of what was cut between them,
 * cut on UTF-8 character boundaries. A copy when it fits. */
char   *record_cut(const char *);

/* Parses one line (without its newline); 0, or -1 with *cause. */
int     record_parse(const char *, struct record *, char **);
void    record_clear(struct record *);

/* TEXT as it travels, and back. */
char   *record_escape(const char *);
char   *record_unescape(const char *);

/* worker_main's return when its channel is gone; main_worker.c then
 * says so with record_lost() before it exits. */
#define RECORD_EXIT_LOST 86

/* The signal a worker sends its keeper (its parent) to say that its
 * channel is gone: the keeper's end-of-worker record carries it, so
 * that no exit status is taken for it (a target may exit with any). */
#define RECORD_SIG_LOST (SIGRTMIN + 1)

/* Tells the keeper that the channel bound by record_bind is gone. */
void    record_lost(void);

/* Makes fd the worker's channel: record_send then fails when the target
 * closed it and something else took its number, or when a process that
 * the target forked tries to send. */
int     record_bind(int);

/* In a child that goes on as the worker (checkpoint.c): it sends on the
 * bound channel, its parent not being the keeper. */
void    record_forked(void);

/* Writes one whole record line to fd; -1 if the channel is gone. */
int     record_send(int, const char *, ...)
            __attribute__((format(printf, 2, 3)));

#endif
