/* report.c: the hunt as text for a person and JSON for a machine. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rule.h"
#include "utf8.h"
#include "xmalloc.h"

/* Whether the hunt counted a metric: a worker sends none ("-") for what
 * it cannot count. */
static int
counted(const struct result *h, enum metric m)
{
    return h->ndeltas > 0 && h->deltas[m][0] != COUNTER_NONE;
}

/* ANSI colors of the verdict words, when report_set_color() said so. */
static int use_color;

void
report_set_color(int on)
{
    use_color = on;
}

static const char *
color_of(enum status s)
{
    if (!use_color) {
        return "";
    }
    return s == STATUS_CLEAN ? "\033[32m" : s == STATUS_INTERRUPTED ?
        "\033[33m" : "\033[1;31m";
}

static const char *
color_end(void)
{
    return use_color ? "\033[0m" : "";
}

/* "mytest.py leaked [1, 1, 1] references, sum=3", as regrtest says it;
 * without the newline. */
static void
leak_words(const struct result *h, enum metric m, FILE *f)
{
    int64_t sum = 0;
    int i;

    text_put_name(h->name, f);
    fprintf(f, " leaked [");
    for (i = 0; i < h->ndeltas; i++) {
        fprintf(f, "%s%" PRId64, i > 0 ? ", " : "", h->deltas[m][i]);
        sum += h->deltas[m][i];
    }
    fprintf(f, "] %s, sum=%" PRId64, metric_noun(m), sum);
}

void
report_leak_line(const struct result *h, enum metric m, FILE *f)
{
    leak_words(h, m, f);
    fputc('\n', f);
}

/* What --baseline says of metric m, if it has an entry: within it
 * (known), or beyond it. */
static void
baseline_words(const struct result *h, enum metric m, FILE *f)
{
    if (h->known[m] > 0) {
        fprintf(f, " (known: the baseline allows %" PRId64 " a round)",
            h->known[m]);
    } else if (h->allowed[m] > 0) {
        fprintf(f, " (more than the baseline allows: %" PRId64 " a round)",
            h->allowed[m]);
    }
}

void
report_leak_line_baseline(const struct result *h, enum metric m, FILE *f)
{
    leak_words(h, m, f);
    baseline_words(h, m, f);
    fputc('\n', f);
}

/* GitHub Actions workflow commands escape these in messages... */
static void
gh_text(FILE *f, const char *s, int property)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '%') {
            fputs("%25", f);
        } else if (*s == '\r') {
            fputs("%0D", f);
        } else if (*s == '\n') {
            fputs("%0A", f);
        } else if (property && *s == ':') {     /* ... and these in values */
            fputs("%3A", f);
        } else if (property && *s == ',') {
            fputs("%2C", f);
        } else {
            fputc(*s, f);
        }
    }
}

/* "::error file=F,title=T::" */
static void
gh_begin(FILE *f, const char *level, const struct result *h, const char *title)
{
    fprintf(f, "::%s ", level);
    if (h->settings->kind == TARGET_SCRIPT) {
        fputs("file=", f);
        gh_text(f, h->name, 1);
        fputc(',', f);
    }
    fputs("title=", f);
    gh_text(f, title, 1);
    fputs("::", f);
}

void
report_annotations(const struct result *h, FILE *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem;
    int m;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (!h->leaked[m] && h->known[m] == 0) {
            continue;
        }
        if ((mem = open_memstream(&text, &len)) == NULL) {
            return;
        }
        leak_words(h, m, mem);
        if (h->known[m] > 0) {
            baseline_words(h, m, mem);
        }
        fclose(mem);
        gh_begin(f, h->known[m] > 0 ? "notice" : "error", h,
            h->known[m] > 0 ? "refhunt: known leak" : "refhunt: leak");
        gh_text(f, text, 0);
        fputc('\n', f);
        free(text);
        text = NULL;
    }
    if (h->status >= STATUS_FAILED) {
        text = xasprintf("refhunt: %s", status_name(h->status));
        gh_begin(f, "error", h, text);
        free(text);
        text_put_name(h->name, f);
        fputs(": ", f);
        text = h->reason != NULL ? xstrdup(h->reason) : h->message != NULL ?
            report_last_line(h->message) : xstrdup(status_name(h->status));
        gh_text(f, text, 0);
        free(text);
        fputc('\n', f);
    }
}

static void
cell(FILE *f, int64_t v, int width)
{
    if (v == COUNTER_NONE) {
        fprintf(f, " %*s", width, "-");
    } else {
        fprintf(f, " %*" PRId64, width, v);
    }
}

