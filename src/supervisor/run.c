/*
 * run.c: a run of refhunt, with one target or many, and its reports.
 *
 * One target, or with --each one target an operand: every target is a
 * hunt, and all of them run in one supervisor loop (supervise.c), -j at a
 * time. Each hunt's text is printed as soon as the ones before it are
 * out, in the order the targets were given; the JSON, JUnit and baseline
 * reports are written from the hunts at the end; the run's exit status
 * is the worst of its targets'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "clock.h"
#include "importshare.h"
#include "json.h"
#include "report.h"
#include "pipeline.h"
#include "run.h"
#include "supervise.h"
#include "verdict.h"
#include "xmalloc.h"

/* The run as a whole: its targets, and what is printed so far. */
struct run {
    const struct settings *st;
    struct settings *targets;       /* one settings a target */
    struct hunt   **hunts;
    int             n;
    int             printed;        /* hunts whose text is out */
    struct baseline *base;
    FILE           *text;           /* stdout, or stderr with --json - */
    struct spool   *spool;          /* --each -v: the targets' output */
    double          started;
};

/* --each: how many targets the operands are (-m module: the args
 * after a "--", if there is one). */
static int
each_total(const struct settings *st)
{
    return st->kind == TARGET_SCRIPT ? st->nargs + 1 :
        st->nargs - st->each_first;
}

/* --each: the settings of target i of the operands; -m and -c: with an
 * args array of their own (each_free), the args before a "--" and the
 * target's own. */
static struct settings
each_target(const struct settings *st, int i)
{
    struct settings one = *st;
    int ncommon = st->each_first > 0 ? st->each_first - 1 : 0;

    one.each = 0;
    /* the targets' own output is no part of a many-target report; -v
     * asks for everything (kept, and printed in order), -q -v for the
     * round tables without it */
    one.quiet = !st->verbose || st->quiet;
    if (st->kind == TARGET_SCRIPT) {
        one.target = i == 0 ? st->target : st->args[i - 1];
        one.nargs = 0;
    } else {
        one.args = xcalloc((size_t)ncommon + 2, sizeof *one.args);
        memcpy(one.args, st->args, (size_t)ncommon * sizeof *one.args);
        one.args[ncommon] = st->args[st->each_first + i];
        one.nargs = ncommon + 1;
    }
    return one;
}

static void
each_free(struct settings *one)
{
    if (one->kind != TARGET_SCRIPT) {
        free(one->args);
    }
}

/* --shard K/N: whether target i is this shard's (a stable part, by
 * position in the order given). */
static int
in_shard(const struct settings *st, int i)
{
    return st->shard_n == 0 || i % st->shard_n == st->shard_k - 1;
}

struct settings *
run_plan(const struct settings *st, int *n)
{
    struct settings *targets;
    int i, total;

    *n = 0;
    if (!st->each) {
        targets = xcalloc(1, sizeof *targets);
        targets[(*n)++] = *st;
        return targets;
    }
    total = each_total(st);
    targets = xcalloc((size_t)(total > 0 ? total : 1), sizeof *targets);
    for (i = 0; i < total; i++) {
        if (in_shard(st, i)) {
            targets[(*n)++] = each_target(st, i);
        }
    }
    return targets;
}

void
run_plan_free(const struct settings *st, struct settings *targets, int n)
{
    int i;

    for (i = 0; st->each && i < n; i++) {
        each_free(&targets[i]);
    }
    free(targets);
}

/* The baseline's entries of the other shards' targets are theirs: not
 * unmatched in this shard. */
static void
claim_other_shards(const struct settings *st, struct baseline *base)
{
    struct settings one;
    char *name;
    int i, quoted;

    for (i = 0; st->each && i < each_total(st); i++) {
        if (in_shard(st, i)) {
            continue;
        }
        one = each_target(st, i);
        for (quoted = 0; quoted <= 2; quoted++) {   /* every name written */
            name = target_name(&one, quoted);
            baseline_claim(base, name);
            free(name);
        }
        each_free(&one);
    }
}

/* One hunt's text: (--each -v) what the target printed, the verdict and
 * the GitHub annotations. */
static void
print_hunt(const struct run *r, struct hunt *h)
{
    struct result res;

    if (h->spool != NULL) {
        spool_copy(h->spool, &h->kept_out, r->text);
        pipeline_flush(r->text);
        spool_copy(h->spool, &h->kept_err, stderr);
    }
    pipeline_result(h, &res);
    report_text(&res, r->text);
    pipeline_annotate(h, r->text);
    pipeline_flush(r->text);
}

/* A hunt is over: its verdict counts. */
static void
hunt_over(struct run *r, struct hunt *h)
{
    if (r->base != NULL) {
        baseline_apply(r->base, h);
    }
    h->done = 1;
    while (r->printed < r->n && r->hunts[r->printed]->done) {
        print_hunt(r, r->hunts[r->printed++]);
    }
}

