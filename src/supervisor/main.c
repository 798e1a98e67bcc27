/*
 * main.c: refhunt hunts reference leaks by running a Python target in
 * repeated interpreter lifetimes and diffing the counters between rounds.
 *
 * This is the supervisor: it never runs Python and does not link
 * libpython. The worker is another program (main_worker.c), found next to
 * this one or where it is installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bisect.h"
#include "cli.h"
#include "config.h"
#include "outcome.h"
#include "pertest.h"
#include "pipeline.h"
#include "report.h"
#include "run.h"
#include "supervise.h"
#include "xmalloc.h"

/* The worker program: refhunt-worker next to this binary (a build tree),
 * else where it is installed; NULL with *cause if neither is there. */
static char *
worker_path(char **cause)
{
    char self[4096], *slash, *path;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    if (n > 0) {
        self[n] = '\0';
        if ((slash = strrchr(self, '/')) != NULL) {
            path = xasprintf("%.*s/refhunt-worker", (int)(slash - self),
                self);
            if (access(path, X_OK) == 0) {
                return path;
            }
            free(path);
        }
    }
    path = xstrdup(REFHUNT_LIBEXECDIR "/refhunt-worker");
    if (access(path, X_OK) == 0) {
        return path;
    }
    *cause = xasprintf("cannot find the worker program refhunt-worker "
        "(next to refhunt, or %s): %s", path, strerror(errno));
    free(path);
    return NULL;
}

/* --version: ours, then the worker's words on its Python. */
static int
version(const char *worker)
{
    pid_t pid;
    int ws;

    printf("refhunt %s\n", REFHUNT_VERSION);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        execl(worker, worker, "--version", (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) ||
        WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "refhunt: the worker %s cannot say its Python\n",
            worker);
        return EXIT_USAGE;
    }
    return 0;
}

/* The color of the verdict words: --color, or a terminal without
 * NO_COLOR. */
static int
use_color(const struct settings *st)
{
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
    int fd = fileno(pipeline_text(st));

    if (st->color != COLOR_AUTO) {
        return st->color == COLOR_ALWAYS;
    }
    return isatty(fd) && (no_color == NULL || *no_color == '\0') &&
        (term == NULL || strcmp(term, "dumb") != 0);
}

static int
usage_error(char *cause, int usage)
{
    fprintf(stderr, "refhunt: %s\n", cause);
    if (usage) {
        cli_usage(stderr);
        fprintf(stderr, "Try 'refhunt --help' for more.\n");
    }
    free(cause);
    return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    struct settings st;
    char *cause = NULL, *worker;
    int status;

    switch (cli_parse(argc, argv, &st, &cause)) {
    case CLI_HELP:
        cli_help(stdout);
        return 0;
    case CLI_VERSION:
        if ((worker = worker_path(&cause)) == NULL) {
            return usage_error(cause, 0);
        }
        status = version(worker);
        free(worker);
        return status;
    case CLI_ERROR:
        return usage_error(cause, 1);
    case CLI_RUN:
        break;
    }
    if (cli_check_script(&st, &cause) != 0 ||
        (worker = worker_path(&cause)) == NULL) {
        return usage_error(cause, 0);
    }
    supervise_signals();
    report_set_color(use_color(&st));
    if (st.bisect != BISECT_NONE) {
        status = bisect_main(&st, worker);
    } else if (st.per_test) {
        status = pertest_main(&st, worker);
    } else {
        status = run_hunts(&st, worker);
    }
    free(worker);
    return status;
}
