/*
 * main_worker.c: refhunt-worker, the program that embeds CPython.
 *
 * The supervisor (refhunt) starts it once per hunt with the hunt's spec
 * (spec.h), which names the descriptor of the record channel. It is not
 * for people: run by hand it says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "exit.h"
#include "probe.h"
#include "record.h"
#include "spec.h"
#include "worker.h"

int
main(int argc, char **argv)
{
    struct spec sp;
    char *cause = NULL;
    int rc;

    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("Python %s (%s%s), %s\n", probe_version(),
            probe_free_threaded() ? "free-threaded " : "",
            probe_debug_build() ? "debug build" : "release build",
            REFHUNT_PYTHON_EXECUTABLE);
        printf("counts: %s, blocks (%s), fds%s\n",
            probe_refs_available() ? "refs" :
            "no refs (needs a debug build)", probe_blocks_source(),
            probe_objects_counted() ? ", objects (ref tracer)" : "");
        return 0;
    }
    if (spec_parse(argc, argv, &sp, &cause) != 0) {
        fprintf(stderr, "refhunt-worker: %s\nrefhunt-worker is run by "
            "refhunt; run refhunt instead\n", cause);
        free(cause);
        return EXIT_USAGE;
    }
    if ((rc = worker_main(&sp)) == RECORD_EXIT_LOST) {
        record_lost();
    }
    return rc;
}
