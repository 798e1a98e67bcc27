/* json.c: refhunt's JSON reports, and their pieces. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "xmalloc.h"

static void
json_string(FILE *f, const char *s)
{
    const unsigned char *p;

    if (s == NULL) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}

void
json_text(FILE *f, const char *s)
{
    char *clean = utf8_clean(s);

    json_string(f, clean);
    free(clean);
}

/* A text's lines as a JSON list of strings. */
void
json_lines(FILE *f, const char *text)
{
    char *copy = xstrdup(text), *line, *save = NULL;
    int first = 1;

    fputc('[', f);
    for (line = strtok_r(copy, "\n", &save); line != NULL;
        line = strtok_r(NULL, "\n", &save)) {
        fputs(first ? "" : ", ", f);
        json_text(f, line);
        first = 0;
    }
    fputc(']', f);
    free(copy);
}

void
json_number(FILE *f, int64_t v)
{
    if (v == COUNTER_NONE) {
        fputs("null", f);
    } else {
        fprintf(f, "%" PRId64, v);
    }
}

void
json_counters(FILE *f, const int64_t *c)
{
    int m;

    fputc('{', f);
    for (m = 0; m < METRIC_COUNT; m++) {
        fprintf(f, "%s\"%s\": ", m > 0 ? ", " : "", metric_key(m));
        json_number(f, c[m]);
    }
    fputc('}', f);
}

void
json_leaks(FILE *f, const struct result *h)
{
    int m, first = 1;

    fputc('[', f);
    for (m = 0; m < METRIC_COUNT; m++) {
        if (h->leaked[m]) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", metric_key(m));
            first = 0;
        }
    }
    fputc(']', f);
}

void
json_deltas(FILE *f, const struct result *h)
{
    int i, m;

    fputc('{', f);
    for (m = 0; m < METRIC_COUNT; m++) {
        fprintf(f, "%s\"%s\": ", m > 0 ? ", " : "", metric_key(m));
        if ((m == METRIC_REFS && !h->python.refs_available) ||
            (h->ndeltas > 0 && h->deltas[m][0] == COUNTER_NONE)) {
            fputs("null", f);
            continue;
        }
        fputc('[', f);
        for (i = 0; i < h->ndeltas; i++) {
            fprintf(f, "%s%" PRId64, i > 0 ? ", " : "", h->deltas[m][i]);
        }
        fputc(']', f);
    }
    fputc('}', f);
}

void
json_refs_trust(FILE *f, const struct result *h)
{
    int i;

    fprintf(f, "\"refs_trusted\": %s, \"refs_unjudged_leak\": %s, "
        "\"untrusted_refs\": [", h->refs_untrusted ? "false" : "true",
        h->refs_unjudged ? "true" : "false");
    for (i = 0; i < h->nuntrusted; i++) {
        fputs(i > 0 ? ", " : "", f);
        json_text(f, h->untrusted[i]);
    }
    fputc(']', f);
}

void
json_explain(FILE *f, const struct result *h)
{
    const struct explained *e;
    int i;

    if (!h->explain_done) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"after_round\": %d, \"seconds\": %.3f, \"note\": ",
        h->nrounds, (double)h->explain_ms / 1000);
    json_text(f, h->explain_note);
    fputs(", \"objects\": [", f);
    for (i = 0; i < h->nexplained; i++) {
        e = &h->explained[i];
        fprintf(f, "%s\n    {\"object\": ", i > 0 ? "," : "");
        json_text(f, e->object);
        fprintf(f, ", \"outside_gc\": %" PRId64 ", \"chain\": ", e->outside);
        json_text(f, e->chain);
        fputs(", \"cycle\": ", f);
        json_text(f, e->cycle);
        fputs(", \"cache\": ", f);
        json_text(f, e->cache);
        fputc('}', f);
    }
    fputs("]}", f);
}

void
json_python(FILE *f, const struct python_info *py)
{
    fprintf(f, "{\"version\": ");
    json_text(f, py->version);
    fprintf(f, ", \"debug\": %s, \"free_threaded\": %s, "
        "\"refs_available\": %s, \"blocks_source\": ",
        py->debug ? "true" : "false", py->free_threaded ? "true" : "false",
        py->refs_available ? "true" : "false");
    json_text(f, py->blocks_source);
    fputc('}', f);
}