/* A hunt ended: its verdict (with its import share's, if it leaked),
 * and the texts that are due now. */
static struct hunt *
hunt_done(struct hunt *h, void *arg)
{
    verdict_compute(h);
    importshare_apply(h);
    hunt_over(arg, h);
    return NULL;
}

/* The report files, from the hunts. */
static void
write_json(FILE *f, const void *arg)
{
    const struct run *r = arg;
    struct result *res = pipeline_results(r->hunts, r->n);

    report_json(f, res, r->n, r->st->each, pipeline_status(r->hunts, r->n));
    free(res);
}

static void
write_junit(FILE *f, const void *arg)
{
    const struct run *r = arg;

    pipeline_junit(f, r->hunts, r->n, clock_now() - r->started);
}

static void
write_baseline(FILE *f, const void *arg)
{
    const struct run *r = arg;

    baseline_write_all(f, r->hunts, r->n);
}

/* Where the targets' output goes: through (one target), dropped (-q, or
 * --each), or spooled to print with each report (--each -v); and
 * whether a progress line is drawn. */
static void
route_output(struct run *r, struct supervision *sv)
{
    const struct settings *st = r->st;
    int tty = isatty(STDERR_FILENO), i;
    char *cause = NULL;

    if (!st->each) {
        sv->output = st->quiet ? OUTPUT_DROP : OUTPUT_PASS;
        sv->progress = st->quiet && tty;
        return;
    }
    sv->output = st->verbose && !st->quiet ? OUTPUT_KEEP : OUTPUT_DROP;
    sv->progress = tty;
    if (sv->output == OUTPUT_KEEP && (r->spool = spool_open(&cause)) ==
        NULL) {
        fprintf(stderr, "refhunt: %s\n", cause);   /* output dropped */
        free(cause);
    }
    for (i = 0; i < r->n; i++) {
        r->hunts[i]->spool = r->spool;
    }
}

int
run_hunts(const struct settings *st, const char *worker)
{
    struct run r = { .st = st, .started = clock_now() };
    struct baseline *base;
    struct supervision sv = { .worker = worker, .done = hunt_done,
        .arg = &r };
    int i, status, jobs, ntodo = 0;
    struct hunt **todo;
    char *check = NULL;

    if (pipeline_baseline(st, &base) != 0) {
        return EXIT_USAGE;
    }
    r.base = base;
    r.text = pipeline_text(st);
    r.targets = run_plan(st, &r.n);
    if (st->each && r.n == 0) {
        /* still the reports, empty, for a CI job that collects them */
        fprintf(stderr, "refhunt: --shard %d/%d leaves no target of these\n",
            st->shard_k, st->shard_n);
    }
    r.hunts = xcalloc((size_t)(r.n > 0 ? r.n : 1), sizeof *r.hunts);
    todo = xcalloc((size_t)(r.n > 0 ? r.n : 1), sizeof *todo);
    for (i = 0; i < r.n; i++) {
        r.hunts[i] = hunt_new(&r.targets[i]);
        /* --each: a script that is not there is that target's error */
        if (cli_check_script(&r.targets[i], &check) != 0) {
            fprintf(stderr, "refhunt: %s\n", check);
            hunt_set_error(r.hunts[i], check);
            free(check);
            hunt_done(r.hunts[i], &r);
        } else {
            todo[ntodo++] = r.hunts[i];
        }
    }
    jobs = supervise_jobs(st);
    jobs = jobs > r.n ? r.n : jobs;
    sv.jobs = jobs;
    route_output(&r, &sv);
    if (ntodo > 0) {
        supervise_all(todo, ntodo, &sv);
    }
    free(todo);
    /* Interrupted: the targets never started are interrupted too. */
    for (i = 0; i < r.n; i++) {
        if (!r.hunts[i]->done && supervise_interrupted()) {
            r.hunts[i]->status = STATUS_INTERRUPTED;
            r.hunts[i]->signal = supervise_interrupted();
            hunt_done(r.hunts[i], &r);
        }
    }
    if (base != NULL) {
        claim_other_shards(st, base);
        baseline_unmatched(base, st->baseline_path, stderr);
    }
    if (st->each) {
        pipeline_summary(r.text, r.hunts, r.n, clock_now() - r.started,
            jobs);
    }
    status = pipeline_finish(st, r.text, r.hunts, r.n,
        &(struct pipeline_files){ write_json, write_junit, write_baseline,
        &r });
    for (i = 0; i < r.n; i++) {
        hunt_free(r.hunts[i]);
    }
    free(r.hunts);
    run_plan_free(st, r.targets, r.n);
    spool_close(r.spool);
    baseline_free(base);
    return status;
}
