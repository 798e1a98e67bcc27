/* test_outcome.c: every row of the exit-status table, from the facts the
 * engine gathers to (status, reason) and the exit status. */
#include <signal.h>
#include <stddef.h>

#include "check.h"
#include "outcome.h"

struct row {
    const char             *what;
    struct outcome_facts    f;
    enum status             status;
    enum reason             reason;
    int                     exit_status;
};

/* A worker that said hello and ended as these facts say. */
#define FACTS(...) { .hello = 1, __VA_ARGS__ }

static const struct row rows[] = {
    { "every round done, exit 0",
      FACTS(.finished = 1, .exit_code = 0),
      STATUS_CLEAN, REASON_NONE, 0 },
    { "a round timed out (killed by us)",
      FACTS(.timed_out = 1, .exit_code = -1, .signal = SIGKILL, .fail_round = 2,
          .fail_phase = PHASE_RUN),
      STATUS_TIMEOUT, REASON_TIMEOUT, 5 },
    { "a timeout wins over the fail record written while dying",
      FACTS(.timed_out = 1, .has_fail = 1, .exit_code = 3),
      STATUS_TIMEOUT, REASON_TIMEOUT, 5 },
    { "refhunt got SIGINT",
      FACTS(.interrupted = SIGINT, .exit_code = -1, .signal = SIGKILL),
      STATUS_INTERRUPTED, REASON_INTERRUPTED, 128 + SIGINT },
    { "refhunt got SIGTERM",
      FACTS(.interrupted = SIGTERM, .exit_code = -1, .signal = SIGKILL),
      STATUS_INTERRUPTED, REASON_INTERRUPTED, 128 + SIGTERM },
    { "garbage on the record channel",
      FACTS(.corrupted = 1, .exit_code = -1, .signal = SIGKILL),
      STATUS_CRASHED, REASON_CORRUPTED, 4 },
    { "records ended, the worker went on",
      FACTS(.records_gone = 1, .exit_code = -1, .signal = SIGKILL),
      STATUS_CRASHED, REASON_CHANNEL_LOST, 4 },
    { "os._exit(0) mid-round: the target ended the process, no crash",
      FACTS(.exit_code = 0, .fail_round = 1, .fail_phase = PHASE_RUN),
      STATUS_FAILED, REASON_WORKER_EXITED, 3 },
    { "os._exit(86) mid-round: an exit status like any other",
      FACTS(.exit_code = 86, .fail_round = 2, .fail_phase = PHASE_RUN),
      STATUS_FAILED, REASON_WORKER_EXITED, 3 },
    { "atexit's os._exit(0) in finalization",
      FACTS(.exit_code = 0, .fail_round = 1, .fail_phase = PHASE_FINALIZE),
      STATUS_FAILED, REASON_WORKER_EXITED, 3 },
    { "the worker told its keeper it lost its channel",
      FACTS(.said_lost = 1, .exit_code = 86),
      STATUS_CRASHED, REASON_CHANNEL_LOST, 4 },
    { "... whatever status it exited with",
      FACTS(.said_lost = 1, .exit_code = 0),
      STATUS_CRASHED, REASON_CHANNEL_LOST, 4 },
    { "round 1 cannot initialize: no target code ran",
      FACTS(.has_fail = 1, .fail_round = 1, .fail_phase = PHASE_INIT,
          .exit_code = 3),
      STATUS_ERROR, REASON_NO_PYTHON, 2 },
    { "the target raised",
      FACTS(.has_fail = 1, .fail_round = 1, .fail_phase = PHASE_RUN,
          .exit_code = 3),
      STATUS_FAILED, REASON_TARGET_FAILED, 3 },
    { "reinit: round 2 cannot initialize after round 1 was measured",
      FACTS(.has_fail = 1, .fail_round = 2, .fail_phase = PHASE_INIT,
          .reinit = 1, .round1_measured = 1, .exit_code = 3),
      STATUS_FAILED, REASON_NO_REINIT, 3 },
    { "loop: round 2 fails: no advice about re-initialization",
      FACTS(.has_fail = 1, .fail_round = 2, .fail_phase = PHASE_RUN,
          .round1_measured = 1, .exit_code = 3),
      STATUS_FAILED, REASON_TARGET_FAILED, 3 },
    { "a fail record, then lost while exiting: still failed",
      FACTS(.has_fail = 1, .fail_round = 1, .fail_phase = PHASE_RUN,
          .said_lost = 1, .exit_code = 86),
      STATUS_FAILED, REASON_TARGET_FAILED, 3 },
    { "segfault",
      FACTS(.exit_code = -1, .signal = SIGSEGV, .fail_round = 1, .fail_phase = PHASE_RUN),
      STATUS_CRASHED, REASON_KILLED, 4 },
    { "abort in finalization",
      FACTS(.exit_code = -1, .signal = SIGABRT, .fail_round = 3,
          .fail_phase = PHASE_FINALIZE),
      STATUS_CRASHED, REASON_KILLED, 4 },
    { "the worker program cannot run",
      { .hello = 0, .exit_code = 127 },
      STATUS_ERROR, REASON_NO_WORKER, 2 },
    { "os._exit(7) mid-round",
      FACTS(.exit_code = 7, .fail_round = 1, .fail_phase = PHASE_RUN),
      STATUS_FAILED, REASON_WORKER_EXITED, 3 },
};

int
main(void)
{
    struct outcome o;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        o = outcome_decide(&rows[i].f);
        if (o.status != rows[i].status || o.reason != rows[i].reason) {
            fprintf(stderr, "row \"%s\": status %s reason %d\n",
                rows[i].what, status_name(o.status), (int)o.reason);
        }
        CHECK(o.status == rows[i].status);
        CHECK(o.reason == rows[i].reason);
        CHECK(status_exit(o.status, rows[i].f.interrupted) ==
            rows[i].exit_status);
    }
    /* the exit statuses themselves, as doc/DESIGN.md's table has them */
    CHECK(status_exit(STATUS_CLEAN, 0) == 0);
    CHECK(status_exit(STATUS_LEAK, 0) == 1);
    CHECK(status_exit(STATUS_ERROR, 0) == 2);
    CHECK(status_exit(STATUS_FAILED, 0) == 3);
    CHECK(status_exit(STATUS_CRASHED, 0) == 4);
    CHECK(status_exit(STATUS_TIMEOUT, 0) == 5);
    CHECK(status_exit(STATUS_INTERRUPTED, 0) == 128 + SIGINT);
    /* a run is as bad as its worst target */
    CHECK(status_worst(STATUS_LEAK, STATUS_CLEAN) == STATUS_LEAK);
    CHECK(status_worst(STATUS_FAILED, STATUS_TIMEOUT) == STATUS_TIMEOUT);
    CHECK(status_worst(STATUS_ERROR, STATUS_INTERRUPTED) == STATUS_ERROR);
    return check_result("test_outcome");
}
