/*
 * bisect.c: --bisect imports and --bisect tests, which import or which
 * test leaks on its own.
 *
 * A discovery worker lists the items: the modules the target imported, in
 * the order it first imported them, or the test ids of -m unittest NAME.
 * Then groups of items are hunted (probes) and split, deterministically,
 * halves in order: a group that leaks is split until single items are
 * left; a group that does not leak is dropped; when the first half of a
 * leaking group finds nothing, the second half is known to leak and is
 * split without a probe of its own. A group that fails (an item that does
 * not import on its own) is split too, down to the item, which is reported.
 *
 * Importing a module imports what it needs, so `statistics` leaks when
 * `_decimal` does: each module found is probed once more to list what its
 * import brings, and a culprit whose import brings another culprit is
 * named as leaking through it. The deepest culprits are the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "bisect.h"
#include "json.h"
#include "report.h"
#include "supervise.h"
#include "verdict.h"
#include "xmalloc.h"

/* Probe rounds when -R is not given: a leak per round shows in two. */
#define PROBE_WARMUPS 1
#define PROBE_TRACKED 2

struct culprit {
    char           *item;
    struct hunt    *hunt;           /* its own probe */
    struct names    brings;         /* imports: what `import item` imports */
    int             through;        /* index of a deeper culprit, or -1 */
};

struct failure {
    char           *item;
    char           *message;
};

struct bisection {
    const struct settings *st;
    const char     *exe;
    struct names    items;
    struct culprit *culprits;
    int             nculprits;
    struct failure *failures;
    int             nfailures;
    int             probes;
    int             rounds;
    int             whole_leaked;   /* the probe of every item leaked */
    int             together;       /* ... but no item on its own */
    double          started;
};

static const char *
item_kind(const struct bisection *b)
{
    return b->st->bisect == BISECT_IMPORTS ? "module" : "test";
}

/* A module name as a Python string literal (it is a name: no quotes or
 * backslashes in it, refused if there were). */
static const char *
quoted(const char *name)
{
    static char buf[1024];

    if (strlen(name) + 3 > sizeof buf || strpbrk(name, "'\\\n") != NULL) {
        return "'<unnamed>'";
    }
    snprintf(buf, sizeof buf, "'%s'", name);
    return buf;
}

/* The settings of a probe of items[lo, hi): quiet, no report files. */
static struct settings *
probe_settings(const struct bisection *b, int lo, int hi)
{
    struct settings *ps = xmalloc(sizeof *ps);
    char *code, *next;
    int i;

    *ps = *b->st;
    ps->json_path = NULL;
    ps->quiet = 1;
    ps->verbose = 0;
    ps->show_growth = 0;
    ps->trace_blocks = 0;
    ps->explain = 0;
    ps->bisect = BISECT_NONE;
    if (!b->st->rounds_given) {
        ps->warmups = PROBE_WARMUPS;
        ps->tracked = PROBE_TRACKED;
    }
    if (b->st->bisect == BISECT_IMPORTS) {
        /* reinit rounds: what each import leaves behind in the process */
        ps->mode = MODE_REINIT;
        ps->kind = TARGET_CODE;
        code = xstrdup("");
        for (i = lo; i < hi; i++) {
            /* __import__: sys.modules also holds names that are no
             * identifiers (_sysconfigdata_d_x86_64-linux-gnu) */
            next = xasprintf("%s__import__(%s)\n", code,
                quoted(b->items.name[i]));
            free(code);
            code = next;
        }
        ps->target = code;
        ps->args = NULL;
        ps->nargs = 0;
    } else {
        ps->kind = TARGET_MODULE;
        ps->target = "unittest";
        ps->args = b->items.name + lo;
        ps->nargs = hi - lo;
    }
    return ps;
}

static void
free_probe(struct hunt *h)
{
    struct settings *ps;

    if (h == NULL) {
        return;
    }
    ps = (struct settings *)h->settings;
    if (ps->kind == TARGET_CODE) {
        free((char *)ps->target);
    }
    hunt_free(h);
    free(ps);
}