/* -v: every round's counters and its growth over the round before. */
static void
table(const struct result *h, FILE *f)
{
    const struct settings *st = h->settings;
    const struct round *r, *prev;
    int i, m, first = 1;

    fprintf(f, "round            %12s %8s %12s %8s %6s %6s %12s %8s\n",
        "refs", "+refs", "blocks", "+blocks", "fds", "+fds", "objects",
        "+objects");
    for (i = 0; i < h->started; i++) {
        r = &h->rounds[i];
        prev = i > 0 ? &h->rounds[i - 1] : NULL;
        fprintf(f, "%3d %-12s", i + 1, !r->measured ? phase_name(r->phase) :
            i < st->warmups ? "warm-up" : "tracked");
        for (m = 0; m < METRIC_COUNT; m++) {
            int64_t v = r->measured ? r->counter[m] : COUNTER_NONE, d =
                COUNTER_NONE;

            if (prev != NULL && prev->measured && r->measured &&
                v != COUNTER_NONE && prev->counter[m] != COUNTER_NONE) {
                d = v - prev->counter[m];
            }
            cell(f, v, m == METRIC_FDS ? 6 : 12);
            cell(f, d, m == METRIC_FDS ? 6 : 8);
        }
        fputc('\n', f);
    }
    if (h->calibrated) {
        fprintf(f, "calibration: an empty round changes");
        for (m = 0; m < METRIC_COUNT; m++) {
            if (h->calibration[m] != COUNTER_NONE) {
                fprintf(f, "%s %s by %+" PRId64, first ? "" : ",",
                    metric_key(m), h->calibration[m]);
                first = 0;
            }
        }
        fprintf(f, "; subtracted from the deltas\n");
    }
}

void
report_message(const char *message, FILE *f)
{
    if (message != NULL && strchr(message, '\n') != NULL) {
        fprintf(f, "%s%s", message,
            message[strlen(message) - 1] == '\n' ? "" : "\n");
    }
}

/* The last non-empty line of a text. */
char *
report_last_line(const char *text)
{
    const char *end, *start;

    if (text == NULL) {
        return xstrdup("");
    }
    end = text + strlen(text);

    while (end > text && (end[-1] == '\n' || end[-1] == ' ')) {
        end--;
    }
    for (start = end; start > text && start[-1] != '\n'; start--) {
        ;
    }
    return xasprintf("%.*s", (int)(end - start), start);
}

/* The counters this build measures, for the verdict line. */
static void
measured(const struct result *h, FILE *f)
{
    const struct settings *st = h->settings;

    fprintf(f, " (%s mode, %d warm-up%s + %d tracked round%s", mode_name(st->mode),
        st->warmups, st->warmups == 1 ? "" : "s", st->tracked,
        st->tracked == 1 ? "" : "s");
    if (h->python.version != NULL) {
        fprintf(f, "; Python %s %s", h->python.version,
            python_build(&h->python));
        if (!h->python.refs_available) {
            fprintf(f, ": blocks%s and fds only, references need a debug "
                "build", counted(h, METRIC_OBJECTS) ? ", objects" : "");
        } else if (h->ndeltas > 0 && (!counted(h, METRIC_BLOCKS) ||
            !counted(h, METRIC_FDS))) {
            fprintf(f, ": %s were not counted", !counted(h, METRIC_FDS) ?
                counted(h, METRIC_BLOCKS) ? "fds" : "blocks and fds" :
                "blocks");
        }
    }
    if (h->calibrated) {
        fprintf(f, "; calibrated");
    }
    fprintf(f, ")\n");
}

/* The frames of an allocation site, one a line, indented. */
static void
site_lines(FILE *f, const char *where)
{
    const char *p;

    fputs("    ", f);
    for (p = where; *p != '\0'; p++) {
        fputs(*p == '\n' ? "\n    " : (char[2]){ *p, '\0' }, f);
    }
    fputc('\n', f);
}

/* Shown in the text per site; JSON has them all. */
#define TYPES_SHOWN 3

/* A site's trace in tracked round i, or NULL. */
static const struct trace *
site_in_round(const struct result *h, int i, const char *where)
{
    int j;

    for (j = 0; j < h->rounds[i].ntrace; j++) {
        if (strcmp(where, h->rounds[i].trace[j].where) == 0) {
            return &h->rounds[i].trace[j];
        }
    }
    return NULL;
}

/* 3.13+: " (objects: list [1, 1, 1], ...)", the types of the live objects
 * in a site's blocks per tracked round, in the order the worker sent. */
