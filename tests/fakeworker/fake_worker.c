/*
 * fake_worker.c: a refhunt-worker that runs no Python and only sends
 * records, so that the supervisor's properties (a soak of thousands of
 * rounds, how a worker's end is read) are tested in milliseconds. It is
 * built as tests/fakeworker/refhunt-worker; faults.py copies refhunt
 * beside it, where refhunt looks for its worker.
 *
 * The spec's target is -c ACTION, its argument N:
 *     leak-from N      rounds N and later leak a block (and a reference)
 *     leak-before N    rounds before N do
 *     exit-in N S      round N's run exits with status S, no record more
 *     lost-in N        round N's run loses the channel (tells the keeper)
 *     uncounted N      a module not built for a debug interpreter
 *                      (untrusted refs), refs drift by N a round, and
 *                      blocks are not counted ("-"); N < 0: fds neither
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "spec.h"

int
main(int argc, char **argv)
{
    static const char *const phases[] = { "init", "run", "collect",
        "finalize", "measure" };
    struct spec sp;
    char *cause = NULL;
    const char *action;
    long n, leaked = 0;
    int round, p, status;

    if (spec_parse(argc, argv, &sp, &cause) != 0 || sp.nargs < 1 ||
        sp.kind != TARGET_CODE) {
        fprintf(stderr, "fake refhunt-worker: %s\n", cause ? cause :
            "-c ACTION N");
        return 2;
    }
    action = sp.target;
    n = strtol(sp.args[0], NULL, 10);
    status = sp.nargs > 1 ? atoi(sp.args[1]) : 0;
    if (record_bind(sp.fd) != 0 ||
        record_send(sp.fd, "hello 3.11.2 1 1 0 pymalloc\n") != 0) {
        return 1;
    }
    for (round = 1; round <= sp.warmups + sp.tracked; round++) {
        for (p = 0; p < 5; p++) {
            record_send(sp.fd, "phase %d %s\n", round, phases[p]);
            if (p == 1 && round == n && strcmp(action, "exit-in") == 0) {
                _exit(status);
            }
            if (p == 1 && round == n && strcmp(action, "lost-in") == 0) {
                record_lost();
                _exit(0);
            }
        }
        if ((strcmp(action, "leak-from") == 0 && round >= n) ||
            (strcmp(action, "leak-before") == 0 && round < n)) {
            leaked++;
        }
        if (strcmp(action, "uncounted") == 0) {
            if (round == 1) {
                record_send(sp.fd, "untrusted fake_release_built\n");
            }
            record_send(sp.fd, "counters %d %ld - %s -\n", round,
                50000 + round * labs(n), n < 0 ? "-" : "3");
            continue;
        }
        record_send(sp.fd, "counters %d %ld %ld 3 -\n", round, 50000 + leaked,
            20000 + leaked);
    }
    return record_send(sp.fd, "end\n") != 0;
}
