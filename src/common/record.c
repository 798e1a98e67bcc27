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

/* The fields of each kind of record, f[1] on (f[0] is its type): 0, or
 * -1 when one is malformed. */

static int
hello_fields(char **f, struct record *r)
{
    if (parse_flag(f[2], &r->debug) != 0 ||
        parse_flag(f[3], &r->refs_available) != 0 ||
        parse_flag(f[4], &r->free_threaded) != 0) {
        return -1;
    }
    r->text = record_unescape(f[1]);
    r->extra = record_unescape(f[5]);
    return 0;
}

/* The METRIC_COUNT counters from f[0] on. */
static int
counter_fields(char **f, int64_t *counter)
{
    int m;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (parse_counter(f[m], &counter[m]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
calibration_fields(char **f, struct record *r)
{
    return counter_fields(f + 1, r->counter);
}

static int
phase_fields(char **f, struct record *r)
{
    return parse_round(f[1], &r->round) != 0 ||
        parse_phase(f[2], &r->phase) != 0 ? -1 : 0;
}

static int
counters_fields(char **f, struct record *r)
{
    return parse_round(f[1], &r->round) != 0 ||
        counter_fields(f + 2, r->counter) != 0 ? -1 : 0;
}

static int
fail_fields(char **f, struct record *r)
{
    if (phase_fields(f, r) != 0) {
        return -1;
    }
    r->text = record_unescape(f[3]);
    return 0;
}

/* growth and trace: a round, two numbers, a text. */
static int
finding_fields(char **f, struct record *r)
{
    if (parse_round(f[1], &r->round) != 0 ||
        parse_counter(f[2], &r->value[0]) != 0 ||
        parse_counter(f[3], &r->value[1]) != 0 ||
        r->value[0] == COUNTER_NONE || r->value[1] == COUNTER_NONE) {
        return -1;
    }
    r->text = record_unescape(f[4]);
    return 0;
}

/* tracetype: a round, a count, a type's name. */
static int
tracetype_fields(char **f, struct record *r)
{
    if (parse_round(f[1], &r->round) != 0 ||
        parse_counter(f[2], &r->value[0]) != 0 ||
        r->value[0] == COUNTER_NONE) {
        return -1;
    }
    r->text = record_unescape(f[3]);
    return 0;
}

static int
explain_fields(char **f, struct record *r)
{
    int k;

    for (k = 0; k <= EXPLAIN_DONE; k++) {
        if (strcmp(f[1], explain_kind_name((enum explain_kind)k)) == 0) {
            break;
        }
    }
    if (k > EXPLAIN_DONE || parse_counter(f[2], &r->value[0]) != 0 ||
        r->value[0] == COUNTER_NONE) {
        return -1;
    }
    r->kind = (enum explain_kind)k;
    r->text = record_unescape(f[3]);
    return 0;
}

/* path, test, untrusted: a name. */
static int
name_fields(char **f, struct record *r)
{
    r->text = record_unescape(f[1]);
    return 0;
}

static int
import_fields(char **f, struct record *r)
{
    if (parse_counter(f[1], &r->value[0]) != 0 || r->value[0] < -1 ||
        r->value[0] > INT_MAX) {
        return -1;
    }
    r->text = record_unescape(f[2]);
    return 0;
}

static int
testbegin_fields(char **f, struct record *r)
{
    if (parse_round(f[1], &r->round) != 0) {
        return -1;
    }
    r->text = record_unescape(f[2]);
    return 0;
}

static int
testend_fields(char **f, struct record *r)
{
    if (parse_outcome(f[1]) != 0) {
        return -1;
    }
    r->extra = xstrdup(f[1]);
    r->text = record_unescape(f[2]);
    return 0;
}

/* testagain ROUND: the round its runs start again at. */
static int
round_fields(char **f, struct record *r)
{
    return parse_round(f[1], &r->round);
}

/* end: the type alone. */
static int
no_fields(char **f, struct record *r)
{
    (void)f;
    (void)r;
    return 0;
}

/* The records: each with its number of fields (the type included),
 * whether the last is a TEXT (which alone may have spaces: it keeps the
 * rest of the line), and what reads them. */
static const struct {
    const char      *name;
    enum record_type type;
    int              fields;
    int              text;
    int            (*parse)(char **, struct record *);
} kinds[] = {
    { "hello",       RECORD_HELLO,       6, 0, hello_fields },
    { "calibration", RECORD_CALIBRATION, 1 + METRIC_COUNT, 0,
        calibration_fields },
    { "phase",       RECORD_PHASE,       3, 0, phase_fields },
    { "counters",    RECORD_COUNTERS,    2 + METRIC_COUNT, 0,
        counters_fields },
    { "fail",        RECORD_FAIL,        4, 1, fail_fields },
    { "growth",      RECORD_GROWTH,      5, 1, finding_fields },
    { "trace",       RECORD_TRACE,       5, 1, finding_fields },
    { "tracetype",   RECORD_TRACETYPE,   4, 1, tracetype_fields },
    { "explain",     RECORD_EXPLAIN,     4, 1, explain_fields },
    { "import",      RECORD_IMPORT,      3, 0, import_fields },
    { "path",        RECORD_PATH,        2, 1, name_fields },
    { "test",        RECORD_TEST,        2, 1, name_fields },
    { "testbegin",   RECORD_TESTBEGIN,   3, 1, testbegin_fields },
    { "testend",     RECORD_TESTEND,     3, 1, testend_fields },
    { "testagain",   RECORD_TESTAGAIN,   2, 0, round_fields },
    { "untrusted",   RECORD_UNTRUSTED,   2, 0, name_fields },
    { "share",       RECORD_SHARE,       2 + METRIC_COUNT, 0,
        counters_fields },
    { "end",         RECORD_END,         1, 0, no_fields },
};

#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* The kind of a record line (an index of kinds), or -1: none, or a line
 * with a line break in it. */
static int
kind_of(const char *line)
{
    size_t len;
    int k;

    if (strlen(line) != strcspn(line, "\n\r")) {
        return -1;
    }
    for (k = 0; k < NKINDS; k++) {
        len = strlen(kinds[k].name);
        if (strncmp(line, kinds[k].name, len) == 0 &&
            (line[len] == ' ' || line[len] == '\0')) {
            return k;
        }
    }
    return -1;
}

/* Splits a line of kind k into f: 0, or -1 when it has too few fields,
 * or a space in a last field that is not a TEXT. */
static int
split_fields(char *line, int k, char **f)
{
    if (split(line, f, kinds[k].fields) != kinds[k].fields ||
        (!kinds[k].text && strchr(f[kinds[k].fields - 1], ' ') != NULL)) {
        return -1;
    }
    return 0;
}

int
record_parse(const char *line, struct record *r, char **cause)
{
    char *copy = xstrdup(line), *f[2 + METRIC_COUNT];
    int k, rc = -1;

    memset(r, 0, sizeof *r);
    *cause = NULL;
    if ((k = kind_of(line)) >= 0 && split_fields(copy, k, f) == 0) {
        r->type = kinds[k].type;
        rc = kinds[k].parse(f, r);
    }
    if (rc != 0) {
        record_clear(r);
        *cause = xasprintf("malformed record: %.80s", line);
    }
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

void
record_forked(void)
{
    bound.pid = getpid();
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
