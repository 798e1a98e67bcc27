/* cli.h: the command line, parsed into one settings struct. */
#ifndef REFHUNT_CLI_H
#define REFHUNT_CLI_H

#include <stdio.h>

enum target_kind {
    TARGET_SCRIPT,      /* refhunt script.py [arg ...] */
    TARGET_MODULE,      /* refhunt -m module [arg ...] */
    TARGET_CODE,        /* refhunt -c code [arg ...] */
};

/* What must survive for a leak to count (doc/DESIGN.md, "Isolation modes"). */
enum mode {
    MODE_REINIT,        /* every round a whole interpreter lifetime */
    MODE_SUBINTERP,     /* every round a subinterpreter */
    MODE_LOOP,          /* one interpreter, the target re-run, regrtest's way */
};

/* --bisect: find which import or which test leaks on its own. */
enum bisect {
    BISECT_NONE,
    BISECT_IMPORTS,
    BISECT_TESTS,
};

/* --color: the verdict words in color. */
enum color {
    COLOR_AUTO,         /* on a terminal, unless NO_COLOR is set */
    COLOR_ALWAYS,
    COLOR_NEVER,
};

struct settings {
    enum mode         mode;
    int               mode_given;   /* --mode was given */
    int               each;         /* --each: every operand a target */
    int               each_first;   /* --each -m: the first arg that is a
                                       target; the ones before a "--"
                                       there every target gets */
    int               jobs;         /* -j N: hunts at once; 0: cores */
    int               shard_k;      /* --shard K/N: this machine's part */
    int               shard_n;      /* 0: no sharding */
    const char       *junit_path;   /* --junit FILE */
    const char       *baseline_path;        /* --baseline FILE */
    const char       *write_baseline_path;  /* --write-baseline FILE */
    enum color        color;
    enum bisect       bisect;
    int               rounds_given; /* -R was given (bisect has its own) */
    int               show_growth;  /* --show-growth=N: top N types; 0 off */
    int               trace_blocks; /* --trace-blocks=N: top N sites; 0 off */
    int               explain;      /* --explain=N: objects explained; 0 off */
    int               warmups;      /* -R W:N, rounds before the tracked ones */
    int               tracked;      /* rounds whose deltas decide */
    int               gc_passes;    /* gc.collect() calls after each run,
                                       at most (glue.py's collect) */
    double            timeout;      /* seconds per round; 0: none */
    const char       *json_path;    /* --json FILE, "-" for stdout; or NULL */
    int               quiet;        /* -q: capture the target's output */
    int               verbose;      /* -v: table of every round */
    int               isolated;     /* -I: isolated interpreter config */
    int               no_import_share;  /* --no-import-share */
    int               no_screen;    /* --no-screen: --per-test runs all
                                       measured the exact way */
    int               trust_refs;   /* --trust-refs: refs decide even with
                                       extensions that bypass the total */
    enum target_kind  kind;
    const char       *target;       /* script path, module name or code */
    char            **args;         /* sys.argv[1:] of the target */
    int               nargs;
    int               per_test;     /* --per-test: every test a verdict */
};

/* What cli_parse asks the caller to do. */
enum cli_result {
    CLI_RUN,            /* settings are complete: hunt */
    CLI_HELP,           /* print the help and exit 0 */
    CLI_VERSION,        /* print the version and exit 0 */
    CLI_ERROR,          /* *cause says what is wrong: exit 2 */
};

enum cli_result cli_parse(int, char **, struct settings *, char **);

/* A script target must be a readable regular file: 0, or -1 with *cause
 * (a usage error, before any hunt). */
int             cli_check_script(const struct settings *, char **);
void            cli_usage(FILE *);
void            cli_help(FILE *);

const char     *mode_name(enum mode);

#endif