static void
site_types(const struct result *h, const char *where, FILE *f)
{
    const struct trace *t;
    const char **names = NULL;
    int nnames = 0, i, j, k;

    for (i = h->settings->warmups; i < h->started; i++) {
        if ((t = site_in_round(h, i, where)) == NULL) {
            continue;
        }
        for (j = 0; j < t->ntypes; j++) {
            for (k = 0; k < nnames && strcmp(names[k], t->types[j].type) != 0;
                k++) {
                ;
            }
            if (k == nnames) {
                names = xreallocarray(names, (size_t)nnames + 1,
                    sizeof *names);
                names[nnames++] = t->types[j].type;
            }
        }
    }
    for (k = 0; k < nnames && k < TYPES_SHOWN; k++) {
        const char *sep = "";

        fprintf(f, "%s%s [", k == 0 ? " (objects: " : ", ", names[k]);
        for (i = h->settings->warmups; i < h->started; i++) {
            int64_t count = 0;

            t = site_in_round(h, i, where);
            for (j = 0; t != NULL && j < t->ntypes; j++) {
                if (strcmp(t->types[j].type, names[k]) == 0) {
                    count = t->types[j].count;
                }
            }
            fprintf(f, "%s%" PRId64, sep, count);
            sep = ", ";
        }
        fputc(']', f);
    }
    if (nnames > TYPES_SHOWN) {
        fprintf(f, " and %d more types", nnames - TYPES_SHOWN);
    }
    if (nnames > 0) {
        fputc(')', f);
    }
    free(names);
}

/* --trace-blocks: each site once, with what it kept in every tracked
 * round (--per-test: run). */
void
report_kept_blocks(const struct result *h, FILE *f)
{
    const struct settings *st = h->settings;
    const char **sites = NULL;
    int nsites = 0, i, j, k;

    if (!result_sites_shown(h)) {
        return;
    }
    for (i = st->warmups; i < h->started; i++) {
        for (j = 0; j < h->rounds[i].ntrace; j++) {
            for (k = 0; k < nsites; k++) {
                if (strcmp(sites[k], h->rounds[i].trace[j].where) == 0) {
                    break;
                }
            }
            if (k == nsites) {
                sites = xreallocarray(sites, (size_t)nsites + 1,
                    sizeof *sites);
                sites[nsites++] = h->rounds[i].trace[j].where;
            }
        }
    }
    if (nsites > 0) {
        fprintf(f, "the tracked rounds kept blocks allocated at (newest "
            "frame first, the target's before the library's):\n");
    }
    for (k = 0; k < nsites; k++) {
        const char *sep = "";

        fputs("  [", f);
        for (i = st->warmups; i < h->started; i++) {
            int64_t count = 0;

            for (j = 0; j < h->rounds[i].ntrace; j++) {
                if (strcmp(sites[k], h->rounds[i].trace[j].where) == 0) {
                    count = h->rounds[i].trace[j].count;
                }
            }
            fprintf(f, "%s%" PRId64, sep, count);
            sep = ", ";
        }
        fputs("] blocks", f);
        site_types(h, sites[k], f);
        fputs(":\n", f);
        site_lines(f, sites[k]);
    }
    free(sites);
}

/* --show-growth, for the tracked rounds; and why it may find nothing. */
static void
what_grew(const struct result *h, FILE *f)
{
    const struct round *r;
    int i, j, grew = 0;

    for (i = h->settings->warmups; i < h->started; i++) {
        r = &h->rounds[i];
        if (r->ngrowth > 0) {
            grew = 1;
            fprintf(f, "round %d grew:", i + 1);
            for (j = 0; j < r->ngrowth; j++) {
                fprintf(f, "%s %s +%" PRId64 " (%" PRId64 ")", j > 0 ? "," :
                    "", r->growth[j].type, r->growth[j].delta,
                    r->growth[j].count);
            }
            fputc('\n', f);
        }
    }
    if (h->settings->show_growth && !grew && h->status == STATUS_LEAK &&
        h->settings->mode == MODE_LOOP) {
        fprintf(f, "--show-growth: no type whose objects the GC tracks "
            "grew: what leaks is objects it does not track (int, str, bytes, "
            "bytearray, object()) or memory kept in C; --explain follows "
            "the untracked objects that others hold, --trace-blocks shows "
            "where the blocks were allocated\n");
    } else if (h->settings->show_growth && !grew &&
        h->status == STATUS_LEAK) {
        fprintf(f, "--show-growth: no type grew inside the %s: what leaks in "
            "%s mode outlives it, where a new interpreter's GC does not see "
            "it; --mode loop counts the objects that stay\n",
            h->settings->mode == MODE_REINIT ? "interpreter" :
            "subinterpreter", mode_name(h->settings->mode));
    }
    report_kept_blocks(h, f);
}

