/* json.c: the pieces of refhunt's JSON reports. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
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

/* Bytes that are not UTF-8 (a path, a target's output) become U+FFFD, so
 * that the JSON stays valid. */
static char *
utf8_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out, *o;
    int n, i;

    if (s == NULL) {
        return NULL;
    }
    out = o = xmalloc(strlen(s) * 3 + 1);
    while (*p != '\0') {
        n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2 :
            (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 4 :
            0;
        for (i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                n = 0;
                break;
            }
        }
        if (n == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
            continue;
        }
        memcpy(o, p, (size_t)n);
        o += n;
        p += n;
    }
    *o = '\0';
    return out;
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
json_leaks(FILE *f, const struct hunt *h)
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
json_deltas(FILE *f, const struct hunt *h)
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
json_refs_trust(FILE *f, const struct hunt *h)
{
    int i;

    fprintf(f, "\"refs_trusted\": %s, \"untrusted_refs\": [",
        h->refs_untrusted ? "false" : "true");
    for (i = 0; i < h->untrusted.n; i++) {
        fputs(i > 0 ? ", " : "", f);
        json_text(f, h->untrusted.name[i]);
    }
    fputc(']', f);
}
