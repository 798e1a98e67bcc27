/* baseline.c: known leaks, accepted so that CI fails only on new ones. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "xmalloc.h"

struct entry {
    enum metric     metric;
    int64_t         max;
    char           *target;
    char           *key;            /* baseline_key(target) */
    int             mode;           /* -1: any */
    int             line;
    int             used;
};

struct baseline {
    struct entry   *entries;
    int             n;
};

static int
parse_metric(const char *s, size_t len, enum metric *out)
{
    enum metric m;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (strlen(metric_key(m)) == len &&
            strncmp(s, metric_key(m), len) == 0) {
            *out = m;
            return 0;
        }
    }
    return -1;
}

/* "mode MODE": the mode of the entries after it; 0, -1, or 1: no such line. */
static int
parse_mode(const char *p, int *mode, const char **why)
{
    size_t len = strcspn(p, " \t");
    enum mode m;

    if (len != 4 || strncmp(p, "mode", 4) != 0) {
        return 1;
    }
    p += len + strspn(p + len, " \t");
    for (m = MODE_REINIT; m <= MODE_LOOP; m++) {
        len = strlen(mode_name(m));
        if (strncmp(p, mode_name(m), len) == 0 &&
            p[len + strspn(p + len, " \t\r")] == '\0') {
            *mode = (int)m;
            return 0;
        }
    }
    *why = "the mode is not reinit, subinterp or loop";
    return -1;
}

/* Whether s begins with \xHH. */
static int
escape_at(const char *s)
{
    return s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
        isxdigit((unsigned char)s[3]);
}

/* The line "names escaped", which refhunt writes: the TARGETs after it
 * are escaped (see unescape). 0, or 1: no such line. */
static int
parse_escaped(const char *p, int *escaped)
{
    static const char word[] = "names escaped";
    size_t n = strlen(word);

    if (strncmp(p, word, n) != 0) {
        return 1;
    }
    for (p += n; *p == ' ' || *p == '\t' || *p == '\r'; p++) {
        ;
    }
    if (*p != '\0') {
        return 1;
    }
    *escaped = 1;
    return 0;
}

/* s with each \xHH as that byte, in place (any other backslash is
 * itself: target names such as $'a\nb' have them). */
static void
unescape(char *s)
{
    char *o = s, hex[3] = { 0, 0, 0 };

    while (*s != '\0') {
        if (escape_at(s)) {
            memcpy(hex, s + 2, 2);
            *o++ = (char)strtol(hex, NULL, 16);
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

/* Writes name as a TARGET that reads back as it is: control bytes,
 * blanks at either end (a line is trimmed) and a backslash that begins
 * \xHH, as \xHH. */
static void
write_escaped(FILE *f, const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t len = strlen(name), i;

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || escape_at(name + i) ||
            ((p[i] == ' ' || p[i] == '\t') && (i == 0 || i == len - 1))) {
            fprintf(f, "\\x%02x", p[i]);
        } else {
            fputc(p[i], f);
        }
    }
}

/* One line, without its newline; 0, -1 with *why, or 1 for nothing.
 * *escaped: a "names escaped" line came before. */
static int
parse_line(char *line, struct entry *e, int *mode, int *escaped,
    const char **why)
{
    char *p = line, *end;
    size_t len;
    long long max;
    int rc;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p == '\0' || *p == '#') {
        return 1;
    }
    if ((rc = parse_mode(p, mode, why)) <= 0) {
        return rc < 0 ? -1 : 1;
    }
    if (parse_escaped(p, escaped) == 0) {
        return 1;
    }
    len = strcspn(p, " \t");
    if (parse_metric(p, len, &e->metric) != 0) {
        *why = "the metric is not refs, blocks or fds (nor the word mode)";
        return -1;
    }
    p += len;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    errno = 0;
    max = strtoll(p, &end, 10);
    if (end == p || (*end != ' ' && *end != '\t') || errno == ERANGE ||
        max < 1) {
        *why = "MAX is not a whole number of at least 1";
        return -1;
    }
    p = end;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    len = strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
        p[len - 1] == '\r')) {
        p[--len] = '\0';
    }
    if (len == 0) {
        *why = "no target after MAX";
        return -1;
    }
    e->max = max;
    e->target = xstrdup(p);
    if (*escaped) {
        unescape(e->target);
    }
    e->key = baseline_key(e->target);
    e->mode = *mode;
    e->used = 0;
    return 0;
}