void
report_explained(const struct result *h, FILE *f)
{
    const struct explained *e;
    int i;

    if (!h->settings->explain || !h->explain_done) {
        return;
    }
    if (h->nexplained == 0) {
        fprintf(f, "--explain: %s (computed after the last tracked run, "
            "%.1f s; %s)\n", strcmp(h->explain_note, "complete") == 0 ?
            "the last tracked run left no new object of a type that grew "
            "that an object the GC tracks holds" : "nothing explained",
            (double)h->explain_ms / 1000, h->explain_note);
        if (h->status == STATUS_LEAK) {
            fprintf(f, "  what leaked is out of its view: objects the GC "
                "does not track (int, str, bytes, object()) kept by C code "
                "(a static, a leaked Py_INCREF), or memory kept inside an "
                "object; --trace-blocks shows where the blocks were "
                "allocated\n");
        }
        return;
    }
    fprintf(f, "what holds %d object%s the last tracked run left behind "
        "(computed after it, %.1f s; %s):\n", h->nexplained,
        h->nexplained == 1 ? "" : "s", (double)h->explain_ms / 1000,
        h->explain_note);
    for (i = 0; i < h->nexplained; i++) {
        e = &h->explained[i];
        fprintf(f, "  %s\n", e->object);
        if (e->chain != NULL) {
            fprintf(f, "    chain: %s\n", e->chain);
        } else {
            fprintf(f, "    no chain from a root (module globals, class "
                "attribute, frame, sys.modules)\n");
        }
        if (e->outside > 0) {
            fprintf(f, "    %" PRId64 " reference%s held outside the GC's "
                "view (a C static, a struct member without tp_traverse, or "
                "a leaked Py_INCREF)\n", e->outside, e->outside == 1 ? "" :
                "s");
        }
        if (e->cycle != NULL) {
            fprintf(f, "    cycle: %s\n", e->cycle);
        }
        if (e->cache != NULL) {
            fprintf(f, "    through a known cache: %s\n", e->cache);
        }
    }
}

/* Where the share's rounds ran: "after the hunt's", or "in place of
 * warm-up 3" (importshare.c). */
static void
share_rounds_said(const struct result *h, FILE *f)
{
    fprintf(f, "%d round%s importing only them, ", h->nimport_deltas,
        h->nimport_deltas == 1 ? "" : "s");
    if (h->import_share_round > 0) {
        fprintf(f, "in place of warm-up %d", h->import_share_round);
    } else {
        fputs("after the hunt's", f);
    }
}

/* A reinit leak's import-time share (importshare.c), under its line. */
static void
import_share(const struct result *h, enum metric m, FILE *f)
{
    const int64_t *d = h->import_deltas[m];
    int i;

    if (d == NULL || d[0] == COUNTER_NONE) {
        return;
    }
    /* the share's rounds are fewer than the hunt's: said */
    if (!verdict_leaks(m, d, h->nimport_deltas)) {
        fputs("  none of which comes from importing its modules alone (", f);
        share_rounds_said(h, f);
        fputs("): the leak is in its own code\n", f);
        return;
    }
    fprintf(f, "  of which [");
    for (i = 0; i < h->nimport_deltas; i++) {
        fprintf(f, "%s%" PRId64, i > 0 ? ", " : "", d[i]);
    }
    fprintf(f, "] %s come from importing its modules alone (",
        metric_noun(m));
    share_rounds_said(h, f);
    fputs("; --bisect imports names them)\n", f);
}

/* Names at most this many untrusted modules in the text; JSON has all. */
#define UNTRUSTED_SHOWN 4

/* Why refs did not decide, with their deltas all the same. */
void
report_untrusted_refs(const struct result *h, FILE *f)
{
    int i;

    text_put_name(h->name, f);
    fprintf(f, ": references [");
    for (i = 0; i < h->ndeltas; i++) {
        fprintf(f, "%s%" PRId64, i > 0 ? ", " : "", h->deltas[METRIC_REFS][i]);
    }
    fprintf(f, "] not trusted: ");
    for (i = 0; i < h->nuntrusted && i < UNTRUSTED_SHOWN; i++) {
        fprintf(f, "%s%s", i > 0 ? ", " : "", h->untrusted[i]);
    }
    if (h->nuntrusted > UNTRUSTED_SHOWN) {
        fprintf(f, " and %d more", h->nuntrusted - UNTRUSTED_SHOWN);
    }
    fprintf(f, ", not built for a debug interpreter, %s the total with "
        "inline reference counting; %s (--trust-refs: references too)\n",
        h->nuntrusted > 1 ? "bypass" : "bypasses",
        counted(h, METRIC_BLOCKS) && counted(h, METRIC_FDS) ?
        "blocks and fds decide" : counted(h, METRIC_BLOCKS) ?
        "blocks decide" : counted(h, METRIC_FDS) ? "fds decide" :
        "nothing else is counted");
}

