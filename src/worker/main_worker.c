/*
 * main_worker.c: refhunt-worker, the program that embeds CPython.
 *
 * The supervisor (refhunt) starts it once per hunt, with the hunt's
 * options and --worker-fd, the descriptor of the record channel. It is
 * not for people: run by hand it says so.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "exit.h"
#include "probe.h"
#include "worker.h"

int
main(int argc, char **argv)
{
    struct settings st;
    char *cause = NULL;

    switch (cli_parse(argc, argv, &st, &cause)) {
    case CLI_VERSION:
        printf("Python %s (%s%s), %s\n", probe_version(),
            probe_free_threaded() ? "free-threaded " : "",
            probe_debug_build() ? "debug build" : "release build",
            REFHUNT_PYTHON_EXECUTABLE);
        printf("counts: %s, blocks (%s), fds\n",
            probe_refs_available() ? "refs" :
            "no refs (needs a debug build)", probe_blocks_source());
        return 0;
    case CLI_RUN:
        if (st.worker_fd >= 0) {
            return worker_main(&st);
        }
        cause = NULL;
        /* FALLTHROUGH */
    case CLI_HELP:
    case CLI_ERROR:
        break;
    }
    fprintf(stderr, "refhunt-worker: %s\nrefhunt-worker is run by refhunt; "
        "run refhunt instead\n", cause != NULL ? cause :
        "no --worker-fd");
    free(cause);
    return EXIT_USAGE;
}
