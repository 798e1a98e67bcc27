/* hunt.h: one hunt of one target, as the supervisor sees it. */
#ifndef REFHUNT_HUNT_H
#define REFHUNT_HUNT_H

#include <stdint.h>

#include "cli.h"
#include "spec.h"
#include "spool.h"
#include "measure.h"
#include "outcome.h"
#include "result.h"

/* Names a discovery worker sent: modules imported, or test ids. */
struct names {
    char          **name;
    int             n;
};

/* --per-test: the tests a worker ran, each a hunt of its own (its rounds
 * are the test's runs, its name the test id). */
struct tests {
    struct hunt   **hunt;                   /* [n], in the order they ran */
    int             n;
    int             open;                   /* the last one has not ended */
};

struct hunt {
    const struct settings *settings;
    /* What the hunt's maker handed over (a bisect probe's own settings,
     * their code and argument list): freed with the hunt. */
    struct settings *owned_settings;
    char           *owned_target;
    char          **owned_args;
    struct hunt    *share;      /* its import share (importshare.c), its
                                   worker's rounds after its own; NULL:
                                   none (yet) */
    enum worker_task task;      /* what its worker does */
    const char     *test_ids;   /* --per-test: the file of the ids of the
                                   tests its worker runs, NULL: all (a
                                   test's: its worker's, which tells the
                                   workers apart) */
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
    struct spool   *spool;                  /* --each -v: where ... */
    struct spooled  kept_out, kept_err;     /* ... the target's output is
                                               kept, to print in order */
    int             finished;               /* the worker said "end" */
    int             done;                   /* the hunt is over, its
                                               verdict computed */
    struct names    found;                  /* module or test records */
    struct tests    tests;                  /* --per-test */
    char           *outcome;                /* a test's: "skipped",
                                               "xfailed", or NULL */
    int            *found_by;               /* import records: the index in
                                               found of the module that
                                               imported each, or -1 */
    struct names    paths;                  /* path records */
    struct names    untrusted;              /* extension modules whose
                                               refcounting bypasses the
                                               refs total */

    /* --explain, after the last tracked round. */
    struct explained *explained;
    int             nexplained;
    int             explain_done;           /* its last record came */
    int64_t         explain_ms;             /* it took */
    char           *explain_note;           /* "complete", or what stopped it */

    /* Filled by the verdict. */
    int             tracked_complete;       /* every tracked round measured */
    int64_t        *deltas[METRIC_COUNT];   /* [settings->tracked] */
    int             ndeltas;
    int             leaked[METRIC_COUNT];
    int             refs_untrusted;         /* refs shown, not deciding */
    int             refs_unjudged;          /* ... and they would leak by
                                               the rule */
    int64_t         known[METRIC_COUNT];    /* --baseline allowed (0: no) */
    int64_t         allowed[METRIC_COUNT];  /* --baseline's MAX, also when
                                               the leak is beyond it */
    int64_t        *import_deltas[METRIC_COUNT];   /* importshare.c: deltas
                                               of its imports alone, or NULL */
    int             nimport_deltas;         /* their rounds */
    int             import_share_round;     /* the warm-up that imported
                                               them, or 0: after the hunt */
    char           *import_share_lost;      /* a leak's share not measured:
                                               why, or NULL */
    double          seconds;                /* the hunt took */
};

struct hunt    *hunt_new(const struct settings *);
/* The target as a report names it: each word as a shell would quote it,
 * -c code shortened to one line ("-c 'import msgpack'"); quoted 2: the
 * same with the whole code (baselines: two programs, two names); or,
 * quoted 0, as refhunt 0.1 named it (words bare, -c alone), which old
 * baselines use. */
char           *target_name(const struct settings *, int);
void            hunt_free(struct hunt *);
/* Frees what a round found (--show-growth, --trace-blocks) and empties
 * it: not begun, nothing measured. */
void            round_clear(struct round *);
/* New settings for a hunt refhunt runs for itself (a bisect probe, an
 * import share): as st, but quiet, with no report file, no finder and no
 * import share. */
struct settings *hunt_helper_settings(const struct settings *);

/* A hunt whose worker runs the target once and lists what it finds
 * (task: its modules, or its tests): one reinit round, nothing else
 * asked of it, whatever st says. */
struct hunt    *hunt_discovery(const struct settings *, enum worker_task);

/* Ends a hunt that could not run: an error, and why. */
void            hunt_set_error(struct hunt *, const char *);
void            names_add(struct names *, const char *);
int             names_has(const struct names *, const char *);
void            names_clear(struct names *);
void            hunt_add_import(struct hunt *, const char *, int);

/* --trace-blocks: a type's count for a site (takes the name), and what a
 * site holds freed. */
void            trace_add_type(struct trace *, char *, int64_t);
void            trace_clear(struct trace *);

#endif
