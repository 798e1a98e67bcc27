/* cli.c: the command line, parsed into one settings struct. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "record.h"
#include "xmalloc.h"

/* Long-only options are numbered from 256, out of the way of short ones. */
enum {
    OPT_GC_PASSES = 256,
    OPT_TIMEOUT,
    OPT_JSON,
    OPT_VERSION,
    OPT_WORKER_FD,
};

static const struct option long_options[] = {
    { "huntrleaks", required_argument, NULL, 'R' },
    { "gc-passes",  required_argument, NULL, OPT_GC_PASSES },
    { "timeout",    required_argument, NULL, OPT_TIMEOUT },
    { "json",       required_argument, NULL, OPT_JSON },
    { "quiet",      no_argument,       NULL, 'q' },
    { "verbose",    no_argument,       NULL, 'v' },
    { "isolated",   no_argument,       NULL, 'I' },
    { "version",    no_argument,       NULL, OPT_VERSION },
    { "help",       no_argument,       NULL, 'h' },
    { "worker-fd",  required_argument, NULL, OPT_WORKER_FD },   /* internal */
    { NULL, 0, NULL, 0 },
};

void
cli_usage(FILE *f)
{
    fprintf(f, "usage: refhunt [options] script.py [arg ...]\n"
               "       refhunt [options] -m module [arg ...]\n"
               "       refhunt [options] -c code [arg ...]\n");
}

void
cli_help(FILE *f)
{
    cli_usage(f);
    fprintf(f,
        "\n"
        "Runs the target once per round, each round a whole interpreter lifetime\n"
        "(initialize, run, collect, finalize), and reports the references, memory\n"
        "blocks and file descriptors that every tracked round leaves behind.\n"
        "\n"
        "options:\n"
        "  -R, --huntrleaks W:N  W warm-up rounds, then N tracked rounds (default 3:3)\n"
        "  --gc-passes N         gc.collect() calls after each run (default 3)\n"
        "  --timeout SECONDS     kill a round that runs longer (default: no limit)\n"
        "  --json FILE           write the JSON report to FILE (- for stdout)\n"
        "  -q, --quiet           capture the target's output; print only the verdict\n"
        "  -v, --verbose         print every round's counters and deltas\n"
        "  -I, --isolated        isolated interpreter: ignore PYTHON* variables,\n"
        "                        no user site, no script directory in sys.path\n"
        "  --version             print refhunt's and the embedded Python's version\n"
        "  -h, --help            print this help\n"
        "\n"
        "exit status: 0 clean, 1 leak, 2 usage or setup error, 3 target failed,\n"
        "4 worker crashed, 5 timeout; 130/143 when interrupted.\n");
}

/* Whether s starts as a number is written: no blanks, no '+'. */
static int
plain_number(const char *s)
{
    return isdigit((unsigned char)s[s[0] == '-']) || (s[0] == '.' &&
        isdigit((unsigned char)s[1]));
}