struct baseline *
baseline_read(const char *path, char **cause)
{
    struct baseline *b;
    struct entry e;
    FILE *f = fopen(path, "r");
    const char *why = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc, mode = -1, escaped = 0;

    if (f == NULL) {
        *cause = xasprintf("--baseline %s: %s", path, strerror(errno));
        return NULL;
    }
    b = xcalloc(1, sizeof *b);
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n') {
            line[n - 1] = '\0';
        }
        if (strlen(line) != (size_t)(n > 0 && line[n - 1] == '\0' ? n - 1 :
            n)) {
            why = "a NUL byte in the line";
            rc = -1;
        } else {
            rc = parse_line(line, &e, &mode, &escaped, &why);
            e.line = lineno;
        }
        if (rc < 0) {
            *cause = xasprintf("--baseline %s:%d: %s (expected 'METRIC MAX "
                "TARGET', e.g. 'refs 12 tests/test_x.py')", path, lineno, why);
            free(line);
            fclose(f);
            baseline_free(b);
            return NULL;
        }
        if (rc == 0) {
            b->entries = xreallocarray(b->entries, (size_t)b->n + 1,
                sizeof *b->entries);
            b->entries[b->n++] = e;
        }
    }
    free(line);
    if (ferror(f)) {
        *cause = xasprintf("--baseline %s: cannot read", path);
        fclose(f);
        baseline_free(b);
        return NULL;
    }
    fclose(f);
    return b;
}

void
baseline_free(struct baseline *b)
{
    int i;

    if (b == NULL) {
        return;
    }
    for (i = 0; i < b->n; i++) {
        free(b->entries[i].target);
        free(b->entries[i].key);
    }
    free(b->entries);
    free(b);
}

/* A word as a baseline means it: a Python file's path is its module (a
 * path whose names have dots, as a.b.py, names no module: it stays), a
 * node id's "::" a dot. */
static void
key_word(FILE *f, const char *w, size_t len)
{
    size_t path = len, i;
    const char *sep;

    if ((sep = strstr(w, "::")) != NULL && (size_t)(sep - w) < len) {
        path = (size_t)(sep - w);
    }
    while (path > 5 && strncmp(w, "./", 2) == 0 &&
        strncmp(w + path - 3, ".py", 3) == 0) {
        w += 2;
        len -= 2;
        path -= 2;
    }
    if (path > 3 && strncmp(w + path - 3, ".py", 3) == 0 &&
        memchr(w, '[', path) == NULL && memchr(w, '.', path - 3) == NULL) {
        for (i = 0; i < path - 3; i++) {
            fputc(w[i] == '/' ? '.' : w[i], f);
        }
    } else {
        fwrite(w, 1, path, f);
    }
    for (i = path; i < len; i++) {
        if (strncmp(w + i, "::", 2) == 0) {
            fputc('.', f);
            i++;
        } else {
            fputc(w[i], f);
        }
    }
}

char *
baseline_key(const char *name)
{
    char *key = NULL;
    size_t size = 0, len;
    FILE *f = open_memstream(&key, &size);

    if (f == NULL) {
        fatal("open_memstream");
    }
    while (*name != '\0') {
        len = strcspn(name, " \t");
        key_word(f, name, len);
        name += len;
        if (*name != '\0') {
            name += strspn(name, " \t");
            fputc(' ', f);
        }
    }
    fclose(f);
    return key;
}

int64_t
baseline_allowance(struct baseline *b, const char *target, enum metric m,
    enum mode mode)
{
    char *key = baseline_key(target);
    int64_t max = -1;
    int i;

    for (i = 0; b != NULL && i < b->n; i++) {
        struct entry *e = &b->entries[i];

        if (e->metric == m && (e->mode < 0 || e->mode == (int)mode) &&
            strcmp(e->key, key) == 0) {
            e->used = 1;
            max = e->max;
            break;
        }
    }
    free(key);
    return max;
}

