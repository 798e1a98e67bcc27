/* baseline.c: known leaks, accepted so that CI fails only on new ones. */
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

/* One line, without its newline; 0, -1 with *why, or 1 for nothing. */
static int
parse_line(char *line, struct entry *e, int *mode, const char **why)
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
    e->key = baseline_key(p);
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
    int lineno = 0, rc, mode = -1;

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
            rc = parse_line(line, &e, &mode, &why);
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

/* A word as a baseline means it: a Python file's path is its module,
 * a node id's "::" a dot. */
static void
key_word(FILE *f, const char *w, size_t len)
{
    size_t path = len, i;
    const char *sep;

    if ((sep = strstr(w, "::")) != NULL && (size_t)(sep - w) < len) {
        path = (size_t)(sep - w);
    }
    if (path > 3 && strncmp(w + path - 3, ".py", 3) == 0 &&
        memchr(w, '[', path) == NULL) {
        while (path > 2 && strncmp(w, "./", 2) == 0) {
            w += 2;
            len -= 2;
            path -= 2;
        }
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

void
baseline_apply(struct baseline *b, struct hunt *h)
{
    char *old_name = target_name(h->settings, 0);
    int64_t allowed;
    int i, m, left = 0, within;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (!h->leaked[m]) {
            continue;
        }
        allowed = baseline_allowance(b, h->name, (enum metric)m,
            h->settings->mode);
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
}

void
baseline_unmatched(const struct baseline *b, const char *path, FILE *f)
{
    const struct entry *e;
    int i;

    for (i = 0; b != NULL && i < b->n; i++) {
        e = &b->entries[i];
        if (!e->used) {
            fprintf(f, "refhunt: --baseline %s:%d: '%s %" PRId64 " %s' "
                "matched no leak of this run%s%s%s\n", path, e->line,
                metric_key(e->metric), e->max, e->target,
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
        fprintf(f, "%s %" PRId64 " %s\n", metric_key(m), max, h->name);
    }
}

void
baseline_write_all(FILE *f, struct hunt *const *hunts, int n)
{
    int i;

    fprintf(f, "# refhunt baseline: METRIC MAX TARGET a line\n");
    if (n > 0) {
        /* the entries are for hunts in this mode */
        fprintf(f, "mode %s\n", mode_name(hunts[0]->settings->mode));
    }
    for (i = 0; i < n; i++) {
        baseline_write(f, hunts[i]);
    }
}
