/*
 * result.h: what a finished hunt says, and all that report/ reads of it:
 * the request it ran under, its rounds and their counters, the deltas and
 * what leaked, its status and why, what --show-growth, --trace-blocks and
 * --explain found. The supervisor fills one from each hunt
 * (src/supervisor/pipeline.c); report/ sees no header of the supervisor's.
 * A result points into its hunt, which outlives it; only a suite's array
 * of its tests' results is its own (pipeline.c frees it).
 */
#ifndef REFHUNT_RESULT_H
#define REFHUNT_RESULT_H

#include <stdint.h>

#include "cli.h"
#include "measure.h"
#include "status.h"

/* --show-growth: a type whose GC-tracked objects grew in a round. */
struct growth {
    char           *type;
    int64_t         count;                  /* objects now */
    int64_t         delta;                  /* more than the round before */
};

/* --trace-blocks, 3.13+: live objects of a type among a site's blocks. */
struct trace_type {
    char           *type;                   /* its tp_name */
    int64_t         count;                  /* made in the round, alive */
};

/* --trace-blocks: an allocation site of blocks that survived a round. */
struct trace {
    int64_t         count;                  /* blocks more */
    int64_t         size;                   /* bytes more */
    char           *where;                  /* "file:line" lines, newest first */
    struct trace_type *types;               /* the most first */
    int             ntypes;
};

/* --explain: what holds one object the last tracked run left behind. */
struct explained {
    char           *object;                 /* what it is: "function g" */
    int64_t         outside;                /* references no object the GC
                                               knows accounts for */
    char           *chain;                  /* from a root, or NULL */
    char           *cycle;                  /* one the GC cannot see, or NULL */
    char           *cache;                  /* a known cache on the chain */
};

/* A round: its counters, and what --show-growth and --trace-blocks found. */
struct round {
    enum phase      phase;                  /* the last phase started */
    int             measured;               /* counters[] are read */
    int64_t         counter[METRIC_COUNT];
    struct growth  *growth;
    int             ngrowth;
    struct trace   *trace;
    int             ntrace;
};

/* The worker's interpreter. */
struct python_info {
    char           *version;                /* "3.11.2", from the worker */
    int             debug;                  /* Py_DEBUG build */
    int             refs_available;
    int             free_threaded;          /* Py_GIL_DISABLED build */
    char           *blocks_source;          /* how blocks are counted */
};

/* "debug build", "free-threaded release build", ... */
const char     *python_build(const struct python_info *);

struct result {
    const struct settings *settings;        /* the request it ran under */
    const char     *name;                   /* the target as printed (quoted
                                               already), or a test id */
    struct python_info python;

    int             nrounds;                /* warmups + tracked */
    int             started;                /* rounds begun */
    const struct round *rounds;             /* [nrounds], round 1 at [0] */
    int             calibrating;            /* ended in a calibration round */
    int             calibrated;
    const int64_t  *calibration;            /* [METRIC_COUNT], subtracted */

    enum status     status;
    int             exit_status;            /* the process's, for it alone */
    int             fail_round;             /* 0: a calibration round */
    enum phase      fail_phase;
    const char     *message;                /* traceback, error, signal */
    const char     *reason;                 /* why, short, or NULL */
    const char     *note;                   /* advice, one line, or NULL */
    int             signal;                 /* that killed the worker */
    int             exit_code;              /* of the worker, or -1 */
    const char     *outcome;                /* a test's: "skipped",
                                               "xfailed", or NULL */

    const int64_t  *deltas[METRIC_COUNT];   /* [ndeltas], the tracked ones */
    int             ndeltas;
    const int      *leaked;                 /* [METRIC_COUNT] */
    const int64_t  *known;                  /* [METRIC_COUNT]: --baseline
                                               allowed it (0: no) */
    const int64_t  *allowed;                /* [METRIC_COUNT]: its MAX */
    const int64_t  *import_deltas[METRIC_COUNT];   /* of its imports alone,
                                               or NULL */
    int             nimport_deltas;         /* their rounds */
    int             import_share_round;     /* the warm-up that imported
                                               them, or 0: after the hunt */
    const char     *import_share_lost;      /* why a leak's share was not
                                               measured, or NULL */
    int             refs_untrusted;         /* refs shown, not deciding */
    int             refs_unjudged;          /* ... and they would leak */
    char *const    *untrusted;              /* [nuntrusted] modules that
                                               bypass the refs total */
    int             nuntrusted;

    const struct explained *explained;      /* --explain */
    int             nexplained;
    int             explain_done;           /* its last record came */
    int64_t         explain_ms;
    const char     *explain_note;           /* "complete", or what stopped
                                               it */
    double          seconds;                /* the hunt took */

    /* --per-test: a suite's tests, each a result of its own, in the order
     * they ran, and how many the suite collected. */
    const struct result *tests;             /* [ntests] */
    int             ntests;
    int             collected;
};

/* Whether --trace-blocks's sites are reported (text and JSON). */
int             result_sites_shown(const struct result *);

#endif
