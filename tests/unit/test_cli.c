/* test_cli.c: option parsing, as a user types it. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "spec.h"

/* "refhunt" and a NULL-terminated list of words, as argv; returns argc. */
static int
make_argv(char **argv, const char *first, va_list ap)
{
    int argc = 0;
    const char *w;

    /* getopt takes char **, but moves the pointers only, never writes
     * the strings: the words are copied in as they are */
    w = "refhunt";
    memcpy(&argv[argc++], &w, sizeof w);
    for (w = first; w != NULL && argc < 63; w = va_arg(ap, const char *)) {
        memcpy(&argv[argc++], &w, sizeof w);
    }
    argv[argc] = NULL;
    return argc;
}

/* Parses a NULL-terminated list of words after "refhunt". */
static enum cli_result
parse(struct settings *st, char **cause, const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    int argc;

    va_start(ap, first);
    argc = make_argv(argv, first, ap);
    va_end(ap);
    free(*cause);
    *cause = NULL;
    return cli_parse(argc, argv, st, cause);
}

/* The message for an error names what the user wrote wrong. */
static void
check_error(const char *needle, const char *first, ...)
{
    static char *argv[64];
    struct settings st;
    char *cause = NULL;
    va_list ap;
    int argc;

    va_start(ap, first);
    argc = make_argv(argv, first, ap);
    va_end(ap);
    CHECK(cli_parse(argc, argv, &st, &cause) == CLI_ERROR);
    CHECK(cause != NULL && strstr(cause, needle) != NULL);
    if (cause == NULL || strstr(cause, needle) == NULL) {
        fprintf(stderr, "  wanted '%s' in '%s'\n", needle,
            cause ? cause : "(null)");
    }
    free(cause);
}