void
json_known(FILE *f, const struct result *h)
{
    int m, more = 0;

    fputc('{', f);
    for (m = 0; m < METRIC_COUNT; m++) {
        if (h->known[m] > 0) {
            fprintf(f, "%s\"%s\": %" PRId64, more ? ", " : "",
                metric_key((enum metric)m), h->known[m]);
            more = 1;
        }
    }
    fputc('}', f);
}

void
json_argv(FILE *f, const struct settings *st)
{
    int i;

    fputc('[', f);
    json_text(f, st->target);
    for (i = 0; i < st->nargs; i++) {
        fputs(", ", f);
        json_text(f, st->args[i]);
    }
    fputc(']', f);
}

/* --trace-blocks: a site's finding, "{...}" (run: --per-test's, 0 for
 * none). */
static void
json_trace(FILE *f, const struct trace *t, int run)
{
    int k;

    fputc('{', f);
    if (run > 0) {
        fprintf(f, "\"run\": %d, ", run);
    }
    fprintf(f, "\"count\": %" PRId64 ", \"size\": %" PRId64
        ", \"traceback\": ", t->count, t->size);
    json_lines(f, t->where);
    fputs(", \"types\": [", f);
    for (k = 0; k < t->ntypes; k++) {
        fprintf(f, "%s{\"type\": ", k > 0 ? ", " : "");
        json_text(f, t->types[k].type);
        fprintf(f, ", \"count\": %" PRId64 "}", t->types[k].count);
    }
    fputs("]}", f);
}

void
json_test_trace(FILE *f, const struct result *t)
{
    int i, j, more = 0;

    fputc('[', f);
    for (i = t->settings->warmups; i < t->started; i++) {
        for (j = 0; j < t->rounds[i].ntrace; j++) {
            fputs(more++ ? ", " : "", f);
            json_trace(f, &t->rounds[i].trace[j], i + 1);
        }
    }
    fputc(']', f);
}

/* A round's --show-growth and --trace-blocks findings, if any. */
static void
json_round_extras(FILE *f, const struct round *r, int sites)
{
    int j;

    if (r->ngrowth > 0) {
        fputs(", \"growth\": [", f);
        for (j = 0; j < r->ngrowth; j++) {
            fprintf(f, "%s{\"type\": ", j > 0 ? ", " : "");
            json_text(f, r->growth[j].type);
            fprintf(f, ", \"count\": %" PRId64 ", \"delta\": %" PRId64 "}",
                r->growth[j].count, r->growth[j].delta);
        }
        fputc(']', f);
    }
    if (sites && r->ntrace > 0) {
        fputs(", \"trace\": [", f);
        for (j = 0; j < r->ntrace; j++) {
            fputs(j > 0 ? ", " : "", f);
            json_trace(f, &r->trace[j], 0);
        }
        fputc(']', f);
    }
}

static const char *
round_status(const struct result *h, int i)
{
    if (h->rounds[i].measured) {
        return "ok";
    }
    return h->status >= STATUS_FAILED ? status_name(h->status) : "unfinished";
}

/* What the hunt was, and what it came to. */
static void
json_verdict(const struct result *h, FILE *f)
{
    const struct settings *st = h->settings;

    fprintf(f, "{\n  \"target\": ");
    json_text(f, h->name);
    fprintf(f, ",\n  \"kind\": \"%s\"", st->kind == TARGET_SCRIPT ? "script" :
        st->kind == TARGET_MODULE ? "module" : "code");
    fprintf(f, ",\n  \"argv\": ");
    json_argv(f, st);
    fprintf(f, ",\n  \"status\": \"%s\",\n  \"exit_status\": %d",
        status_name(h->status), h->exit_status);
    fprintf(f, ",\n  \"leaks\": ");
    json_leaks(f, h);
    fprintf(f, ",\n  \"known\": ");
    json_known(f, h);
    fprintf(f, ",\n  \"seconds\": %.3f", h->seconds);
}

