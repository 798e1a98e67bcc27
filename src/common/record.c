/* record.c: the line records a worker sends its supervisor. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "xmalloc.h"

char *
record_escape(const char *s)
{
    char *out = xmalloc(strlen(s) * 4 + 1), *o = out;
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '\\') {
            *o++ = '\\';
            *o++ = '\\';
        } else if (*p == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (*p < 0x20 || *p == 0x7f) {
            o += sprintf(o, "\\x%02x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

/* Moves back from p to the start of the UTF-8 character it is in. */
static const char *
char_start(const char *text, const char *p)
{
    while (p > text && ((unsigned char)*p & 0xc0) == 0x80) {
        p--;
    }
    return p;
}

char *
record_cut(const char *s)
{
    size_t len = strlen(s), keep = RECORD_TEXT_MAX / 2 - 64;
    const char *head_end, *tail;

    if (len <= RECORD_TEXT_MAX) {
        return xstrdup(s);
    }
    head_end = char_start(s, s + keep);
    tail = char_start(s, s + len - keep);
    return xasprintf("%.*s\n[... refhunt cut %zu bytes here ...]\n%s",
        (int)(head_end - s), s, (size_t)(tail - head_end), tail);
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Lenient: a broken escape is kept as it is, never a reason to fail. */
char *
record_unescape(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;

    while (*s != '\0') {
        if (s[0] == '\\' && s[1] == '\\') {
            *o++ = '\\';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'n') {
            *o++ = '\n';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'x' && hexval(s[2]) >= 0 &&
            hexval(s[3]) >= 0 && (hexval(s[2]) | hexval(s[3])) != 0) {
            *o++ = (char)(hexval(s[2]) * 16 + hexval(s[3]));
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static int
parse_phase(const char *s, enum phase *out)
{
    enum phase p;

    for (p = PHASE_INIT; p <= PHASE_MEASURE; p++) {
        if (strcmp(s, phase_name(p)) == 0) {
            *out = p;
            return 0;
        }
    }
    return -1;
}

/* A counter field: a number within RECORD_COUNTER_MAX, or "-" for none. */
static int
parse_counter(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (strcmp(s, "-") == 0) {
        *out = COUNTER_NONE;
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE ||
        v < -RECORD_COUNTER_MAX || v > RECORD_COUNTER_MAX) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
parse_round(const char *s, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || v < 0 ||
        v > 1000000) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int
parse_flag(const char *s, int *out)
{
    if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
        return -1;
    }
    *out = *s == '1';
    return 0;
}

/* A test's outcome in a testend record. */
static int
parse_outcome(const char *s)
{
    static const char *const outcomes[] = {
        "passed", "failed", "skipped", "xfailed", "aborted",
    };
    size_t i;

    for (i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
        if (strcmp(s, outcomes[i]) == 0) {
            return 0;
        }
    }
    return -1;
}

/* Splits off up to max space-separated fields; the last keeps the rest. */
static int
split(char *line, char **fields, int max)
{
    int n = 0;

    while (n < max) {
        fields[n++] = line;
        if (n == max) {
            break;
        }
        line = strchr(line, ' ');
        if (line == NULL) {
            break;
        }
        *line++ = '\0';
    }
    return n;
}

static const char *const explain_kinds[] = {
    "object", "chain", "cycle", "cache", "done",
};

const char *
explain_kind_name(enum explain_kind k)
{
    return explain_kinds[k];
}

/* The records, each with its number of fields (the type included). */
static const struct {
    const char      *name;
    enum record_type type;
    int              fields;
} kinds[] = {
    { "hello",       RECORD_HELLO,       6 },
    { "calibration", RECORD_CALIBRATION, 1 + METRIC_COUNT },
    { "phase",       RECORD_PHASE,       3 },
    { "counters",    RECORD_COUNTERS,    2 + METRIC_COUNT },
    { "fail",        RECORD_FAIL,        4 },
    { "growth",      RECORD_GROWTH,      5 },
    { "trace",       RECORD_TRACE,       5 },
    { "tracetype",   RECORD_TRACETYPE,   4 },
    { "explain",     RECORD_EXPLAIN,     4 },
    { "module",      RECORD_MODULE,      2 },
    { "import",      RECORD_IMPORT,      3 },
    { "path",        RECORD_PATH,        2 },
    { "test",        RECORD_TEST,        2 },
    { "testbegin",   RECORD_TESTBEGIN,   3 },
    { "testend",     RECORD_TESTEND,     3 },
    { "testagain",   RECORD_TESTAGAIN,   1 },
    { "untrusted",   RECORD_UNTRUSTED,   2 },
    { "end",         RECORD_END,         1 },
};

int
record_parse(const char *line, struct record *r, char **cause)
{
    char *copy = xstrdup(line), *f[2 + METRIC_COUNT];
    size_t k, nkinds = sizeof kinds / sizeof kinds[0];
    int m, rc = -1;

    memset(r, 0, sizeof *r);
    *cause = NULL;
    if (strlen(line) != strcspn(line, "\n\r")) {
        goto bad;
    }
    for (k = 0; k < nkinds; k++) {
        size_t len = strlen(kinds[k].name);

        if (strncmp(line, kinds[k].name, len) == 0 &&
            (line[len] == ' ' || line[len] == '\0')) {
            break;
        }
    }
    /* The last field keeps the rest of the line: only a TEXT has spaces. */
    if (k == nkinds || split(copy, f, kinds[k].fields) != kinds[k].fields ||
        (kinds[k].type != RECORD_FAIL && kinds[k].type != RECORD_TRACE &&
        kinds[k].type != RECORD_TRACETYPE &&
        kinds[k].type != RECORD_GROWTH && kinds[k].type != RECORD_TEST &&
        kinds[k].type != RECORD_TESTBEGIN && kinds[k].type != RECORD_TESTEND &&
        kinds[k].type != RECORD_EXPLAIN &&
        kinds[k].type != RECORD_PATH &&
        strchr(f[kinds[k].fields - 1], ' ') != NULL)) {
        goto bad;
    }
    r->type = kinds[k].type;
    switch (r->type) {
    case RECORD_HELLO:
        if (parse_flag(f[2], &r->debug) != 0 ||
            parse_flag(f[3], &r->refs_available) != 0 ||
            parse_flag(f[4], &r->free_threaded) != 0) {
            goto bad;
        }
        r->text = record_unescape(f[1]);
        r->extra = record_unescape(f[5]);
        break;
    case RECORD_CALIBRATION:
        for (m = 0; m < METRIC_COUNT; m++) {
            if (parse_counter(f[1 + m], &r->counter[m]) != 0) {
                goto bad;
            }
        }
        break;
    case RECORD_PHASE:
        if (parse_round(f[1], &r->round) != 0 ||
            parse_phase(f[2], &r->phase) != 0) {
            goto bad;
        }
        break;
    case RECORD_COUNTERS:
        if (parse_round(f[1], &r->round) != 0) {
            goto bad;
        }
        for (m = 0; m < METRIC_COUNT; m++) {
            if (parse_counter(f[2 + m], &r->counter[m]) != 0) {
                goto bad;
            }
        }
        break;
    case RECORD_FAIL:
        if (parse_round(f[1], &r->round) != 0 ||
            parse_phase(f[2], &r->phase) != 0) {
            goto bad;
        }
        r->text = record_unescape(f[3]);
        break;
    case RECORD_GROWTH:
    case RECORD_TRACE:
        if (parse_round(f[1], &r->round) != 0 ||
            parse_counter(f[2], &r->value[0]) != 0 ||
            parse_counter(f[3], &r->value[1]) != 0 ||
            r->value[0] == COUNTER_NONE || r->value[1] == COUNTER_NONE) {
            goto bad;
        }
        r->text = record_unescape(f[4]);
        break;
    case RECORD_TRACETYPE:
        if (parse_round(f[1], &r->round) != 0 ||
            parse_counter(f[2], &r->value[0]) != 0 ||
            r->value[0] == COUNTER_NONE) {
            goto bad;
        }
        r->text = record_unescape(f[3]);
        break;
    case RECORD_EXPLAIN:
        for (m = 0; m <= EXPLAIN_DONE; m++) {
            if (strcmp(f[1], explain_kind_name((enum explain_kind)m)) == 0) {
                break;
            }
        }
        if (m > EXPLAIN_DONE || parse_counter(f[2], &r->value[0]) != 0 ||
            r->value[0] == COUNTER_NONE) {
            goto bad;
        }
        r->kind = (enum explain_kind)m;
        r->text = record_unescape(f[3]);
        break;
    case RECORD_MODULE:
    case RECORD_PATH:
    case RECORD_TEST:
    case RECORD_UNTRUSTED:
        r->text = record_unescape(f[1]);
        break;
    case RECORD_IMPORT:
        if (parse_counter(f[1], &r->value[0]) != 0 || r->value[0] < -1 ||
            r->value[0] > INT_MAX) {
            goto bad;
        }
        r->text = record_unescape(f[2]);
        break;
    case RECORD_TESTBEGIN:
        if (parse_round(f[1], &r->round) != 0) {
            goto bad;
        }
        r->text = record_unescape(f[2]);
        break;
    case RECORD_TESTEND:
        if (parse_outcome(f[1]) != 0) {
            goto bad;
        }
        r->extra = xstrdup(f[1]);
        r->text = record_unescape(f[2]);
        break;
    case RECORD_TESTAGAIN:
    case RECORD_END:
        break;
    }
    rc = 0;
    goto out;
bad:
    record_clear(r);
    *cause = xasprintf("malformed record: %.80s", line);
out:
    free(copy);
    return rc;
}

void
record_clear(struct record *r)
{
    free(r->text);
    free(r->extra);
    r->text = NULL;
    r->extra = NULL;
}

static struct {
    int     fd;
    pid_t   pid;
    pid_t   keeper;     /* our parent then */
    dev_t   dev;
    ino_t   ino;
} bound = { -1, 0, 0, 0, 0 };

int
record_bind(int fd)
{
    struct stat sb;

    if (fstat(fd, &sb) != 0) {
        return -1;
    }
    bound.fd = fd;
    bound.pid = getpid();
    bound.keeper = getppid();
    bound.dev = sb.st_dev;
    bound.ino = sb.st_ino;
    return 0;
}

/* Whether fd is still the channel bound to it, in the process bound. */
static int
still_bound(int fd)
{
    struct stat sb;

    if (fd != bound.fd) {
        return 1;
    }
    if (fstat(fd, &sb) != 0) {
        return 0;
    }
    if (getpid() != bound.pid || sb.st_dev != bound.dev ||
        sb.st_ino != bound.ino) {
        errno = EBADF;
        return 0;
    }
    return 1;
}

int
record_send(int fd, const char *fmt, ...)
{
    va_list ap;
    char *line, *p;
    ssize_t n;
    size_t left;
    int len;

    if (!still_bound(fd)) {
        return -1;
    }
    va_start(ap, fmt);
    len = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (len < 0) {
        return -1;
    }
    /* One write per record where the pipe allows, so records never mix. */
    p = line;
    left = (size_t)len;
    while (left > 0) {
        n = write(fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            free(line);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    free(line);
    return 0;
}

void
record_lost(void)
{
    /* only to the keeper that started us: were it gone, our parent would
     * be some other process, which a real-time signal could kill */
    if (bound.keeper > 1 && getppid() == bound.keeper) {
        kill(bound.keeper, RECORD_SIG_LOST);
    }
}