int
main(void)
{
    struct settings st;
    struct spec sp, again;
    char *cause = NULL, **wargv;
    int wargc;

    /* Defaults: regrtest's 3:3, three gc passes, no timeout. */
    CHECK(parse(&st, &cause, "mytest.py", NULL) == CLI_RUN);
    CHECK(st.warmups == 3 && st.tracked == 3 && st.gc_passes == 3);
    CHECK(st.timeout == 0 && st.json_path == NULL);
    CHECK(st.mode == MODE_REINIT);
    CHECK(st.kind == TARGET_SCRIPT && st.nargs == 0);
    CHECK_STR(st.target, "mytest.py");

    CHECK(parse(&st, &cause, "-R", "2:5", "--gc-passes", "1", "--timeout",
        "2.5", "--json", "out.json", "-q", "-I", "x.py", "a", "b",
        NULL) == CLI_RUN);
    CHECK(st.warmups == 2 && st.tracked == 5 && st.gc_passes == 1);
    CHECK(st.timeout == 2.5 && st.quiet && st.isolated);
    CHECK_STR(st.json_path, "out.json");
    CHECK(st.nargs == 2);
    CHECK_STR(st.args[0], "a");
    CHECK_STR(st.args[1], "b");

    CHECK(parse(&st, &cause, "--huntrleaks=1:1", "-v", "--json=-", "y.py",
        NULL) == CLI_RUN);
    CHECK(st.warmups == 1 && st.tracked == 1 && st.verbose);
    CHECK_STR(st.json_path, "-");

    /* What follows the target is the target's, options included. */
    CHECK(parse(&st, &cause, "-c", "print(1)", "-v", "a", NULL) == CLI_RUN);
    CHECK(st.kind == TARGET_CODE && !st.verbose && st.nargs == 2);
    CHECK_STR(st.target, "print(1)");
    CHECK_STR(st.args[0], "-v");
    CHECK(parse(&st, &cause, "-m", "unittest", "-v", "tests.test_x",
        NULL) == CLI_RUN);
    CHECK(st.kind == TARGET_MODULE && st.nargs == 2);
    CHECK_STR(st.target, "unittest");
    CHECK(parse(&st, &cause, "-munittest", NULL) == CLI_RUN);
    CHECK_STR(st.target, "unittest");
    CHECK(parse(&st, &cause, "app.py", "-R", "1:1", NULL) == CLI_RUN);
    CHECK(st.warmups == 3 && st.nargs == 2);
    CHECK(parse(&st, &cause, "--", "-odd.py", NULL) == CLI_RUN);
    CHECK_STR(st.target, "-odd.py");

    CHECK(parse(&st, &cause, "--mode", "loop", "t.py", NULL) == CLI_RUN);
    CHECK(st.mode == MODE_LOOP);
    CHECK(parse(&st, &cause, "--mode=subinterp", "t.py", NULL) == CLI_RUN);
    CHECK(st.mode == MODE_SUBINTERP);
    CHECK_STR(mode_name(MODE_REINIT), "reinit");

    CHECK(parse(&st, &cause, "--help", NULL) == CLI_HELP);
    CHECK(parse(&st, &cause, "-h", "x.py", NULL) == CLI_HELP);
    CHECK(parse(&st, &cause, "--version", NULL) == CLI_VERSION);

    check_error("-R warm-ups", "-R", "0:0", "x.py", NULL);
    check_error("-R tracked", "-R", "3:0", "x.py", NULL);
    check_error("'x' is not WARMUPS:TRACKED", "-R", "x", "x.py", NULL);
    check_error("-R warm-ups: '' is not", "-R", ":3", "x.py", NULL);
    check_error("-R tracked rounds: '3:3'", "-R", "3:3:3", "x.py", NULL);
    check_error("-R warm-ups: '-1'", "-R", "-1:3", "x.py", NULL);
    check_error("--gc-passes: '-1'", "--gc-passes", "-1", "x.py", NULL);
    check_error("--gc-passes: '2x'", "--gc-passes=2x", "x.py", NULL);
    check_error("--timeout: '0'", "--timeout", "0", "x.py", NULL);
    check_error("--timeout: 'soon'", "--timeout", "soon", "x.py", NULL);
    check_error("--timeout: 'nan'", "--timeout", "nan", "x.py", NULL);
    check_error("unknown option --bogus", "--bogus", "x.py", NULL);
    check_error("unknown option -Z", "-Z", "x.py", NULL);
    check_error("unknown option -Z", "-qZ", "x.py", NULL);
    check_error("unknown option -Z", "--json=a", "-Zq", "x.py", NULL);
    check_error("unknown option -\\x03", "-\x03", "x.py", NULL);
    check_error("unknown option --a\\nb", "--a\nb", "x.py", NULL);
    check_error("option --help takes no argument", "--help=x", NULL);
    check_error("option --version takes no argument", "--version=1", NULL);
    check_error("ambiguous option --h", "--h", "x.py", NULL);
    check_error("unknown option --bogus", "--bogus=1", "x.py", NULL);
    check_error("option --json needs an argument", "-q", "--json", NULL);
    check_error("option -R needs an argument", "-qR", NULL);
    check_error("-R warm-ups: ' 3'", "-R", " 3:3", "x.py", NULL);
    check_error("-R tracked rounds: '+3'", "-R", "3:+3", "x.py", NULL);
    check_error("--timeout: ' 1'", "--timeout", " 1", "x.py", NULL);
    check_error("no target", NULL);
    check_error("no target", "-q", NULL);
    check_error("needs an argument", "-R", NULL);
    check_error("needs an argument", "-c", NULL);
    check_error("needs an argument", "--json", NULL);
    check_error("-m: empty module name", "-m", "", NULL);
    check_error("--json: empty file name", "--json", "", "x.py", NULL);
    check_error("--show-growth takes its number as --show-growth=5",
        "--show-growth", "5", "x.py", NULL);
    check_error("--trace-blocks takes its number as --trace-blocks=12",
        "--mode", "loop", "--trace-blocks", "12", "x.py", NULL);
    check_error("--mode: 'fork' is not", "--mode", "fork", "x.py", NULL);
    check_error("empty script name", "", NULL);

    /* -q and -v together: the round table without the target's output */
    CHECK(parse(&st, &cause, "-q", "-v", "x.py", NULL) == CLI_RUN);
    CHECK(st.quiet && st.verbose);
    /* the number written with '=', or a script after "--": no question */
    CHECK(parse(&st, &cause, "--show-growth=5", "x.py", NULL) == CLI_RUN);
    CHECK(st.show_growth == 5 && st.kind == TARGET_SCRIPT);
    CHECK(parse(&st, &cause, "--show-growth", "--", "5", NULL) == CLI_RUN);
    CHECK(st.show_growth == 10);
    CHECK_STR(st.target, "5");

    /* A worker told the settings in its spec parses them back the same. */
    CHECK(parse(&st, &cause, "-R", "2:4", "--gc-passes", "0", "-I",
        "--mode", "loop", "-m",
        "pkg.mod", "--flag", "x y", NULL) == CLI_RUN);
    sp = spec_of(&st, TASK_LIST_TESTS, "/tmp/refhunt-tests-x y", 7);
    wargv = spec_argv("/bin/refhunt-worker", &sp);
    for (wargc = 0; wargv[wargc] != NULL; wargc++) {
        ;
    }
    CHECK(spec_parse(wargc, wargv, &again, &cause) == 0);
    CHECK(again.fd == 7 && again.warmups == 2 && again.tracked == 4);
    CHECK(again.task == TASK_LIST_TESTS && again.screen);
    CHECK_STR(again.test_ids, "/tmp/refhunt-tests-x y");
    CHECK(again.gc_passes == 0 && again.isolated);
    CHECK(again.mode == MODE_LOOP);
    CHECK(again.kind == TARGET_MODULE && again.nargs == 2);
    CHECK_STR(again.target, "pkg.mod");
    CHECK_STR(again.args[1], "x y");
    /* ... and refhunt does not take it: the spec is not options */
    CHECK(cli_parse(wargc, wargv, &st, &cause) == CLI_RUN &&
        st.kind == TARGET_SCRIPT);
    CHECK_STR(st.target, "refhunt-spec/1");
    /* a word changed or left out is refused, not guessed */
    free(wargv[3]);
    wargv[3] = strdup("tas=tests");
    CHECK(spec_parse(wargc, wargv, &again, &cause) != 0);
    spec_argv_free(wargv);
    sp = spec_of(&(struct settings){ .warmups = 1, .tracked = 1,
        .kind = TARGET_SCRIPT, .target = "-dash.py" }, TASK_HUNT, NULL, 9);
    wargv = spec_argv("/bin/refhunt-worker", &sp);
    for (wargc = 0; wargv[wargc] != NULL; wargc++) {
        ;
    }
    CHECK(spec_parse(wargc, wargv, &again, &cause) == 0);
    CHECK(again.kind == TARGET_SCRIPT && again.task == TASK_HUNT &&
        again.test_ids == NULL);
    CHECK_STR(again.target, "-dash.py");
    spec_argv_free(wargv);

    /* --bisect imports runs reinit rounds: another --mode is refused,
     * not silently ignored */
    check_error("--bisect imports probes in reinit rounds",
        "--bisect", "imports", "--mode", "loop", "x.py", NULL);
    check_error("not in subinterp mode", "--bisect", "imports", "--mode",
        "subinterp", "x.py", NULL);
    CHECK(parse(&st, &cause, "--bisect", "imports", "--mode", "reinit",
        "x.py", NULL) == CLI_RUN);
    /* --each -m: the module's options before "--", targets after */
    CHECK(parse(&st, &cause, "--each", "-m", "pytest", "-p",
        "no:cacheprovider", "--", "a.py", "b.py", NULL) == CLI_RUN);
    CHECK(st.each_first == 3 && st.nargs == 5);
    CHECK(parse(&st, &cause, "--each", "-m", "unittest", "a", "b", NULL) ==
        CLI_RUN && st.each_first == 0);
    check_error("'-p' is an option, not a target", "--each", "-m", "pytest",
        "-p", "no:cacheprovider", "a.py", NULL);

    /* The worker's words are no options of refhunt's (a leaking target
     * came out "clean" with --worker-task=imports) */
    check_error("unknown option --worker-task", "--worker-task=imports",
        "-c", "pass", NULL);
    check_error("unknown option --worker-t", "--worker-t=tests", "-c",
        "pass", NULL);
    check_error("unknown option --test-start", "--test-start=3", "-m",
        "pytest", NULL);
    check_error("unknown option --worker-fd", "--worker-fd=5", "x.py",
        NULL);
    free(cause);
    return check_result("test_cli");
}
