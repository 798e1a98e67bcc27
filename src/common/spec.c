/*
 * spec.c: a worker's spec, as it travels in the worker's argv.
 *
 *     refhunt-worker refhunt-spec/1 task=hunt fd=100 ... -- TARGET [ARG ...]
 *
 * The first word says it is a spec; every other word up to "--" is
 * KEY=VALUE, each key once, every key there; then the target and its
 * arguments as they are. Nothing is abbreviated and nothing is optional,
 * so a word either is the spec's or is refused. The one text, tests=, is
 * a path, or - for none.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "xmalloc.h"

#define SPEC_MAGIC "refhunt-spec/1"

/* The words of the enums, in their order. */
static const char *const task_words[] = { "hunt", "imports", "tests", NULL };
static const char *const mode_words[] = { "reinit", "subinterp", "loop",
    NULL };
static const char *const kind_words[] = { "script", "module", "code", NULL };

/* One KEY=VALUE of the spec: a number from min to max, or (words) one of
 * the words, stored as its index. */
struct field {
    const char         *key;
    size_t              offset;     /* of an int or enum in struct spec */
    long                min, max;
    const char *const  *words;
};

#define INT_FIELD(k, f, lo, hi) { k, offsetof(struct spec, f), lo, hi, NULL }
#define WORD_FIELD(k, f, w) { k, offsetof(struct spec, f), 0, 0, w }

static const struct field fields[] = {
    WORD_FIELD("task", task, task_words),
    INT_FIELD("fd", fd, 0, INT_MAX),
    WORD_FIELD("mode", mode, mode_words),
    INT_FIELD("warmups", warmups, 1, 1000),
    INT_FIELD("tracked", tracked, 1, 1000),
    INT_FIELD("gc-passes", gc_passes, 0, 100),
    INT_FIELD("show-growth", show_growth, 0, 1000),
    INT_FIELD("trace-blocks", trace_blocks, 0, 1000),
    INT_FIELD("explain", explain, 0, 100),
    INT_FIELD("isolated", isolated, 0, 1),
    INT_FIELD("per-test", per_test, 0, 1),
    INT_FIELD("trust-refs", trust_refs, 0, 1),
    INT_FIELD("screen", screen, 0, 1),
    INT_FIELD("import-share", import_share, 0, 1000),
    WORD_FIELD("kind", kind, kind_words),
};

#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

_Static_assert(sizeof(enum mode) == sizeof(int) &&
    sizeof(enum worker_task) == sizeof(int) &&
    sizeof(enum target_kind) == sizeof(int), "enums are stored as ints");

static int *
field_at(struct spec *sp, const struct field *f)
{
    return (int *)(void *)((char *)sp + f->offset);
}

static int
field_of(const struct spec *sp, const struct field *f)
{
    return *(const int *)(const void *)((const char *)sp + f->offset);
}

struct spec
spec_of(const struct settings *st, enum worker_task task,
    const char *test_ids, int fd)
{
    struct spec sp = {
        .task = task, .fd = fd, .test_ids = test_ids,
        .screen = !st->no_screen && !st->explain,
        /* the user's hunt, not one refhunt runs for itself (their
         * settings say --no-import-share) */
        .import_share = task == TASK_HUNT && !st->no_import_share &&
            st->mode == MODE_REINIT && st->bisect == BISECT_NONE &&
            !st->per_test ? IMPORT_SHARE_ROUNDS : 0,
        .mode = st->mode, .warmups = st->warmups, .tracked = st->tracked,
        .gc_passes = st->gc_passes, .show_growth = st->show_growth,
        .trace_blocks = st->trace_blocks, .explain = st->explain,
        .isolated = st->isolated, .per_test = st->per_test,
        .trust_refs = st->trust_refs, .kind = st->kind,
        .target = st->target, .args = st->args, .nargs = st->nargs,
    };

    return sp;
}

char **
spec_argv(const char *exe, const struct spec *sp)
{
    char **av = xcalloc((size_t)NFIELDS + (size_t)sp->nargs + 6,
        sizeof *av);
    const struct field *f;
    int n = 0, i, v;

    av[n++] = xstrdup(exe);
    av[n++] = xstrdup(SPEC_MAGIC);
    for (f = fields; f < fields + NFIELDS; f++) {
        v = field_of(sp, f);
        av[n++] = f->words != NULL ? xasprintf("%s=%s", f->key,
            f->words[v]) : xasprintf("%s=%d", f->key, v);
    }
    av[n++] = xasprintf("tests=%s", sp->test_ids != NULL ? sp->test_ids :
        "-");
    av[n++] = xstrdup("--");
    av[n++] = xstrdup(sp->target);
    for (i = 0; i < sp->nargs; i++) {
        av[n++] = xstrdup(sp->args[i]);
    }
    av[n] = NULL;
    return av;
}

void
spec_argv_free(char **av)
{
    char **a;

    for (a = av; *a != NULL; a++) {
        free(*a);
    }
    free(av);
}

/* Sets one KEY=VALUE word; -1 with *cause. */
static int
parse_word(const char *word, struct spec *sp, int *seen, char **cause)
{
    const char *eq = strchr(word, '=');
    const struct field *f;
    char *end;
    long v;
    int i;

    for (f = fields; eq != NULL && f < fields + NFIELDS; f++) {
        if (strlen(f->key) == (size_t)(eq - word) &&
            strncmp(f->key, word, (size_t)(eq - word)) == 0) {
            break;
        }
    }
    if (eq == NULL || f == fields + NFIELDS || seen[f - fields]) {
        *cause = xasprintf("spec: '%s' is not a key of its own", word);
        return -1;
    }
    seen[f - fields] = 1;
    if (f->words != NULL) {
        for (i = 0; f->words[i] != NULL; i++) {
            if (strcmp(eq + 1, f->words[i]) == 0) {
                *field_at(sp, f) = i;
                return 0;
            }
        }
        *cause = xasprintf("spec: '%s': no such %s", word, f->key);
        return -1;
    }
    errno = 0;
    v = strtol(eq + 1, &end, 10);
    if (eq[1] < '0' || eq[1] > '9' || *end != '\0' || errno != 0 ||
        v < f->min || v > f->max) {
        *cause = xasprintf("spec: '%s': not a number from %ld to %ld", word,
            f->min, f->max);
        return -1;
    }
    *field_at(sp, f) = (int)v;
    return 0;
}

int
spec_parse(int argc, char **argv, struct spec *sp, char **cause)
{
    int seen[NFIELDS] = { 0 }, i, tests = 0;

    memset(sp, 0, sizeof *sp);
    if (argc < 2 || strcmp(argv[1], SPEC_MAGIC) != 0) {
        *cause = xstrdup("no spec");
        return -1;
    }
    for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "tests=", 6) == 0 && !tests++) {
            sp->test_ids = strcmp(argv[i] + 6, "-") != 0 ? argv[i] + 6 :
                NULL;
            continue;
        }
        if (parse_word(argv[i], sp, seen, cause) != 0) {
            return -1;
        }
    }
    for (int k = 0; k < NFIELDS; k++) {
        if (!seen[k]) {
            *cause = xasprintf("spec: no %s", fields[k].key);
            return -1;
        }
    }
    if (!tests) {
        *cause = xstrdup("spec: no tests");
        return -1;
    }
    if (i + 1 >= argc) {
        *cause = xstrdup("spec: no target after --");
        return -1;
    }
    sp->target = argv[i + 1];
    sp->args = argv + i + 2;
    sp->nargs = argc - i - 2;
    return 0;
}
