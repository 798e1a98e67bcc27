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

/* One line, without its newline; 0, -1 with *why, or 1 for nothing. */
static int
parse_line(char *line, struct entry *e, const char **why)
{
    char *p = line, *end;
    size_t len;
    long long max;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p == '\0' || *p == '#') {
        return 1;
    }
    len = strcspn(p, " \t");
    if (parse_metric(p, len, &e->metric) != 0) {
        *why = "the metric is not refs, blocks or fds";
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
    int lineno = 0, rc;

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
            rc = parse_line(line, &e, &why);
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
    }
    free(b->entries);
    free(b);
}

int64_t
baseline_allowance(const struct baseline *b, const char *target,
    enum metric m)
{
    int i;

    for (i = 0; b != NULL && i < b->n; i++) {
        if (b->entries[i].metric == m &&
            strcmp(b->entries[i].target, target) == 0) {
            return b->entries[i].max;
        }
    }
    return -1;
}

/* How far a delta is from none: fds leak in either direction (a target
 * that closes one more a round), refs and blocks only upwards. */
static int64_t
magnitude(int64_t delta)
{
    return delta < 0 ? -delta : delta;
}

void
baseline_apply(const struct baseline *b, struct hunt *h)
{
    char *old_name = target_name(h->settings, 0);
    int64_t allowed;
    int i, m, left = 0, within;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (!h->leaked[m]) {
            continue;
        }
        allowed = baseline_allowance(b, h->name, (enum metric)m);
        if (allowed < 0) {      /* written before names were quoted */
            allowed = baseline_allowance(b, old_name, (enum metric)m);
        }
        within = allowed >= 0;
        for (i = 0; within && i < h->ndeltas; i++) {
            within = magnitude(h->deltas[m][i]) <= allowed;
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
    for (i = 0; i < n; i++) {
        baseline_write(f, hunts[i]);
    }
}
