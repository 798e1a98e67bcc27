/*
 * suite.c: the --per-test report of a suite: a line for each test that
 * leaked or did not end well, the suite's counts, and its JSON object
 * with each test's in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "suite.h"
#include "utf8.h"

static const char *
test_status(const struct result *t)
{
    return t->outcome != NULL && t->status == STATUS_CLEAN ? t->outcome :
        status_name(t->status);
}

/* "212 tests: 3 leak, 1 failed, 208 clean" */
static void
counts(const struct result *suite, FILE *f)
{
    static const char *const order[] = { "leak", "failed", "crashed",
        "timeout", "interrupted", "skipped", "xfailed" };
    int i, k, n, clean = 0, known = 0, m;

    fprintf(f, "%d test%s:", suite->ntests, suite->ntests == 1 ? "" : "s");
    for (k = 0; k < (int)(sizeof order / sizeof order[0]); k++) {
        for (i = 0, n = 0; i < suite->ntests; i++) {
            n += strcmp(test_status(&suite->tests[i]), order[k]) == 0;
        }
        if (n > 0) {
            fprintf(f, " %d %s,", n, order[k]);
        }
    }
    for (i = 0; i < suite->ntests; i++) {
        const struct result *t = &suite->tests[i];

        if (strcmp(test_status(t), "clean") == 0) {
            clean++;
            for (m = 0; m < METRIC_COUNT; m++) {
                if (t->known[m] > 0) {
                    known++;
                    break;
                }
            }
        }
    }
    fprintf(f, " %d clean", clean);
    if (known > 0) {
        fprintf(f, " (%d within the baseline)", known);
    }
    for (i = 0, n = 0; i < suite->ntests; i++) {
        n += suite->tests[i].refs_unjudged &&
            suite->tests[i].status <= STATUS_LEAK;
    }
    if (n > 0) {
        fprintf(f, " (%d with references not judged that would leak)", n);
    }
    if (suite->collected > suite->ntests) {
        fprintf(f, ", %d not run", suite->collected - suite->ntests);
    }
}

/* What the report says about one test that did not end well. */
static void
test_trouble(const struct result *t, int quiet, FILE *f)
{
    const char *body = t->message;
    char *last;

    text_put_name(t->name, f);
    fprintf(f, " %s", status_name(t->status));
    if (t->fail_round > 0) {
        fprintf(f, " in run %d", t->fail_round);
    }
    last = report_last_line(t->message);
    fprintf(f, ": %s\n", t->reason != NULL ? t->reason : last);
    free(last);
    if (t->reason != NULL) {
        /* crashed, timeout: stderr showed it, unless -q kept it */
        body = quiet && body != NULL && strchr(body, '\n') != NULL ?
            strchr(body, '\n') + 1 : NULL;
    }
    /* a failure: pytest's or unittest's own message, which no one
     * printed */
    report_message(body, f);
}

void
report_suite_text(const struct result *suite, FILE *f)
{
    const struct settings *st = suite->settings;
    const struct result *t;
    char *last;
    int i, m;

    for (i = 0; i < suite->ntests; i++) {
        t = &suite->tests[i];
        for (m = 0; m < METRIC_COUNT; m++) {
            if (t->leaked[m] || t->known[m] > 0) {
                report_leak_line_baseline(t, (enum metric)m, f);
            }
        }
        /* refs that would have leaked, but do not decide */
        if (t->refs_unjudged) {
            report_untrusted_refs(t, f);
        }
        /* --explain: the worker explains only the tests that leak */
        report_explained(t, f);
        report_kept_blocks(t, f);
        if (t->status >= STATUS_FAILED) {
            test_trouble(t, st->quiet, f);
        }
    }
    fprintf(f, "refhunt: %s: ", suite->name);
    if (suite->reason != NULL || suite->message != NULL) {
        last = report_last_line(suite->message);
        fprintf(f, "%s: %s; ", status_name(suite->status),
            suite->reason != NULL ? suite->reason : last);
        free(last);
    }
    counts(suite, f);
    fprintf(f, " (per test: %d warm-up%s + %d tracked run%s in loop mode",
        st->warmups, st->warmups == 1 ? "" : "s", st->tracked,
        st->tracked == 1 ? "" : "s");
    if (suite->python.version != NULL) {
        fprintf(f, "; Python %s %s", suite->python.version,
            python_build(&suite->python));
        if (!suite->python.refs_available) {
            for (i = 0; i < suite->ntests && (suite->tests[i].ndeltas == 0 ||
                suite->tests[i].deltas[METRIC_OBJECTS][0] == COUNTER_NONE);
                i++) {
                ;
            }
            fprintf(f, ": blocks%s and fds only", i < suite->ntests ?
                ", objects" : "");
        }
    }
    fprintf(f, ")\n");
    /* a collection error: pytest's own words, which -q kept from the
     * terminal */
    if (st->quiet) {
        report_message(suite->message, f);
    }
}

static void
json_test(const struct result *t, FILE *f)
{
    fprintf(f, "    {\"id\": ");
    json_text(f, t->name);
    fprintf(f, ", \"status\": \"%s\", \"leaks\": ", test_status(t));
    json_leaks(f, t);
    fprintf(f, ", \"known\": ");
    json_known(f, t);
    fprintf(f, ", \"deltas\": ");
    json_deltas(f, t);
    fputs(", ", f);
    json_refs_trust(f, t);
    fprintf(f, ", \"runs\": %d, \"message\": ", t->started);
    json_text(f, t->status == STATUS_CLEAN && t->outcome == NULL ? NULL :
        t->message);
    fputs(", \"explain\": ", f);
    json_explain(f, t);
    fputs(", \"trace\": ", f);
    json_test_trace(f, t);
    fputc('}', f);
}

void
report_suite_json(const struct result *suite, FILE *f)
{
    const struct settings *st = suite->settings;
    int i;

    fprintf(f, "{\n  \"target\": ");
    json_text(f, suite->name);
    fprintf(f, ",\n  \"kind\": \"module\",\n  \"argv\": ");
    json_argv(f, st);
    fprintf(f, ",\n  \"per_test\": true,\n  \"status\": \"%s\",\n"
        "  \"exit_status\": %d,\n  \"collected\": %d,\n  \"tests\": [",
        status_name(suite->status), suite->exit_status,
        suite->collected);
    for (i = 0; i < suite->ntests; i++) {
        fputs(i > 0 ? ",\n" : "\n", f);
        json_test(&suite->tests[i], f);
    }
    fprintf(f, "%s],\n  \"seconds\": %.3f,\n  \"mode\": \"%s\",\n"
        "  \"warmups\": %d,\n  \"tracked\": %d,\n  \"gc_passes\": %d",
        suite->ntests > 0 ? "\n  " : "", suite->seconds, mode_name(st->mode),
        st->warmups, st->tracked, st->gc_passes);
    fprintf(f, ",\n  \"python\": ");
    json_python(f, &suite->python);
    fprintf(f, ",\n  \"message\": ");
    json_text(f, suite->message);
    fprintf(f, "\n}\n");
}