/* Hunts items[lo, hi) as one target. */
static struct hunt *
probe(struct bisection *b, int lo, int hi)
{
    struct hunt *h = hunt_new(probe_settings(b, lo, hi));

    supervise_hunt(h, b->exe);
    verdict_compute(h);
    b->probes++;
    b->rounds += h->started;
    if (b->st->verbose) {
        fprintf(stderr, "refhunt: probe %d: %d %s%s from %s: %s\n", b->probes,
            hi - lo, item_kind(b), hi - lo == 1 ? "" : "s", b->items.name[lo],
            status_name(h->status));
    }
    return h;
}

static void
add_culprit(struct bisection *b, int i, struct hunt *h)
{
    b->culprits = xreallocarray(b->culprits, (size_t)b->nculprits + 1,
        sizeof *b->culprits);
    b->culprits[b->nculprits++] = (struct culprit){ b->items.name[i], h,
        { NULL, 0 }, -1 };
}

static void
add_failure(struct bisection *b, int i, const struct hunt *h)
{
    b->failures = xreallocarray(b->failures, (size_t)b->nfailures + 1,
        sizeof *b->failures);
    b->failures[b->nfailures++] = (struct failure){ b->items.name[i],
        xstrdup(h->message != NULL ? h->message : status_name(h->status)) };
}

/* The culprits among items[lo, hi); known: the group is known to leak. */
static void
search(struct bisection *b, int lo, int hi, int known)
{
    struct hunt *h = NULL;
    int mid, before;

    if (supervise_interrupted()) {
        return;
    }
    if (!known || hi - lo == 1) {
        h = probe(b, lo, hi);
        if (h->status == STATUS_CLEAN || h->status == STATUS_INTERRUPTED) {
            free_probe(h);
            return;
        }
        if (hi - lo == 1) {
            if (h->status == STATUS_LEAK) {
                add_culprit(b, lo, h);
                return;
            }
            add_failure(b, lo, h);
            free_probe(h);
            return;
        }
        known = h->status == STATUS_LEAK;
        if (lo == 0 && hi == b->items.n) {
            b->whole_leaked = known;
        }
        free_probe(h);
    }
    mid = lo + (hi - lo) / 2;
    before = b->nculprits;
    search(b, lo, mid, 0);
    /* When the first half has no culprit, the leak is in the second. */
    search(b, mid, hi, known && b->nculprits == before);
}

/* Runs a discovery worker (task) for settings st; its hunt. */
static struct hunt *
discover(const struct settings *st, enum worker_task task, const char *exe)
{
    struct settings *ds = xmalloc(sizeof *ds);
    struct hunt *h;

    *ds = *st;
    ds->task = task;
    ds->mode = MODE_REINIT;
    ds->warmups = 1;        /* the worker runs it once, whatever these say */
    ds->tracked = 1;
    ds->show_growth = 0;
    ds->trace_blocks = 0;
    ds->explain = 0;
    h = hunt_new(ds);
    supervise_hunt(h, exe);
    return h;
}

/* For each culprit module, what its import brings; a culprit that brings
 * another culprit leaks through it. */
static void
find_deepest(struct bisection *b)
{
    struct settings st;
    struct hunt *h;
    char *code;
    int i, j, k;

    for (i = 0; i < b->nculprits; i++) {
        st = *b->st;
        st.kind = TARGET_CODE;
        st.target = code = xasprintf("__import__(%s)",
            quoted(b->culprits[i].item));
        st.nargs = 0;
        st.quiet = 1;
        h = discover(&st, TASK_LIST_IMPORTS, b->exe);
        b->culprits[i].brings = h->found;
        h->found = (struct names){ NULL, 0 };
        free((char *)h->settings);
        hunt_free(h);
        free(code);
    }
    for (i = 0; i < b->nculprits; i++) {
        for (j = 0; j < b->nculprits && b->culprits[i].through < 0; j++) {
            for (k = 0; j != i && k < b->culprits[i].brings.n; k++) {
                if (strcmp(b->culprits[i].brings.name[k],
                    b->culprits[j].item) == 0) {
                    b->culprits[i].through = j;
                    break;
                }
            }
        }
    }
    /* Follow the chain to the deepest: statistics -> decimal -> _decimal. */
    for (i = 0; i < b->nculprits; i++) {
        for (k = 0; k < b->nculprits; k++) {
            j = b->culprits[i].through;
            if (j < 0 || b->culprits[j].through < 0) {
                break;
            }
            b->culprits[i].through = b->culprits[j].through;
        }
    }
}

