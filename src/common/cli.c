/* cli.c: the command line, parsed into one settings struct. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "record.h"
#include "xmalloc.h"

/* Long-only options are numbered from 256, out of the way of short ones. */
enum {
    OPT_GC_PASSES = 256,
    OPT_TIMEOUT,
    OPT_JSON,
    OPT_VERSION,
    OPT_MODE,
    OPT_BISECT,
    OPT_SHOW_GROWTH,
    OPT_TRACE_BLOCKS,
    OPT_EXPLAIN,
    OPT_EACH,
    OPT_SHARD,
    OPT_JUNIT,
    OPT_BASELINE,
    OPT_WRITE_BASELINE,
    OPT_COLOR,
    OPT_PER_TEST,
    OPT_TRUST_REFS,
    OPT_NO_IMPORT_SHARE,
    OPT_NO_SCREEN,
};

/* --show-growth and --trace-blocks without a number. */
#define DEFAULT_TOP 10
/* --explain without a number: objects explained. */
#define DEFAULT_EXPLAIN 3

static const struct option long_options[] = {
    { "huntrleaks", required_argument, NULL, 'R' },
    { "mode",       required_argument, NULL, OPT_MODE },
    { "gc-passes",  required_argument, NULL, OPT_GC_PASSES },
    { "timeout",    required_argument, NULL, OPT_TIMEOUT },
    { "json",       required_argument, NULL, OPT_JSON },
    { "quiet",      no_argument,       NULL, 'q' },
    { "verbose",    no_argument,       NULL, 'v' },
    { "isolated",   no_argument,       NULL, 'I' },
    { "version",    no_argument,       NULL, OPT_VERSION },
    { "help",       no_argument,       NULL, 'h' },
    { "bisect",     required_argument, NULL, OPT_BISECT },
    { "show-growth", optional_argument, NULL, OPT_SHOW_GROWTH },
    { "trace-blocks", optional_argument, NULL, OPT_TRACE_BLOCKS },
    { "explain",    optional_argument, NULL, OPT_EXPLAIN },
    { "each",       no_argument,       NULL, OPT_EACH },
    { "jobs",       required_argument, NULL, 'j' },
    { "shard",      required_argument, NULL, OPT_SHARD },
    { "junit",      required_argument, NULL, OPT_JUNIT },
    { "baseline",   required_argument, NULL, OPT_BASELINE },
    { "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
    { "color",      required_argument, NULL, OPT_COLOR },
    { "per-test",   no_argument,       NULL, OPT_PER_TEST },
    { "trust-refs", no_argument,       NULL, OPT_TRUST_REFS },
    { "no-import-share", no_argument,  NULL, OPT_NO_IMPORT_SHARE },
    { "no-screen",  no_argument,       NULL, OPT_NO_SCREEN },
    { NULL, 0, NULL, 0 },
};

void
cli_usage(FILE *f)
{
    fprintf(f, "usage: refhunt [options] script.py [arg ...]\n"
               "       refhunt [options] -m module [arg ...]\n"
               "       refhunt [options] -c code [arg ...]\n"
               "       refhunt [options] --each script.py ...\n"
               "       refhunt [options] --each -m module [arg ... --] target ...\n"
               "       refhunt [options] --per-test -m pytest|unittest [arg ...]\n");
}

void
cli_help(FILE *f)
{
    cli_usage(f);
    fprintf(f,
        "\n"
        "Runs the target once per round and reports the references, memory blocks\n"
        "and file descriptors that every tracked round leaves behind.\n"
        "\n"
        "options:\n"
        "  -R, --huntrleaks W:N  W warm-up rounds, then N tracked rounds (default 3:3)\n"
        "  --mode MODE           reinit: each round a whole interpreter (default);\n"
        "                        subinterp: each round a subinterpreter;\n"
        "                        loop: one interpreter, regrtest's -R method\n"
        "  --gc-passes N         gc.collect() calls after each run, at most; fewer\n"
        "                        once one finds nothing (default 3)\n"
        "  --per-test            give every test of -m pytest ARGS or -m unittest\n"
        "                        NAMES its own verdict, in one interpreter (loop\n"
        "                        mode): each test runs W+N times in a row\n"
        "  --bisect imports      find the imports of the target that leak on their\n"
        "                        own (reinit rounds), deepest first\n"
        "  --bisect tests        find the tests of -m unittest NAME ... or -m pytest\n"
        "                        ARGS that leak on their own\n"
        "  --show-growth[=N]     per round, the N types whose GC-tracked objects grew\n"
        "                        most (default 10)\n"
        "  --trace-blocks[=N]    the N allocation sites (C and Python frames) of the\n"
        "                        memory blocks the tracked rounds kept (default 10)\n"
        "  --explain[=N]         loop mode, --per-test: what holds N objects the\n"
        "                        last tracked run left behind (default 3)\n"
        "  --timeout SECONDS     kill a round that runs longer (default: no limit)\n"
        "  --trust-refs          let references decide even when extension modules\n"
        "                        not built for a debug interpreter are loaded\n"
        "  --no-import-share     reinit: no round of the target's imports alone\n"
        "                        after a leak (faster; no 'of which' lines)\n"
        "  --no-screen           --per-test: every run measured the exact way (gc\n"
        "                        passes over the whole heap), no cheap screen first\n"
        "  --each                every operand is a target of its own: scripts, or\n"
        "                        the arguments of -m module (-m unittest a b: two)\n"
        "  -j, --jobs N          with --each: hunts at once (default: the CPUs it\n"
        "                        may run on); --per-test: workers that share the\n"
        "                        suite's tests\n"
        "  --shard K/N           with --each: hunt only part K of N (for CI matrices)\n"
        "  --junit FILE          write a JUnit XML report, one testcase a target\n"
        "  --baseline FILE       known leaks (METRIC MAX TARGET a line) are no failure\n"
        "  --write-baseline FILE write this run's leaks as a baseline\n"
        "  --color WHEN          auto (default: on a terminal, unless NO_COLOR is\n"
        "                        set), always or never\n"
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

/* The words of the options that take one, in their enums' order. */
static const char *const mode_names[] = { "reinit", "subinterp", "loop" };
static const char *const bisect_names[] = { "imports", "tests" };
static const char *const color_names[] = { "auto", "always", "never" };

const char *
mode_name(enum mode m)
{
    return mode_names[m];
}

/* One of names, as its index; -1 with a message that lists them. */
static int
parse_choice(const char *option, const char *s, const char *const *names,
    int n, int *out, char **cause)
{
    char *list, *next;
    int i;

    for (i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    list = xstrdup(names[0]);
    for (i = 1; i < n; i++) {
        next = xasprintf("%s%s%s", list, i == n - 1 ? " or " : ", ",
            names[i]);
        free(list);
        list = next;
    }
    *cause = xasprintf("%s: '%s' is not %s", option, s, list);
    free(list);
    return -1;
}

/* Whether s starts as a number is written: no blanks, no '+'. */
static int
plain_number(const char *s)
{
    return isdigit((unsigned char)s[s[0] == '-']) || (s[0] == '.' &&
        isdigit((unsigned char)s[1]));
}

/*
 * "--show-growth 5 x.py": getopt leaves the optional number of
 * --show-growth or --trace-blocks to the next word, which then reads as
 * the script. When that word is a number and no such file exists, say how
 * the number is written; NULL if the target is fine.
 */
static char *
bare_optional_number(const char *option, const char *target)
{
    if (option == NULL || *target == '\0' ||
        strspn(target, "0123456789") != strlen(target) ||
        access(target, F_OK) == 0) {
        return NULL;
    }
    return xasprintf("%s takes its number as %s=%s (there is no script "
        "'%s')", option, option, target, target);
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

/* "A<sep>B": two whole numbers from min to max, named in messages. */
static int
parse_pair(const char *s, char sep, const char *form, const char *name_a,
    const char *name_b, long min, long max, int *a, int *b, char **cause)
{
    char *copy = xstrdup(s), *mid = strchr(copy, sep);
    int rc = -1;

    if (mid == NULL) {
        *cause = xasprintf("%s: '%s' is not %s", name_a, s, form);
        goto out;
    }
    *mid = '\0';
    if (parse_int(name_a, copy, min, max, a, cause) != 0 ||
        parse_int(name_b, mid + 1, min, max, b, cause) != 0) {
        goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

/* --shard K/N: 1 <= K <= N. */
static int
parse_shard(const char *s, struct settings *st, char **cause)
{
    if (parse_pair(s, '/', "K/N, e.g. 2/4", "--shard K", "--shard N", 1,
        10000, &st->shard_k, &st->shard_n, cause) != 0) {
        return -1;
    }
    if (st->shard_k > st->shard_n) {
        *cause = xasprintf("--shard K: %d is more than N, %d", st->shard_k,
            st->shard_n);
        return -1;
    }
    return 0;
}

/* -R W:N as regrtest takes it: at least one warm-up and one tracked round. */
static int
parse_huntrleaks(const char *s, struct settings *st, char **cause)
{
    return parse_pair(s, ':', "WARMUPS:TRACKED, e.g. 3:3", "-R warm-ups",
        "-R tracked rounds", 1, 1000, &st->warmups, &st->tracked, cause);
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

/*
 * --each -m module ARGS: every arg is a target, but not an option meant
 * for the module (-m pytest -p no:cacheprovider a.py b.py would hunt -p
 * and no:cacheprovider). The args every target gets come before "--";
 * without one, an arg that starts with '-' is refused.
 */
static int
each_module_args(struct settings *st, char **cause)
{
    int i;

    for (i = 0; i < st->nargs && strcmp(st->args[i], "--") != 0; i++) {
        ;
    }
    if (i < st->nargs) {
        st->each_first = i + 1;
        if (i + 1 == st->nargs) {
            *cause = xasprintf("--each -m %s: no target after '--'",
                st->target);
            return -1;
        }
        return 0;
    }
    for (i = 0; i < st->nargs; i++) {
        if (st->args[i][0] == '-' && st->args[i][1] != '\0') {
            *cause = xasprintf("--each -m %s: '%s' is an option, not a "
                "target; put what every target gets before '--' (--each "
                "-m %s %s ... -- TARGET ...)", st->target, st->args[i],
                st->target, st->args[i]);
            return -1;
        }
    }
    return 0;
}

/* What the option loop keeps from one option to the next. */
struct parsing {
    int             target_set;     /* -m or -c: the options end */
    const char     *bare;           /* --show-growth, --trace-blocks or
                                       --explain, alone ... */
    int             bare_at;        /* ... before this word */
};

/* One option as getopt returned it (word: the element it was reading,
 * for messages); CLI_RUN to go on. */
static enum cli_result
parse_option(int opt, const char *word, struct settings *st,
    struct parsing *p, char **cause)
{
    int choice;

    switch (opt) {
    case 'R':
        if (parse_huntrleaks(optarg, st, cause) != 0) {
            return CLI_ERROR;
        }
        st->rounds_given = 1;
        break;
    case OPT_BISECT:
        if (parse_choice("--bisect", optarg, bisect_names, 2, &choice,
            cause) != 0) {
            return CLI_ERROR;
        }
        st->bisect = choice == 0 ? BISECT_IMPORTS : BISECT_TESTS;
        break;
    case OPT_SHOW_GROWTH:
        st->show_growth = DEFAULT_TOP;
        if (optarg == NULL) {
            p->bare = "--show-growth";
            p->bare_at = optind;
        } else if (parse_int("--show-growth", optarg, 1, 1000,
            &st->show_growth, cause) != 0) {
            return CLI_ERROR;
        }
        break;
    case OPT_TRACE_BLOCKS:
        st->trace_blocks = DEFAULT_TOP;
        if (optarg == NULL) {
            p->bare = "--trace-blocks";
            p->bare_at = optind;
        } else if (parse_int("--trace-blocks", optarg, 1, 1000,
            &st->trace_blocks, cause) != 0) {
            return CLI_ERROR;
        }
        break;
    case OPT_EXPLAIN:
        st->explain = DEFAULT_EXPLAIN;
        if (optarg == NULL) {
            p->bare = "--explain";
            p->bare_at = optind;
        } else if (parse_int("--explain", optarg, 1, 100,
            &st->explain, cause) != 0) {
            return CLI_ERROR;
        }
        break;
    case OPT_MODE:
        if (parse_choice("--mode", optarg, mode_names, 3, &choice,
            cause) != 0) {
            return CLI_ERROR;
        }
        st->mode = (enum mode)choice;
        st->mode_given = 1;
        break;
    case OPT_PER_TEST:
        st->per_test = 1;
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
    case OPT_NO_IMPORT_SHARE:
        st->no_import_share = 1;
        break;
    case OPT_NO_SCREEN:
        st->no_screen = 1;
        break;
    case OPT_TRUST_REFS:
        st->trust_refs = 1;
        break;
    case 'c':
    case 'm':
        st->kind = opt == 'c' ? TARGET_CODE : TARGET_MODULE;
        st->target = optarg;
        if (opt == 'm' && *optarg == '\0') {
            *cause = xstrdup("-m: empty module name");
            return CLI_ERROR;
        }
        p->target_set = 1;
        break;
    case OPT_EACH:
        st->each = 1;
        break;
    case 'j':
        if (parse_int("-j", optarg, 1, 1024, &st->jobs, cause) != 0) {
            return CLI_ERROR;
        }
        break;
    case OPT_SHARD:
        if (parse_shard(optarg, st, cause) != 0) {
            return CLI_ERROR;
        }
        break;
    case OPT_JUNIT:
    case OPT_BASELINE:
    case OPT_WRITE_BASELINE:
        if (*optarg == '\0') {
            *cause = xasprintf("%s: empty file name", word);
            return CLI_ERROR;
        }
        *(opt == OPT_JUNIT ? &st->junit_path : opt == OPT_BASELINE ?
            &st->baseline_path : &st->write_baseline_path) = optarg;
        break;
    case OPT_COLOR:
        if (parse_choice("--color", optarg, color_names, 3, &choice,
            cause) != 0) {
            return CLI_ERROR;
        }
        st->color = (enum color)choice;
        break;
    case OPT_VERSION:
        return CLI_VERSION;
    case 'h':
        return CLI_HELP;
    default:
        *cause = bad_option(opt, word);
        return CLI_ERROR;
    }
    return CLI_RUN;
}

/* Options that do not go together, or not with this target; 0, or -1
 * with *cause (--per-test sets loop mode). Before the script operand is
 * taken. */
static int
check_options(struct settings *st, char **cause)
{
    if (st->shard_n > 0 && !st->each) {
        *cause = xstrdup("--shard needs --each: it splits many targets");
        return -1;
    }
    if (st->jobs > 0 && !st->each && !st->per_test) {
        *cause = xstrdup("-j needs --each or --per-test: one target is one "
            "hunt");
        return -1;
    }
    if (st->bisect != BISECT_NONE && (st->junit_path != NULL ||
        st->baseline_path != NULL || st->write_baseline_path != NULL)) {
        *cause = xstrdup("--bisect writes its report as text and --json "
            "only (no --junit or baselines)");
        return -1;
    }
    if (st->bisect == BISECT_IMPORTS && st->mode_given &&
        st->mode != MODE_REINIT) {
        /* it ran reinit rounds, whatever --mode said */
        *cause = xasprintf("--bisect imports probes in reinit rounds (a "
            "module is imported anew only by a new interpreter), not in %s "
            "mode", mode_name(st->mode));
        return -1;
    }
    if (st->each && st->bisect != BISECT_NONE) {
        *cause = xstrdup("--bisect works on one target, not with --each");
        return -1;
    }
    if (st->per_test) {
        /* one interpreter, every test run again in it */
        if (st->mode_given && st->mode != MODE_LOOP) {
            *cause = xasprintf("--per-test runs every test in one "
                "interpreter: loop mode, not %s", mode_name(st->mode));
            return -1;
        }
        st->mode = MODE_LOOP;
        if (st->bisect != BISECT_NONE || st->show_growth) {
            *cause = xstrdup("--per-test does not go with --bisect or "
                "--show-growth");
            return -1;
        }
    }
    if (st->bisect == BISECT_TESTS && (st->target == NULL ||
        st->kind != TARGET_MODULE || (strcmp(st->target, "unittest") != 0 &&
        strcmp(st->target, "pytest") != 0))) {
        *cause = xstrdup("--bisect tests needs a test runner: "
            "-m unittest NAME ... or -m pytest ARGS");
        return -1;
    }
    if (st->explain && st->mode != MODE_LOOP) {
        *cause = xstrdup("--explain needs --mode loop: the objects a run "
            "left behind are inspected in the interpreter that ran it");
        return -1;
    }
    return 0;
}

/* What the target and its args allow; 0, or -1 with *cause. */
static int
check_target(struct settings *st, char **cause)
{
    if (st->per_test && (st->kind != TARGET_MODULE ||
        (strcmp(st->target, "pytest") != 0 &&
        strcmp(st->target, "unittest") != 0))) {
        *cause = xstrdup("--per-test needs a test runner: -m pytest [ARGS] "
            "or -m unittest [NAMES]");
        return -1;
    }
    if (st->each && st->kind == TARGET_MODULE &&
        each_module_args(st, cause) != 0) {
        return -1;
    }
    if (st->each && st->kind != TARGET_SCRIPT && st->nargs == 0) {
        *cause = xasprintf("--each %s needs arguments: each one is a "
            "target", st->kind == TARGET_MODULE ? "-m module" : "-c code");
        return -1;
    }
    return 0;
}

static enum cli_result
parse(int argc, char **argv, struct settings *st, char **cause)
{
    struct parsing p = { 0, NULL, -1 };
    enum cli_result r;
    int opt, at;

    memset(st, 0, sizeof *st);
    st->warmups = 3;
    st->tracked = 3;
    st->gc_passes = 3;
    *cause = NULL;

    optind = 0;     /* 0, not 1: glibc then reinitializes (tests parse twice) */
    opterr = 0;     /* we say what is wrong ourselves */
    /* '+': stop at the target; what follows belongs to it (as python does). */
    /* at: the element getopt reads, for messages (optind moves past it,
     * or not, in a cluster such as -qZ) */
    while (!p.target_set && (at = optind > 0 ? optind : 1,
        opt = getopt_long(argc, argv, "+:R:c:m:j:qvIh", long_options,
        NULL)) != -1) {
        if ((r = parse_option(opt, argv[at], st, &p, cause)) != CLI_RUN) {
            return r;
        }
    }
    if (check_options(st, cause) != 0) {
        return CLI_ERROR;
    }
    if (!p.target_set) {
        if (optind >= argc) {
            *cause = xstrdup("no target: give a script, -m module or -c code");
            return CLI_ERROR;
        }
        st->kind = TARGET_SCRIPT;
        if (optind == p.bare_at &&
            (*cause = bare_optional_number(p.bare, argv[optind])) != NULL) {
            return CLI_ERROR;
        }
        st->target = argv[optind++];
        if (*st->target == '\0') {
            *cause = xstrdup("empty script name");
            return CLI_ERROR;
        }
    }
    st->args = argv + optind;
    st->nargs = argc - optind;
    return check_target(st, cause) != 0 ? CLI_ERROR : CLI_RUN;
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

int
cli_check_script(const struct settings *st, char **cause)
{
    struct stat sb;

    if (st->kind != TARGET_SCRIPT || st->each) {
        return 0;       /* --each: a missing one fails as its own hunt */
    }
    if (stat(st->target, &sb) != 0) {
        *cause = xasprintf("%s: %s", st->target, strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        *cause = xasprintf("%s: is a directory, not a script", st->target);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        *cause = xasprintf("%s: not a regular file", st->target);
        return -1;
    }
    if (access(st->target, R_OK) != 0) {
        *cause = xasprintf("%s: %s", st->target, strerror(errno));
        return -1;
    }
    return 0;
}
