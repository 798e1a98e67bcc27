/*
 * outcome.h: what became of a hunt, decided from facts alone, and the
 * exit status that says it.
 *
 * The engine gathers the facts (records seen, how the worker ended, the
 * timeout, an interruption); outcome_decide() is a pure function of them,
 * so that every row of the exit-status table has a unit test. The words
 * for a person are the engine's business, not this module's.
 */
#ifndef REFHUNT_OUTCOME_H
#define REFHUNT_OUTCOME_H

#include "measure.h"
#include "status.h"

/* Why a hunt ended as it did. */
enum reason {
    REASON_NONE,            /* the worker finished: the verdict decides */
    REASON_TIMEOUT,         /* a round outlived --timeout */
    REASON_INTERRUPTED,     /* refhunt got SIGINT, SIGTERM or SIGHUP */
    REASON_CORRUPTED,       /* the records broke the protocol */
    REASON_CHANNEL_LOST,    /* the records ended early: the worker said
                               so, or outlived their end */
    REASON_NO_PYTHON,       /* round 1 failed to initialize: no target code
                               ran */
    REASON_TARGET_FAILED,   /* the worker sent a fail record */
    REASON_NO_REINIT,       /* ... in a later round of reinit mode, after
                               round 1 was measured */
    REASON_KILLED,          /* the worker died of a signal */
    REASON_NO_WORKER,       /* the worker exited before it said hello */
    REASON_WORKER_EXITED,   /* it exited mid-round without a fail record */
};

/* What the engine saw of a hunt. */
struct outcome_facts {
    int             timed_out;      /* the supervisor's --timeout fired */
    int             interrupted;    /* the signal refhunt got, or 0 */
    int             corrupted;      /* the records broke the protocol */
    int             records_gone;   /* they ended early and the worker
                                       outlived that */
    int             hello;          /* the worker said hello */
    int             has_fail;       /* a fail record */
    int             finished;       /* the "end" record */
    int             fail_round;     /* where it stopped (0: before round 1
                                       or in calibration) */
    enum phase      fail_phase;
    int             reinit;         /* reinit mode */
    int             round1_measured;
    int             signal;         /* that killed the worker, or 0 */
    int             exit_code;      /* of the worker, or -1 */
    int             said_lost;      /* the worker told its keeper that its
                                       channel was gone */
};

struct outcome {
    enum status     status;
    enum reason     reason;
};

struct outcome  outcome_decide(const struct outcome_facts *);

#endif
