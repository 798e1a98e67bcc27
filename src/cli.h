/* cli.h: the command line, parsed into one settings struct. */
#ifndef REFHUNT_CLI_H
#define REFHUNT_CLI_H

#include <stdio.h>

enum target_kind {
    TARGET_SCRIPT,      /* refhunt script.py [arg ...] */
    TARGET_MODULE,      /* refhunt -m module [arg ...] */
    TARGET_CODE,        /* refhunt -c code [arg ...] */
};

struct settings {
    int               warmups;      /* -R W:N, rounds before the tracked ones */
    int               tracked;      /* rounds whose deltas decide */
    int               gc_passes;    /* gc.collect() calls after each run */
    double            timeout;      /* seconds per round; 0: none */
    const char       *json_path;    /* --json FILE, "-" for stdout; or NULL */
    int               quiet;        /* -q: capture the target's output */
    int               verbose;      /* -v: table of every round */
    int               isolated;     /* -I: isolated interpreter config */
    enum target_kind  kind;
    const char       *target;       /* script path, module name or code */
    char            **args;         /* sys.argv[1:] of the target */
    int               nargs;
    int               worker_fd;    /* record channel; -1 in the supervisor */
};

/* What cli_parse asks the caller to do. */
enum cli_result {
    CLI_RUN,            /* settings are complete: hunt */
    CLI_HELP,           /* print the help and exit 0 */
    CLI_VERSION,        /* print the version and exit 0 */
    CLI_ERROR,          /* *cause says what is wrong: exit 2 */
};

enum cli_result cli_parse(int, char **, struct settings *, char **);
void            cli_usage(FILE *);
void            cli_help(FILE *);

/* Builds the argv that makes a worker run these settings; and frees it. */
char          **cli_worker_argv(const char *, const struct settings *, int);
void            cli_worker_argv_free(char **);

#endif