/* The tracked deltas, its imports' alone, and whether refs decided. */
static void
json_all_deltas(const struct result *h, FILE *f)
{
    struct result share;

    fprintf(f, ",\n  \"deltas\": ");
    json_deltas(f, h);
    fprintf(f, ",\n  \"import_deltas\": ");
    if (h->import_deltas[0] != NULL) {
        share = *h;                 /* the same, with these deltas */
        memcpy(share.deltas, h->import_deltas, sizeof share.deltas);
        share.ndeltas = h->nimport_deltas;
        json_deltas(f, &share);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\n  \"import_share_round\": ");
    if (h->import_deltas[0] != NULL && h->import_share_round > 0) {
        fprintf(f, "%d", h->import_share_round);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\n  \"import_share_lost\": ");
    json_text(f, h->import_share_lost);
    fprintf(f, ",\n  ");
    json_refs_trust(f, h);
}

/* Every round begun: its counters, or null, and its findings. */
static void
json_rounds(const struct result *h, FILE *f)
{
    int i;

    fprintf(f, ",\n  \"rounds\": [");
    for (i = 0; i < h->started; i++) {
        fprintf(f, "%s\n    {\"round\": %d, \"warmup\": %s, \"status\": "
            "\"%s\", \"phase\": \"%s\", \"counters\": ", i > 0 ? "," : "",
            i + 1, i < h->settings->warmups ? "true" : "false",
            round_status(h, i), phase_name(h->rounds[i].phase));
        if (h->rounds[i].measured) {
            json_counters(f, h->rounds[i].counter);
        } else {
            fputs("null", f);
        }
        json_round_extras(f, &h->rounds[i], result_sites_shown(h));
        fputc('}', f);
    }
    fprintf(f, "%s]", h->started > 0 ? "\n  " : "");
}

/* How it was measured: the mode, the rounds, the calibration, Python. */
static void
json_measured(const struct result *h, FILE *f)
{
    const struct settings *st = h->settings;

    fprintf(f, ",\n  \"mode\": \"%s\",\n  \"warmups\": %d,\n"
        "  \"tracked\": %d,\n  \"gc_passes\": %d", mode_name(st->mode),
        st->warmups, st->tracked, st->gc_passes);
    fprintf(f, ",\n  \"calibration\": ");
    if (h->calibrated) {
        json_counters(f, h->calibration);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\n  \"python\": ");
    json_python(f, &h->python);
}

/* Where a hunt that did not end well stopped, and how its worker ended. */
static void
json_failure(const struct result *h, FILE *f)
{
    fprintf(f, ",\n  \"failure\": ");
    if (h->status < STATUS_FAILED) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"round\": %d, \"phase\": \"%s\", \"signal\": ",
        h->fail_round, phase_name(h->fail_phase));
    if (h->signal > 0) {
        json_text(f, signal_name(h->signal));
    } else {
        fputs("null", f);
    }
    fprintf(f, ", \"exit_code\": ");
    if (h->exit_code >= 0) {
        fprintf(f, "%d", h->exit_code);
    } else {
        fputs("null", f);
    }
    fputc('}', f);
}

/* One hunt's object. */
static void
json_hunt(const struct result *h, FILE *f)
{
    json_verdict(h, f);
    json_all_deltas(h, f);
    json_rounds(h, f);
    json_measured(h, f);
    json_failure(h, f);
    fprintf(f, ",\n  \"explain\": ");
    json_explain(f, h);
    fprintf(f, ",\n  \"message\": ");
    json_text(f, h->message);
    fprintf(f, ",\n  \"note\": ");
    json_text(f, h->note);
    fprintf(f, "\n}\n");
}

void
report_json_targets(FILE *f, int exit_status, int n,
    void (*one)(FILE *, int, const void *), const void *arg)
{
    int i;

    fprintf(f, "{\"exit_status\": %d, \"targets\": [", exit_status);
    for (i = 0; i < n; i++) {
        fputs(i > 0 ? ",\n" : "\n", f);
        one(f, i, arg);
    }
    fprintf(f, "]}\n");
}

/* Result i of an array, for report_json_targets(). */
static void
json_nth(FILE *f, int i, const void *results)
{
    json_hunt((const struct result *)results + i, f);
}

void
report_json(FILE *f, const struct result *results, int n, int many,
    int exit_status)
{
    if (many) {
        report_json_targets(f, exit_status, n, json_nth, results);
    } else {
        json_hunt(&results[0], f);
    }
}
