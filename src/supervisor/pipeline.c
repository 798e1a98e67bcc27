/* pipeline.c: the last steps that every run shares. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"
#include "junit.h"
#include "output.h"
#include "pipeline.h"
#include "report.h"
#include "suite.h"
#include "verdict.h"
#include "xmalloc.h"

void
pipeline_result(const struct hunt *h, struct result *r)
{
    int m;

    *r = (struct result){
        .settings = h->settings, .name = h->name, .python = h->python,
        .nrounds = h->nrounds, .started = h->started, .rounds = h->rounds,
        .calibrating = h->calibrating, .calibrated = h->calibrated,
        .calibration = h->calibration,
        .status = h->status, .exit_status = verdict_exit_status(h),
        .fail_round = h->fail_round, .fail_phase = h->fail_phase,
        .message = h->message, .reason = h->reason, .note = h->note,
        .signal = h->signal, .exit_code = h->exit_code,
        .outcome = h->outcome,
        .ndeltas = h->ndeltas, .leaked = h->leaked, .known = h->known,
        .allowed = h->allowed,
        .refs_untrusted = h->refs_untrusted,
        .refs_unjudged = h->refs_unjudged,
        .untrusted = h->untrusted.name, .nuntrusted = h->untrusted.n,
        .explained = h->explained, .nexplained = h->nexplained,
        .explain_done = h->explain_done, .explain_ms = h->explain_ms,
        .explain_note = h->explain_note,
        .seconds = h->seconds, .collected = h->found.n,
        .import_share_lost = h->import_share_lost,
        .nimport_deltas = h->nimport_deltas,
        .import_share_round = h->import_share_round,
    };
    for (m = 0; m < METRIC_COUNT; m++) {
        r->deltas[m] = h->deltas[m];
        r->import_deltas[m] = h->import_deltas[m];
    }
}

struct result *
pipeline_results(struct hunt *const *hunts, int n)
{
    struct result *r = xcalloc((size_t)(n > 0 ? n : 1), sizeof *r);
    int i;

    for (i = 0; i < n; i++) {
        pipeline_result(hunts[i], &r[i]);
    }
    return r;
}

/* Writes a suite (--per-test) with write(), from a result that holds its
 * tests' results. */
static void
suite_report(const struct hunt *suite, FILE *f,
    void (*write)(const struct result *, FILE *))
{
    struct result r;
    struct result *tests = pipeline_results(suite->tests.hunt,
        suite->tests.n);

    pipeline_result(suite, &r);
    r.tests = tests;
    r.ntests = suite->tests.n;
    write(&r, f);
    free(tests);
}

void
pipeline_suite_text(const struct hunt *suite, FILE *text)
{
    suite_report(suite, text, report_suite_text);
}

void
pipeline_suite_json(const struct hunt *suite, FILE *f)
{
    suite_report(suite, f, report_suite_json);
}

FILE *
pipeline_text(const struct settings *st)
{
    return st->json_path != NULL && strcmp(st->json_path, "-") == 0 ?
        stderr : stdout;
}

int
pipeline_baseline(const struct settings *st, struct baseline **base)
{
    char *cause = NULL;

    *base = NULL;
    if (st->baseline_path != NULL &&
        (*base = baseline_read(st->baseline_path, &cause)) == NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        return -1;
    }
    return 0;
}

void
pipeline_annotate(const struct hunt *h, FILE *text)
{
    const char *gh = getenv("GITHUB_ACTIONS");
    struct result r;

    if (gh != NULL && strcmp(gh, "true") == 0) {
        pipeline_result(h, &r);
        report_annotations(&r, text);
    }
}

void
pipeline_junit(FILE *f, struct hunt *const *hunts, int n, double seconds)
{
    struct result *r = pipeline_results(hunts, n);

    junit_write(f, r, n, seconds);
    free(r);
}

static int text_errno;

void
pipeline_flush(FILE *text)
{
    if (fflush(text) != 0 && text_errno == 0) {
        text_errno = errno != 0 ? errno : EIO;
    }
}

int
pipeline_write(const struct settings *st, FILE *text,
    const struct pipeline_files *files)
{
    int failed = 0;

    failed |= st->json_path != NULL && files->json != NULL &&
        output_write("--json", st->json_path, files->json, files->arg) != 0;
    failed |= st->junit_path != NULL && files->junit != NULL &&
        output_write("--junit", st->junit_path, files->junit,
        files->arg) != 0;
    failed |= st->write_baseline_path != NULL && files->baseline != NULL &&
        output_write("--write-baseline", st->write_baseline_path,
        files->baseline, files->arg) != 0;
    pipeline_flush(text);
    if (text_errno == 0 && ferror(text)) {
        text_errno = EIO;
    }
    if (text_errno != 0 && text_errno != EPIPE) {
        fprintf(stderr, "refhunt: cannot write the report to %s: %s\n",
            text == stderr ? "stderr" : "stdout", strerror(text_errno));
        failed = 1;
    }
    return failed;
}

int
pipeline_status(struct hunt *const *hunts, int n)
{
    enum status worst = STATUS_CLEAN;
    int i, sig = 0;

    for (i = 0; i < n; i++) {
        worst = status_worst(worst, hunts[i]->status);
        if (hunts[i]->status == STATUS_INTERRUPTED) {
            sig = hunts[i]->signal;
        }
    }
    return n > 0 ? status_exit(worst, sig) : EXIT_CLEAN;
}

void
pipeline_summary(FILE *text, struct hunt *const *hunts, int n,
    double seconds, int jobs)
{
    int i, nclean = 0;

    for (i = 0; i < n; i++) {
        nclean += hunts[i]->status == STATUS_CLEAN;
    }
    fprintf(text, "refhunt: %d target%s: %d clean, %d not (%.1f s, -j %d)\n",
        n, n == 1 ? "" : "s", nclean, n - nclean, seconds, jobs);
}

int
pipeline_finish(const struct settings *st, FILE *text,
    struct hunt *const *hunts, int n, const struct pipeline_files *files)
{
    return pipeline_exit(pipeline_write(st, text, files),
        pipeline_status(hunts, n));
}

int
pipeline_exit(int failed, int status)
{
    return failed ? EXIT_USAGE : status;
}