static void
text_report(const struct bisection *b, const struct hunt *disc, FILE *f)
{
    const struct culprit *c;
    char *line;
    int i, j, m, deepest = 0, first;

    for (i = 0; i < b->nculprits; i++) {
        c = &b->culprits[i];
        if (c->through >= 0) {
            continue;
        }
        deepest++;
        free(c->hunt->name);
        c->hunt->name = xstrdup(c->item);
        for (m = 0; m < METRIC_COUNT; m++) {
            if (c->hunt->leaked[m]) {
                report_leak_line(c->hunt, m, f);
            }
        }
        first = 1;
        for (j = 0; j < b->nculprits; j++) {
            if (b->culprits[j].through == i) {
                fprintf(f, "%s%s", first ? "  leaking through it too: " :
                    ", ", b->culprits[j].item);
                first = 0;
            }
        }
        if (!first) {
            fputc('\n', f);
        }
    }
    for (i = 0; i < b->nfailures; i++) {
        line = report_last_line(b->failures[i].message);
        fprintf(f, "refhunt: %s %s fails on its own: %s\n", item_kind(b),
            b->failures[i].item, line);
        free(line);
    }
    if (b->together) {
        fprintf(f, "refhunt: the %s%s leak together but none on its own\n",
            item_kind(b), "s");
    }
    fprintf(f, "refhunt: %s: bisect %s: %d %s%s, %d culprit%s", disc->name,
        b->st->bisect == BISECT_IMPORTS ? "imports" : "tests", b->items.n,
        item_kind(b), b->items.n == 1 ? "" : "s", deepest,
        deepest == 1 ? "" : "s");
    fprintf(f, " (%d probe%s, %d rounds, %.1f s)%s\n", b->probes,
        b->probes == 1 ? "" : "s", b->rounds, clock_now() - b->started,
        supervise_interrupted() ? "; interrupted: the search is not "
        "complete" : "");
}

static int
json_report(const struct bisection *b, const struct hunt *disc, int status,
    char **cause)
{
    const char *path = b->st->json_path;
    int to_stdout = strcmp(path, "-") == 0, i, j, first, more;
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    const struct culprit *c;

    if (f == NULL) {
        *cause = xasprintf("--json %s: cannot open", path);
        return -1;
    }
    fprintf(f, "{\n  \"target\": ");
    json_text(f, disc->name);
    fprintf(f, ",\n  \"bisect\": \"%s\",\n  \"status\": \"%s\",\n"
        "  \"exit_status\": %d,\n  \"items\": %d,\n  \"culprits\": [",
        b->st->bisect == BISECT_IMPORTS ? "imports" : "tests",
        status == 1 ? "leak" : status == 0 ? "clean" : status >= 128 ?
        "interrupted" : status == 2 ? "error" : "failed", status, b->items.n);
    first = 1;
    for (i = 0; i < b->nculprits; i++) {
        c = &b->culprits[i];
        if (c->through >= 0) {
            continue;
        }
        fprintf(f, "%s\n    {\"%s\": ", first ? "" : ",", item_kind(b));
        json_text(f, c->item);
        fprintf(f, ", \"leaks\": ");
        json_leaks(f, c->hunt);
        fprintf(f, ", \"deltas\": ");
        json_deltas(f, c->hunt);
        fprintf(f, ", \"through\": [");
        for (j = 0, more = 0; j < b->nculprits; j++) {
            if (b->culprits[j].through == i) {
                fputs(more ? ", " : "", f);
                json_text(f, b->culprits[j].item);
                more = 1;
            }
        }
        fprintf(f, "]}");
        first = 0;
    }
    fprintf(f, "%s],\n  \"failures\": [", first ? "" : "\n  ");
    for (i = 0; i < b->nfailures; i++) {
        fprintf(f, "%s{\"%s\": ", i > 0 ? ", " : "", item_kind(b));
        json_text(f, b->failures[i].item);
        fprintf(f, ", \"message\": ");
        json_text(f, b->failures[i].message);
        fputc('}', f);
    }
    fprintf(f, "],\n  \"message\": ");
    json_text(f, disc->status != STATUS_CLEAN ? disc->message : NULL);
    fprintf(f, ",\n  \"together\": %s,\n  \"probes\": %d,\n  \"rounds\": %d,"
        "\n  \"seconds\": %.2f,\n  \"mode\": \"%s\"\n}\n",
        b->together ? "true" : "false", b->probes, b->rounds,
        clock_now() - b->started, mode_name(b->st->bisect == BISECT_IMPORTS ?
        MODE_REINIT : b->st->mode));
    if (fflush(f) != 0 || ferror(f) || (!to_stdout && fclose(f) != 0)) {
        *cause = xasprintf("--json %s: cannot write", path);
        return -1;
    }
    return 0;
}

