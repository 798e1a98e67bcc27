/*
 * fuzz_cli.c: libFuzzer target for the option parser.
 *
 * The input is argv after "refhunt", its words separated by NUL bytes.
 * Whatever it is, cli_parse must return (never exit: xmalloc's fatal()
 * would show as "fuzz target exited"), an error must come with a message,
 * and settings it accepts must survive the trip to a worker's argv.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "spec.h"
#include "fuzz.h"

#define MAX_WORDS 64

static int
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
        (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The worker must be told exactly what the user asked for. */
static void
check_worker_argv(const struct settings *st)
{
    struct spec sp = spec_of(st, TASK_HUNT, 0, 100), w;
    char **av = spec_argv("/bin/refhunt-worker", &sp), *cause = NULL;
    int ac = 0, i;

    while (av[ac] != NULL) {
        ac++;
    }
    REQUIRE(spec_parse(ac, av, &w, &cause) == 0 && cause == NULL);
    REQUIRE(w.fd == 100 && w.task == TASK_HUNT && w.mode == st->mode);
    REQUIRE(w.warmups == st->warmups && w.tracked == st->tracked);
    REQUIRE(w.gc_passes == st->gc_passes && w.isolated == st->isolated);
    REQUIRE(w.kind == st->kind && same(w.target, st->target));
    REQUIRE(w.nargs == st->nargs);
    for (i = 0; i < st->nargs; i++) {
        REQUIRE(same(w.args[i], st->args[i]));
    }
    spec_argv_free(av);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *argv[MAX_WORDS + 2], *cause = NULL, *p;
    struct settings st;
    int argc = 0;

    memcpy(buf, data, size);
    buf[size] = '\0';
    argv[argc++] = "refhunt";
    /* words end at NUL; a trailing empty word counts */
    for (p = buf; argc <= MAX_WORDS && p <= buf + size;
        p += strlen(p) + 1) {
        argv[argc++] = p;
    }
    argv[argc] = NULL;

    switch (cli_parse(argc, argv, &st, &cause)) {
    case CLI_ERROR:
        /* main prints "refhunt: CAUSE" and the usage, and exits 2 */
        REQUIRE(cause != NULL && cause[0] != '\0');
        REQUIRE(strchr(cause, '\n') == NULL);
        break;
    case CLI_RUN:
        REQUIRE(cause == NULL && st.target != NULL);
        REQUIRE(st.warmups >= 1 && st.tracked >= 1);
        REQUIRE(st.timeout >= 0);
        REQUIRE(st.nargs >= 0 && st.args + st.nargs == argv + argc);
        check_worker_argv(&st);
        break;
    case CLI_HELP:
    case CLI_VERSION:
        REQUIRE(cause == NULL);
        break;
    }
    free(cause);
    free(buf);
    return 0;
}
