/* json.c: the pieces of refhunt's JSON reports. */
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
