/* outcome.c: what became of a hunt, decided from facts alone. */
#include "outcome.h"

/* The records ended early: the worker said it lost them, or outlived
 * their end. An exit status says nothing of it (os._exit(0) is the
 * target ending the process, not a lost channel). */
static int
channel_lost(const struct outcome_facts *f)
{
    if (f->has_fail || f->finished) {
        return 0;
    }
    return f->records_gone || f->said_lost;
}

struct outcome
outcome_decide(const struct outcome_facts *f)
{
    struct outcome o = { STATUS_CLEAN, REASON_NONE };

    if (f->timed_out) {
        o.status = STATUS_TIMEOUT;
        o.reason = REASON_TIMEOUT;
    } else if (f->interrupted) {
        o.status = STATUS_INTERRUPTED;
        o.reason = REASON_INTERRUPTED;
    } else if (f->corrupted) {
        o.status = STATUS_CRASHED;
        o.reason = REASON_CORRUPTED;
    } else if (channel_lost(f)) {
        o.status = STATUS_CRASHED;
        o.reason = REASON_CHANNEL_LOST;
    } else if (!f->has_fail && f->finished && f->signal == 0 &&
        f->exit_code == 0) {
        ;   /* clean: the verdict decides */
    } else if (f->has_fail && f->fail_round == 1 &&
        f->fail_phase == PHASE_INIT) {
        o.status = STATUS_ERROR;
        o.reason = REASON_NO_PYTHON;
    } else if (f->has_fail) {
        o.status = STATUS_FAILED;
        o.reason = f->reinit && f->fail_round > 1 && f->round1_measured &&
            (f->fail_phase == PHASE_INIT || f->fail_phase == PHASE_RUN) ?
            REASON_NO_REINIT : REASON_TARGET_FAILED;
    } else if (f->signal != 0) {
        o.status = STATUS_CRASHED;
        o.reason = REASON_KILLED;
    } else if (!f->hello) {
        o.status = STATUS_ERROR;
        o.reason = REASON_NO_WORKER;
    } else {
        o.status = STATUS_FAILED;
        o.reason = REASON_WORKER_EXITED;
    }
    return o;
}
