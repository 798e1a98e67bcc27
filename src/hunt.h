/* hunt.h: one hunt of one target, as the supervisor sees it. */
#ifndef REFHUNT_HUNT_H
#define REFHUNT_HUNT_H

#include <stdint.h>

#include "cli.h"

/* The phases of a round, in order; a record names the one that starts. */
enum phase {
    PHASE_NONE,
    PHASE_INIT,
    PHASE_RUN,
    PHASE_COLLECT,
    PHASE_FINALIZE,
    PHASE_MEASURE,
};

enum metric {
    METRIC_REFS,
    METRIC_BLOCKS,
    METRIC_FDS,
    METRIC_COUNT,
};

/* A counter the interpreter cannot give (refs on a release build). */
#define COUNTER_NONE INT64_MIN

/* Ordered from best to worst: a run's status is the worst of its parts. */
enum status {
    STATUS_CLEAN,
    STATUS_LEAK,
    STATUS_FAILED,
    STATUS_CRASHED,
    STATUS_TIMEOUT,
    STATUS_INTERRUPTED,     /* refhunt got SIGINT or SIGTERM */
    STATUS_ERROR,           /* setup: the interpreter cannot even start */
};

/* --show-growth: a type whose GC-tracked objects grew in a round. */
struct growth {
    char           *type;
    int64_t         count;                  /* objects now */
    int64_t         delta;                  /* more than the round before */
};

/* --trace-blocks: an allocation site of blocks that survived a round. */
struct trace {
    int64_t         count;                  /* blocks more */
    int64_t         size;                   /* bytes more */
    char           *where;                  /* "file:line" lines, newest first */
};

struct round {
    enum phase      phase;                  /* the last phase started */
    int             measured;               /* counters[] are read */
    int64_t         counter[METRIC_COUNT];
    struct growth  *growth;
    int             ngrowth;
    struct trace   *trace;
    int             ntrace;
};

/* Names a discovery worker sent: modules imported, or test ids. */
struct names {
    char          **name;
    int             n;
};

struct python_info {
    char           *version;                /* "3.11.2", from the worker */
    int             debug;                  /* Py_DEBUG build */
    int             refs_available;
    char           *blocks_source;          /* how blocks are counted */
};

struct hunt {
    const struct settings *settings;
    char           *name;                   /* the target as printed */
    struct python_info python;

    int             nrounds;                /* warmups + tracked */
    int             started;                /* rounds begun */
    struct round   *rounds;                 /* [nrounds], round 1 at [0] */

    /* The interpreter's own leak per init/finalize cycle, subtracted. */
    int             calibrating;            /* empty rounds under way */
    int             calibrated;
    int64_t         calibration[METRIC_COUNT];

    /* Why the hunt ended early; set by the supervisor. */
    enum status     status;
    int             fail_round;             /* 0: a calibration round */
    enum phase      fail_phase;
    char           *message;                /* traceback, error, signal */
    char           *reason;                 /* why, short, or NULL */
    char           *note;                   /* advice, one line, or NULL */
    int             signal;                 /* that killed the worker, or
                                               interrupted refhunt */
    int             exit_code;              /* of the worker, or -1 */
    char           *output_tail;            /* last of the target's stderr */
    int             finished;               /* the worker said "end" */
    struct names    found;                  /* module or test records */

    /* Filled by the verdict. */
    int             tracked_complete;       /* every tracked round measured */
    int64_t        *deltas[METRIC_COUNT];   /* [settings->tracked] */
    int             ndeltas;
    int             leaked[METRIC_COUNT];
    int64_t         known[METRIC_COUNT];    /* --baseline allowed (0: no) */
    double          seconds;                /* the hunt took */
};

struct hunt    *hunt_new(const struct settings *);
/* The target as a report names it: each word as a shell would quote it,
 * -c code shortened to one line ("-c 'import msgpack'"); or, quoted 0, as
 * refhunt 0.1 named it (words bare, -c alone), which old baselines use. */
char           *target_name(const struct settings *, int);
void            hunt_free(struct hunt *);
void            names_add(struct names *, const char *);
void            names_clear(struct names *);

const char     *phase_name(enum phase);
const char     *metric_key(enum metric);       /* "refs" */
const char     *metric_noun(enum metric);      /* "references" */
const char     *status_name(enum status);
const char     *signal_name(int);              /* "SIGSEGV" */

#endif