/* Parses a whole decimal number in [min, max]; names the option if not. */
static int
parse_int(const char *option, const char *s, long min, long max, int *out,
    char **cause)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (!plain_number(s) || *end != '\0' || errno == ERANGE || v < min ||
        v > max) {
        *cause = xasprintf("%s: '%s' is not a whole number from %ld to %ld",
            option, s, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* -R W:N as regrtest takes it: at least one warm-up and one tracked round. */
static int
parse_huntrleaks(const char *s, struct settings *st, char **cause)
{
    char *copy = xstrdup(s), *colon = strchr(copy, ':');
    int rc = -1;

    if (colon == NULL) {
        *cause = xasprintf("-R: '%s' is not WARMUPS:TRACKED, e.g. 3:3", s);
        goto out;
    }
    *colon = '\0';
    if (parse_int("-R warm-ups", copy, 1, 1000, &st->warmups, cause) != 0 ||
        parse_int("-R tracked rounds", colon + 1, 1, 1000, &st->tracked,
            cause) != 0) {
        goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

static int
parse_timeout(const char *s, double *out, char **cause)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (!plain_number(s) || *end != '\0' || errno == ERANGE || !isfinite(v) ||
        v <= 0 || v > 86400 * 7) {
        *cause = xasprintf("--timeout: '%s' is not a number of seconds "
            "above 0", s);
        return -1;
    }
    *out = v;
    return 0;
}

/* What is wrong with the option in word (argv's element that getopt was
 * reading), from what getopt returned. */
static char *
bad_option(int opt, const char *word)
{
    const struct option *o;
    size_t len;
    int matches = 0;

    if (strncmp(word, "--", 2) != 0) {
        if (opt == ':') {
            return xasprintf("option -%c needs an argument", optopt);
        }
        return xasprintf("unknown option -%c", optopt);
    }
    len = strcspn(word, "=");
    if (opt == ':') {
        return xasprintf("option %.*s needs an argument", (int)len, word);
    }
    if (optopt != 0) {
        return xasprintf("option %.*s takes no argument", (int)len, word);
    }
    for (o = long_options; o->name != NULL; o++) {
        matches += strncmp(o->name, word + 2, len - 2) == 0;
    }
    return xasprintf("%s option %.*s", matches > 1 ? "ambiguous" :
        "unknown", (int)len, word);
}

static enum cli_result
parse(int argc, char **argv, struct settings *st, char **cause)
{
    int opt, target_set = 0, at;

    memset(st, 0, sizeof *st);
    st->warmups = 3;
    st->tracked = 3;
    st->gc_passes = 3;
    st->worker_fd = -1;
    *cause = NULL;

    optind = 0;     /* 0, not 1: glibc then reinitializes (tests parse twice) */
    opterr = 0;     /* we say what is wrong ourselves */
    /* '+': stop at the target; what follows belongs to it (as python does). */
    /* at: the element getopt reads, for messages (optind moves past it,
     * or not, in a cluster such as -qZ) */
    while (!target_set && (at = optind > 0 ? optind : 1,
        opt = getopt_long(argc, argv, "+:R:c:m:qvIh", long_options,
        NULL)) != -1) {
        switch (opt) {
        case 'R':
            if (parse_huntrleaks(optarg, st, cause) != 0) {
                return CLI_ERROR;
            }
            break;
        case OPT_GC_PASSES:
            if (parse_int("--gc-passes", optarg, 0, 100, &st->gc_passes,
                cause) != 0) {
                return CLI_ERROR;
            }
            break;
        case OPT_TIMEOUT:
            if (parse_timeout(optarg, &st->timeout, cause) != 0) {
                return CLI_ERROR;
            }
            break;
        case OPT_JSON:
            if (*optarg == '\0') {
                *cause = xstrdup("--json: empty file name (use - for stdout)");
                return CLI_ERROR;
            }
            st->json_path = optarg;
            break;
        case 'q':
            st->quiet = 1;
            break;
        case 'v':
            st->verbose = 1;
            break;
        case 'I':
            st->isolated = 1;
            break;
        case 'c':
        case 'm':
            st->kind = opt == 'c' ? TARGET_CODE : TARGET_MODULE;
            st->target = optarg;
            if (opt == 'm' && *optarg == '\0') {
                *cause = xstrdup("-m: empty module name");
                return CLI_ERROR;
            }
            target_set = 1;
            break;
        case OPT_WORKER_FD:
            if (parse_int("--worker-fd", optarg, 3, INT_MAX, &st->worker_fd,
                cause) != 0) {
                return CLI_ERROR;
            }
            break;
        case OPT_VERSION:
            return CLI_VERSION;
        case 'h':
            return CLI_HELP;
        default:
            *cause = bad_option(opt, argv[at]);
            return CLI_ERROR;
        }
    }
    if (st->quiet && st->verbose) {
        *cause = xstrdup("-q and -v cannot be used together");
        return CLI_ERROR;
    }
    if (!target_set) {
        if (optind >= argc) {
            *cause = xstrdup("no target: give a script, -m module or -c code");
            return CLI_ERROR;
        }
        st->kind = TARGET_SCRIPT;
        st->target = argv[optind++];
        if (*st->target == '\0') {
            *cause = xstrdup("empty script name");
            return CLI_ERROR;
        }
    }
    st->args = argv + optind;
    st->nargs = argc - optind;
    return CLI_RUN;
}

enum cli_result
cli_parse(int argc, char **argv, struct settings *st, char **cause)
{
    enum cli_result r = parse(argc, argv, st, cause);
    char *shown;

    if (r == CLI_ERROR) {
        /* The user's words in it, control bytes escaped: one line. */
        shown = record_escape(*cause);
        free(*cause);
        *cause = shown;
    }
    return r;
}

/* The worker is this binary again, told the same settings plus a channel. */
char **
cli_worker_argv(const char *exe, const struct settings *st, int fd)
{
    char **av = xcalloc((size_t)st->nargs + 16, sizeof *av);
    int n = 0, i;

    av[n++] = xstrdup(exe);
    av[n++] = xasprintf("--worker-fd=%d", fd);
    av[n++] = xasprintf("--huntrleaks=%d:%d", st->warmups, st->tracked);
    av[n++] = xasprintf("--gc-passes=%d", st->gc_passes);
    if (st->isolated) {
        av[n++] = xstrdup("-I");
    }
    switch (st->kind) {
    case TARGET_CODE:
        av[n++] = xstrdup("-c");
        break;
    case TARGET_MODULE:
        av[n++] = xstrdup("-m");
        break;
    case TARGET_SCRIPT:
        av[n++] = xstrdup("--");
        break;
    }
    av[n++] = xstrdup(st->target);
    for (i = 0; i < st->nargs; i++) {
        av[n++] = xstrdup(st->args[i]);
    }
    av[n] = NULL;
    return av;
}

void
cli_worker_argv_free(char **av)
{
    char **a;

    for (a = av; *a != NULL; a++) {
        free(*a);
    }
    free(av);
}
