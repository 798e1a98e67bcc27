/*
 * main.c: refhunt hunts reference leaks by running a Python target in
 * repeated interpreter lifetimes and diffing the counters between rounds.
 *
 * The same binary is the supervisor (what the user runs) and the worker
 * (re-executed by the supervisor with --worker-fd).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bisect.h"
#include "cli.h"
#include "config.h"
#include "hunt.h"
#include "pertest.h"
#include "probe.h"
#include "run.h"
#include "report.h"
#include "supervise.h"
#include "verdict.h"
#include "worker.h"
#include "xmalloc.h"

#define EXIT_USAGE 2

static void
version(void)
{
    printf("refhunt %s\n", REFHUNT_VERSION);
    printf("Python %s (%s), %s\n", probe_version(),
        probe_debug_build() ? "debug build" : "release build",
        REFHUNT_PYTHON_EXECUTABLE);
    printf("counts: %s, blocks (%s), fds\n",
        probe_refs_available() ? "refs" : "no refs (needs a debug build)",
        probe_blocks_source());
}

/* A script must be a readable regular file; -1 with *cause if not. */
static int
check_script(const char *path, char **cause)
{
    struct stat sb;

    if (stat(path, &sb) != 0) {
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        *cause = xasprintf("%s: is a directory, not a script", path);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        *cause = xasprintf("%s: not a regular file", path);
        return -1;
    }
    if (access(path, R_OK) != 0) {
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* This binary, to run again as the worker. */
static char *
self_path(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);

    if (n <= 0) {
        fatal("readlink /proc/self/exe");
    }
    if (n == (ssize_t)sizeof buf) {
        fatalx("readlink /proc/self/exe: the path is too long");
    }
    buf[n] = '\0';
    return xstrdup(buf);
}

int
main(int argc, char **argv)
{
    struct settings st;
    char *cause = NULL, *exe;
    int status, color;

    switch (cli_parse(argc, argv, &st, &cause)) {
    case CLI_HELP:
        cli_help(stdout);
        return 0;
    case CLI_VERSION:
        version();
        return 0;
    case CLI_ERROR:
        fprintf(stderr, "refhunt: %s\n", cause);
        cli_usage(stderr);
        fprintf(stderr, "Try 'refhunt --help' for more.\n");
        free(cause);
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    /* a target of --each: the parent reports for the whole run */
    if (getenv("REFHUNT_CHILD") != NULL) {
        st.child = 1;
        unsetenv("REFHUNT_CHILD");
    }
    if (st.worker_fd >= 0) {
        return worker_main(&st);
    }
    if (st.kind == TARGET_SCRIPT && !st.each &&
        check_script(st.target, &cause) != 0) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        return EXIT_USAGE;
    }

    if (st.bisect == BISECT_TESTS && (st.kind != TARGET_MODULE ||
        (strcmp(st.target, "unittest") != 0 &&
        strcmp(st.target, "pytest") != 0))) {
        fprintf(stderr, "refhunt: --bisect tests needs a test runner: "
            "-m unittest NAME ... or -m pytest ARGS\n");
        return EXIT_USAGE;
    }

    exe = self_path();
    supervise_signals();
    color = st.color == COLOR_ALWAYS || (st.color == COLOR_AUTO &&
        isatty(st.json_path != NULL && strcmp(st.json_path, "-") == 0 ?
        STDERR_FILENO : STDOUT_FILENO) && (getenv("NO_COLOR") == NULL ||
        *getenv("NO_COLOR") == '\0') &&
        (getenv("TERM") == NULL || strcmp(getenv("TERM"), "dumb") != 0));
    report_set_color(color);
    if (st.each) {
        status = run_each(&st, exe, color);
    } else if (st.per_test) {
        status = pertest_main(&st, exe);
    } else if (st.bisect != BISECT_NONE) {
        status = bisect_main(&st, exe);
    } else {
        status = run_one(&st, exe);
    }
    free(exe);
    return status;
}