/* How far a delta is from none: fds leak in either direction (a target
 * that closes one more a round), refs and blocks only upwards. */
static int64_t
magnitude(int64_t delta)
{
    return delta < 0 ? -delta : delta;
}

/* The name a baseline gives the hunt: its name, with the whole code of
 * -c (two programs that begin alike are two targets). */
static char *
entry_name(const struct hunt *h)
{
    return h->settings->kind == TARGET_CODE ? target_name(h->settings, 2) :
        xstrdup(h->name);
}

void
baseline_apply(struct baseline *b, struct hunt *h)
{
    char *old_name = target_name(h->settings, 0), *name = entry_name(h);
    int64_t allowed;
    int i, m, left = 0, within;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (!h->leaked[m]) {
            continue;
        }
        allowed = baseline_allowance(b, name, (enum metric)m,
            h->settings->mode);
        if (allowed < 0) {      /* written with -c code shortened */
            allowed = baseline_allowance(b, h->name, (enum metric)m,
                h->settings->mode);
        }
        if (allowed < 0) {      /* written before names were quoted */
            allowed = baseline_allowance(b, old_name, (enum metric)m,
                h->settings->mode);
        }
        within = allowed >= 0;
        for (i = 0; within && i < h->ndeltas; i++) {
            within = magnitude(h->deltas[m][i]) <= allowed;
        }
        if (allowed >= 0) {
            h->allowed[m] = allowed;
        }
        if (within) {
            h->leaked[m] = 0;
            h->known[m] = allowed;
        }
        left += h->leaked[m];
    }
    if (h->status == STATUS_LEAK && left == 0) {
        h->status = STATUS_CLEAN;
    }
    free(old_name);
    free(name);
}

void
baseline_unmatched(const struct baseline *b, const char *path, FILE *f)
{
    const struct entry *e;
    int i;

    for (i = 0; b != NULL && i < b->n; i++) {
        e = &b->entries[i];
        if (!e->used) {
            fprintf(f, "refhunt: --baseline %s:%d: '%s %" PRId64 " ", path,
                e->line, metric_key(e->metric), e->max);
            write_escaped(f, e->target);
            fprintf(f, "' matched no leak of this run%s%s%s\n",
                e->mode >= 0 ? " (an entry for " : "",
                e->mode >= 0 ? mode_name((enum mode)e->mode) : "",
                e->mode >= 0 ? " mode)" : "");
        }
    }
}

void
baseline_write(FILE *f, const struct hunt *h)
{
    int64_t max;
    char *name = entry_name(h);
    int i, m;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (!h->leaked[m] && h->known[m] == 0) {
            continue;
        }
        max = 1;        /* at least 1, as baseline_read wants */
        for (i = 0; i < h->ndeltas; i++) {
            if (magnitude(h->deltas[m][i]) > max) {
                max = magnitude(h->deltas[m][i]);
            }
        }
        if (h->known[m] > max) {
            max = h->known[m];
        }
        fprintf(f, "%s %" PRId64 " ", metric_key(m), max);
        write_escaped(f, name);
        fputc('\n', f);
    }
    free(name);
}

void
baseline_claim(struct baseline *b, const char *name)
{
    char *key = baseline_key(name);
    int i;

    for (i = 0; b != NULL && i < b->n; i++) {
        if (strcmp(b->entries[i].key, key) == 0) {
            b->entries[i].used = 1;
        }
    }
    free(key);
}

void
baseline_write_all(FILE *f, struct hunt *const *hunts, int n)
{
    int i;

    fprintf(f, "# refhunt baseline: METRIC MAX TARGET a line\n");
    fprintf(f, "names escaped\n");     /* \\ and \xHH in TARGET */
    if (n > 0) {
        /* the entries are for hunts in this mode */
        fprintf(f, "mode %s\n", mode_name(hunts[0]->settings->mode));
    }
    for (i = 0; i < n; i++) {
        baseline_write(f, hunts[i]);
    }
}