int
bisect_main(const struct settings *st, const char *exe)
{
    struct bisection b;
    struct hunt *disc;
    FILE *text = st->json_path != NULL && strcmp(st->json_path, "-") == 0 ?
        stderr : stdout;
    char *cause = NULL, *last;
    int status, i, real = 0;

    memset(&b, 0, sizeof b);
    b.st = st;
    b.exe = exe;
    b.started = clock_now();
    disc = discover(st, st->bisect == BISECT_IMPORTS ? TASK_LIST_IMPORTS :
        TASK_LIST_TESTS, exe);
    if (disc->status != STATUS_CLEAN) {
        /* the target itself fails: nothing to bisect, and the reports
         * say why */
        status = verdict_exit_status(disc);
        last = report_last_line(disc->message);
        fprintf(text, "refhunt: %s: bisect %s: the target's first run "
            "failed: %s\n", disc->name, st->bisect == BISECT_IMPORTS ?
            "imports" : "tests", disc->reason != NULL ? disc->reason : last);
        free(last);
        if (st->quiet && disc->message != NULL &&
            strchr(disc->message, '\n') != NULL) {
            fprintf(text, "%s%s", disc->message,
                disc->message[strlen(disc->message) - 1] == '\n' ? "" : "\n");
        }
        if (st->json_path != NULL &&
            json_report(&b, disc, status, &cause) != 0) {
            fprintf(stderr, "refhunt: %s\n", cause);
            free(cause);
            status = 2;
        }
        free((char *)disc->settings);
        hunt_free(disc);
        return status;
    }
    b.items = disc->found;
    disc->found = (struct names){ NULL, 0 };
    if (b.items.n > 0) {
        search(&b, 0, b.items.n, 0);
    }
    if (st->bisect == BISECT_IMPORTS) {
        find_deepest(&b);
    }
    for (i = 0; i < b.nculprits; i++) {
        real += b.culprits[i].through < 0;
    }
    b.together = b.whole_leaked && b.nculprits == 0;
    status = supervise_interrupted() ? 128 + supervise_interrupted() :
        real > 0 || b.together ? 1 : 0;
    text_report(&b, disc, text);
    fflush(text);
    if (st->json_path != NULL && json_report(&b, disc, status, &cause) != 0) {
        fprintf(stderr, "refhunt: %s\n", cause);
        free(cause);
        status = 2;
    }
    for (i = 0; i < b.nculprits; i++) {
        free_probe(b.culprits[i].hunt);
        names_clear(&b.culprits[i].brings);
    }
    for (i = 0; i < b.nfailures; i++) {
        free(b.failures[i].message);
    }
    free(b.culprits);
    free(b.failures);
    names_clear(&b.items);
    free((char *)disc->settings);
    hunt_free(disc);
    return status;
}