/* The verdict's words when refs did not decide: it is not about them,
 * and names only the counters that did. no_leak: the verdict so far is
 * "clean, no leak". */
static void
unjudged(const struct result *h, int no_leak, FILE *f)
{
    int blocks = counted(h, METRIC_BLOCKS), fds = counted(h, METRIC_FDS);

    if (!h->refs_untrusted) {
        return;
    }
    if (no_leak && (blocks || fds)) {
        fprintf(f, " of %s%s%s", blocks ? metric_noun(METRIC_BLOCKS) : "",
            blocks && fds ? " or " : "", fds ? metric_noun(METRIC_FDS) : "");
    }
    fprintf(f, "; references not judged%s%s", h->refs_unjudged ?
        " (by the rule they leak)" : "", blocks || fds ? "" :
        ", and nothing else was counted");
}

void
report_text(const struct result *h, FILE *f)
{
    const struct settings *st = h->settings;
    char *line;
    int m, first = 1;

    if (st->verbose) {
        table(h, f);
    }
    what_grew(h, f);
    if (h->refs_untrusted && h->ndeltas > 0) {
        report_untrusted_refs(h, f);
    }
    report_explained(h, f);
    for (m = 0; m < METRIC_COUNT; m++) {
        if (h->leaked[m] && h->allowed[m] == 0) {
            report_leak_line(h, m, f);
            import_share(h, m, f);
        } else if (h->leaked[m] || h->known[m] > 0) {
            report_leak_line_baseline(h, m, f);
        }
    }
    if (h->import_share_lost != NULL) {
        /* the hunt's own rounds were all in before the share's */
        fprintf(f, "  how much of it comes from importing its modules "
            "alone is not known: the import share after the hunt's "
            "rounds failed (%.*s)\n",
            (int)strcspn(h->import_share_lost, "\n"), h->import_share_lost);
    }
    fputs("refhunt: ", f);
    text_put_name(h->name, f);
    fprintf(f, ": %s%s%s", color_of(h->status), status_name(h->status),
        color_end());
    switch (h->status) {
    case STATUS_CLEAN:
        for (m = 0; m < METRIC_COUNT; m++) {
            if (h->known[m] > 0) {
                fprintf(f, "%s%s", first ? ", known leaks only: " : ", ",
                    metric_noun(m));
                first = 0;
            }
        }
        if (first) {
            fprintf(f, ", no leak");
        } else {
            fprintf(f, " within the baseline");
        }
        unjudged(h, first, f);
        break;
    case STATUS_LEAK:
        for (m = 0; m < METRIC_COUNT; m++) {
            if (h->leaked[m]) {
                fprintf(f, "%s%s", first ? " of " : ", ", metric_noun(m));
                first = 0;
            }
        }
        unjudged(h, 0, f);
        break;
    default:
        if (h->fail_round > 0) {
            fprintf(f, " in round %d, phase %s", h->fail_round,
                phase_name(h->fail_phase));
        } else if (h->calibrating) {
            fprintf(f, " in a calibration round, phase %s",
                phase_name(h->fail_phase));
        }
        /* The reason, or a target's failure: its traceback's last line. */
        if (h->reason != NULL) {
            fprintf(f, ": %s", h->reason);
        } else if (h->message != NULL) {
            line = report_last_line(h->message);
            fprintf(f, ": %s", line);
            free(line);
        }
        break;
    }
    measured(h, f);
    if (h->note != NULL) {
        fprintf(f, "refhunt: %s\n", h->note);
    }
    /* The whole message where stderr did not show it already: the
     * target's is captured with -q, refhunt's own setup errors are not
     * on it. */
    if (h->status >= STATUS_FAILED && (st->quiet ||
        h->status == STATUS_ERROR)) {
        report_message(h->message, f);
    }
    if (h->status >= STATUS_FAILED && h->ndeltas > 0) {
        fprintf(f, "refhunt: %d of %d tracked rounds finished before that; "
            "see -v or --json\n", h->ndeltas, st->tracked);
    }
}
