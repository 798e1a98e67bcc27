/*
 * bisect.c: --bisect imports and --bisect tests, which import or which
 * test leaks on its own.
 *
 * A discovery worker lists the items: the modules the target imported, in
 * the order their imports completed (a submodule with its package), or
 * the test ids of -m unittest NAME (names as python -m unittest takes
 * them, file paths too) or the node ids of -m pytest ARGS (their probes
 * run in loop mode unless --mode is given). A module completes before every
 * module that imports it, even when the two import each other (markupsafe
 * and its _speedups), so the first module of the list that leaks is a
 * culprit, and the modules that leak only through it come after it.
 *
 * The search (doc/DESIGN.md, "Bisecting imports"), over items that leaks add
 * up: a probe holds the culprits found so far (the known items) and a run
 * of the items after the last of them. The first run is the rest of the
 * list; when it leaks more than the known items alone (ref), it is halved,
 * in order: when the first half leaks more, the next culprit is in it,
 * else in the second half, which is not probed. About log2(n) probes a
 * culprit; a culprit found after others is also probed on its own (one
 * that does not leak alone only adds to them). Then the rest of the list
 * after it, and so on until the rest leaks no more than the known items.
 * With the known items in every probe, the modules that leak through
 * them add nothing. That is the search over prefixes of the order, less
 * the items of a prefix that added nothing.
 *
 * An item that does not leak more with the known ones when the search
 * ends at it leaks only together with items before it: the smallest such
 * group found is reported. A probe that fails holds an item that fails on
 * its own: it is found by halving, reported and left out with the modules
 * that imported it. When no import leaks, the target itself is hunted: a
 * leak there is in its own code, never "0 culprits" and exit 0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "bisect.h"
#include "pertest.h"
#include "pipeline.h"
#include "json.h"
#include "report.h"
#include "utf8.h"
#include "supervise.h"
#include "verdict.h"
#include "xmalloc.h"

/* Probe rounds when -R is not given: a leak per round shows in two. */
#define PROBE_WARMUPS 1
#define PROBE_TRACKED 2
/* In one interpreter a run frees what the run before it kept until it
 * was replaced (pytest 7.2 frees 125 references in its second run): loop
 * probes take one warm-up more. */
#define PROBE_LOOP_WARMUPS 2

struct culprit {
    char           *item;
    struct hunt    *hunt;           /* the probe of it with the culprits
                                       before it (and its group) */
    struct hunt    *alone;          /* its probe on its own, when culprits
                                       came before it */
    struct hunt     view;           /* the deltas to show: its own, or what
                                       it adds to the culprits before it */
    int             adds;           /* it does not leak on its own, only
                                       adds to the culprits before it */
    struct names    group;          /* the items it leaks together with */
    struct names    through;        /* imports: modules that imported it */
};

struct failure {
    char           *item;
    char           *message;
    struct names    with;           /* left out with it: they import it */
};

struct bisection {
    const struct settings *st;
    const char     *exe;
    struct names    items;
    struct names    paths;          /* imports: sys.path entries to add */
    int            *by;             /* imports: index of the importer, -1 */
    int            *known;          /* the culprits found so far (and the
                                       groups), in every probe after */
    int             nknown;
    struct culprit *culprits;
    int             nculprits;
    struct failure *failures;
    int             nfailures;
    struct hunt    *own;            /* the target itself */
    struct hunt    *all;            /* imports: every module at once */
    struct hunt     residue;        /* own less all: what the imports do
                                       not account for */
    int             discovered;     /* items listed */
    int             probes;
    int             rounds;
    int             whole_leaked;   /* a probe of every item leaked */
    int             together;       /* ... but no item was found */
    int             broken;         /* a probe could not start Python */
    int             floor_probes;   /* tests, -m unittest, a new
                                       interpreter a round: every probe
                                       loads the whole suite */
    struct hunt    *floor;          /* ... and this one runs no test: what
                                       the suite's imports leak, charged
                                       to no test */
    double          started;
    struct settings *pass_settings; /* tests, loop: the per-test pass's,
                                       which its tests (culprits) use */
};

static const char *
item_kind(const struct bisection *b)
{
    return b->st->bisect == BISECT_IMPORTS ? "module" : "test";
}

/* A module name as a Python string literal (it is a name: no quotes or
 * backslashes in it, refused if there were). */
static const char *
quoted(const char *name)
{
    static char buf[1024];

    if (strlen(name) + 3 > sizeof buf || strpbrk(name, "'\\\n") != NULL) {
        return "'<unnamed>'";
    }
    snprintf(buf, sizeof buf, "'%s'", name);
    return buf;
}

/* The mode of the probes: pytest's own imports leak thousands of
 * references an interpreter, so its probes run in one (it is clean there)
 * unless --mode is given. */
static enum mode
probe_mode(const struct bisection *b)
{
    if (b->st->bisect == BISECT_IMPORTS) {
        return MODE_REINIT;
    }
    return strcmp(b->st->target, "pytest") == 0 && !b->st->mode_given ?
        MODE_LOOP : b->st->mode;
}

/* Writes s to f as a Python bytes literal (any text: quotes, backslashes,
 * newlines, any bytes). */
static void
put_bytes(FILE *f, const char *s)
{
    const unsigned char *c;

    fputs("b'", f);
    for (c = (const unsigned char *)s; *c != '\0'; c++) {
        if (*c < 0x20 || *c >= 0x7f || *c == '\'' || *c == '\\') {
            fprintf(f, "\\x%02x", *c);
        } else {
            fputc(*c, f);
        }
    }
    fputc('\'', f);
}

/*
 * A probe of tests idx[0, n) of -m unittest in a new interpreter a
 * round: the code loads every test of the suite (its imports, as in every
 * probe and in the floor), then runs those n as `python -m unittest IDS`
 * does. n == 0: the floor, which runs none.
 */
static char *
unittest_code(const struct bisection *b, const int *idx, int n)
{
    char *code = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&code, &size);
    int i;

    if (f == NULL) {
        fatal("open_memstream");
    }
    fputs("import unittest\nnames = [n.decode('utf-8', 'surrogateescape') "
        "for n in [", f);
    for (i = 0; i < b->items.n; i++) {
        put_bytes(f, b->items.name[i]);
        fputc(',', f);
    }
    fputs("]]\nunittest.defaultTestLoader.loadTestsFromNames(names)\n", f);
    if (n > 0) {
        fputs("unittest.main(module=None, argv=['python -m unittest'] + "
            "[names[i] for i in [", f);
        for (i = 0; i < n; i++) {
            fprintf(f, "%d,", idx[i]);
        }
        fputs("]])\n", f);
    }
    if (fclose(f) != 0) {
        fatal("open_memstream");
    }
    return code;
}

/* Code that puts the sys.path entries the target added first, as they
 * were (any bytes: bytes literals, decoded as the os does). */
static char *
paths_code(const struct names *paths)
{
    size_t size = 160, i;
    char *code, *p;
    int k;

    for (k = 0; k < paths->n; k++) {
        size += strlen(paths->name[k]) * 4 + 8;
    }
    p = code = xmalloc(size);
    if (paths->n == 0) {
        *code = '\0';
        return code;
    }
    p += sprintf(p, "import os, sys\nsys.path[0:0] = [");
    for (k = 0; k < paths->n; k++) {
        p += sprintf(p, "%sb'", k > 0 ? ", " : "");
        for (i = 0; paths->name[k][i] != '\0'; i++) {
            p += sprintf(p, "\\x%02x", (unsigned char)paths->name[k][i]);
        }
        p += sprintf(p, "'");
    }
    sprintf(p, "]\nsys.path[0:%d] = map(os.fsdecode, sys.path[0:%d])\n",
        paths->n, paths->n);
    return code;
}

/* The settings of a probe of the items idx[0, n): quiet, no report files.
 * n < 0: the target itself. They own their target and args array. */
static struct settings *
probe_settings(const struct bisection *b, const int *idx, int n,
    char **target)
{
    struct settings *ps = hunt_helper_settings(b->st);
    char *code, *next;
    int i;

    if (!b->st->rounds_given) {
        ps->warmups = PROBE_WARMUPS;
        ps->tracked = PROBE_TRACKED;
    }
    if (b->st->bisect == BISECT_IMPORTS) {
        /* reinit rounds: what each import leaves behind in the process;
         * finalization collects what one gc pass leaves (a pass costs a
         * debug build 0.1 s with pytest's 250 modules) */
        ps->mode = MODE_REINIT;
        ps->gc_passes = ps->gc_passes > 1 ? 1 : ps->gc_passes;
        if (n < 0) {
            ps->target = *target = xstrdup(ps->target);
            ps->args = xcalloc((size_t)ps->nargs + 1, sizeof *ps->args);
            memcpy(ps->args, b->st->args, (size_t)ps->nargs *
                sizeof *ps->args);
            return ps;
        }
        ps->kind = TARGET_CODE;
        code = paths_code(&b->paths);
        for (i = 0; i < n; i++) {
            /* __import__: sys.modules also holds names that are no
             * identifiers (_sysconfigdata_d_x86_64-linux-gnu) */
            next = xasprintf("%s__import__(%s)\n", code,
                quoted(b->items.name[idx[i]]));
            free(code);
            code = next;
        }
        ps->target = *target = code;
        ps->args = NULL;
        ps->nargs = 0;
    } else if (b->floor_probes) {
        /* the suite loaded whole, the tests idx[0, n) run (none: the
         * floor) */
        ps->kind = TARGET_CODE;
        ps->target = *target = unittest_code(b, idx, n);
        ps->args = NULL;
        ps->nargs = 0;
    } else {
        /* the runner given, with the test ids: node ids for pytest */
        ps->kind = TARGET_MODULE;
        ps->target = *target = xstrdup(b->st->target);
        ps->args = xcalloc((size_t)n + 1, sizeof *ps->args);
        for (i = 0; i < n; i++) {
            ps->args[i] = b->items.name[idx[i]];
        }
        ps->nargs = n;
        ps->mode = probe_mode(b);
        if (ps->mode == MODE_LOOP && !b->st->rounds_given) {
            ps->warmups = PROBE_LOOP_WARMUPS;
        }
    }
    return ps;
}

static void
free_probe(struct hunt *h)
{
    hunt_free(h);       /* with the settings it owns */
}

/* Hunts the items idx[0, n) as one target (n < 0: the target itself). */
static struct hunt *
probe(struct bisection *b, const int *idx, int n)
{
    char *target;
    struct settings *ps = probe_settings(b, idx, n, &target);
    struct hunt *h = hunt_new(ps);

    h->owned_settings = ps;
    h->owned_target = target;
    h->owned_args = ps->args;
    supervise_hunt(h, b->exe);
    verdict_compute(h);
    b->probes++;
    b->rounds += h->started;
    if (h->status == STATUS_ERROR) {
        b->broken = 1;
    }
    if (b->st->verbose) {
        if (n <= 0) {
            fprintf(stderr, "refhunt: probe %d: %s: %s (%.1f s)\n",
                b->probes, n < 0 ? "the target itself" : "the suite loaded, "
                "no test run", status_name(h->status), h->seconds);
        } else {
            fprintf(stderr, "refhunt: probe %d: %d %s%s%s%s: %s (%.1f s)\n",
                b->probes, n, item_kind(b), n == 1 ? "" : "s",
                n > 0 ? " to " : "", n > 0 ? b->items.name[idx[n - 1]] : "",
                status_name(h->status), h->seconds);
        }
    }
    return h;
}

static int
probe_failed(const struct hunt *h)
{
    return h->status != STATUS_CLEAN && h->status != STATUS_LEAK;
}

/* Probes the items found so far with items[lo, hi) (or, lo < 0, with
 * items hi alone). */
static struct hunt *
probe_with(struct bisection *b, int lo, int hi)
{
    int *idx = xcalloc((size_t)b->nknown + (size_t)b->items.n + 1,
        sizeof *idx), n, i;
    struct hunt *h;

    if (b->nknown > 0) {        /* known is NULL until a culprit is */
        memcpy(idx, b->known, (size_t)b->nknown * sizeof *idx);
    }
    n = b->nknown;
    if (lo < 0) {
        idx[n++] = hi;
    }
    for (i = lo; lo >= 0 && i < hi; i++) {
        idx[n++] = i;
    }
    h = probe(b, idx, n);
    free(idx);
    return h;
}

/* Whether probe p leaks more than probe ref (NULL: nothing): a metric
 * that leaks in p, and beyond anything ref showed (refs, blocks: p's
 * least delta above ref's greatest; fds: other deltas). */
static int
exceeds(const struct hunt *p, const struct hunt *ref)
{
    int m, i, more;
    int64_t least, most;

    if (p->status != STATUS_LEAK) {
        return 0;
    }
    for (m = 0; m < METRIC_COUNT; m++) {
        if (!p->leaked[m]) {
            continue;
        }
        if (ref == NULL || !ref->leaked[m]) {
            return 1;
        }
        least = p->deltas[m][0];
        most = ref->deltas[m][0];
        more = 0;
        for (i = 0; i < p->ndeltas && i < ref->ndeltas; i++) {
            least = p->deltas[m][i] < least ? p->deltas[m][i] : least;
            most = ref->deltas[m][i] > most ? ref->deltas[m][i] : most;
            more |= p->deltas[m][i] != ref->deltas[m][i];
        }
        if (m == METRIC_FDS ? more : least > most) {
            return 1;
        }
    }
    return 0;
}

/* A view of h with ref's deltas taken from its own: what the last item
 * probed adds to the culprits before it. */
static struct hunt
increment(const struct hunt *h, const struct hunt *ref)
{
    struct hunt v = *h;
    int m, i;

    for (m = 0; m < METRIC_COUNT; m++) {
        v.deltas[m] = xcalloc((size_t)h->ndeltas + 1, sizeof *v.deltas[m]);
        memcpy(v.deltas[m], h->deltas[m], (size_t)h->ndeltas *
            sizeof *v.deltas[m]);
        if (ref == NULL || h->ndeltas == 0 || ref->ndeltas < h->ndeltas ||
            h->deltas[m][0] == COUNTER_NONE ||
            ref->deltas[m][0] == COUNTER_NONE) {
            continue;
        }
        for (i = 0; i < h->ndeltas; i++) {
            v.deltas[m][i] -= ref->deltas[m][i];
        }
        v.leaked[m] = verdict_leaks((enum metric)m, v.deltas[m], h->ndeltas);
    }
    return v;
}

/* Whether item i is a module that imported module x (x's importer, its
 * importer's, ...), or a submodule of one (it imports its package). */
static int
imports_it(const struct bisection *b, int i, int x)
{
    const char *name = b->items.name[i], *a;
    int j;

    for (j = b->by[x]; j >= 0; j = b->by[j]) {
        a = b->items.name[j];
        if (j == i || (strncmp(name, a, strlen(a)) == 0 &&
            name[strlen(a)] == '.')) {
            return 1;
        }
    }
    return 0;
}

/* Drops item x, which fails, and with imports every later module that
 * imports it (it would fail the same way). */
static void
leave_out(struct bisection *b, int x, const struct hunt *h)
{
    struct failure *f;
    int *moved = xcalloc((size_t)b->items.n, sizeof *moved), i, n = 0;

    b->failures = xreallocarray(b->failures, (size_t)b->nfailures + 1,
        sizeof *b->failures);
    f = &b->failures[b->nfailures++];
    *f = (struct failure){ b->items.name[x], xstrdup(h->message != NULL ?
        h->message : h->reason != NULL ? h->reason : status_name(h->status)),
        { NULL, 0 } };
    /* decide on the lists as they are, then compact them: imports_it
     * reads names the compaction moves and frees */
    for (i = 0; i < b->items.n; i++) {
        moved[i] = i != x && b->by != NULL && i > x && imports_it(b, i, x) ?
            -2 : -1;
    }
    for (i = 0; i < b->items.n; i++) {
        if (moved[i] == -2) {
            moved[i] = -1;
            names_add(&f->with, b->items.name[i]);
            free(b->items.name[i]);
        } else if (i != x) {
            moved[i] = n;
            b->items.name[n] = b->items.name[i];
            if (b->by != NULL) {
                b->by[n] = b->by[i];
            }
            n++;
        }
    }
    for (i = 0; b->by != NULL && i < n; i++) {
        b->by[i] = b->by[i] >= 0 ? moved[b->by[i]] : -1;
    }
    free(moved);
    b->items.n = n;
}

/* The items found so far with items[lo, hi) fail: the first item that
 * makes them fail (the shortest failing window [lo, m), binary search)
 * is left out. Items before lo, and the known ones, keep their place. */
static void
find_failure(struct bisection *b, int lo, int hi, struct hunt *failed)
{
    int ok = lo, bad = hi, mid;
    struct hunt *h;

    while (bad - ok > 1 && !supervise_interrupted() && !b->broken) {
        mid = ok + (bad - ok) / 2;
        h = probe_with(b, lo, mid);
        if (probe_failed(h)) {
            free_probe(failed);
            failed = h;
            bad = mid;
        } else {
            free_probe(h);
            ok = mid;
        }
    }
    if (!supervise_interrupted() && !b->broken) {
        leave_out(b, bad - 1, failed);
    }
    free_probe(failed);
}

/* Puts item i in every probe from now on. */
static void
know(struct bisection *b, int i)
{
    b->known = xreallocarray(b->known, (size_t)b->nknown + 1,
        sizeof *b->known);
    b->known[b->nknown++] = i;
}

/* Names item i a culprit: h is its probe with the known items, which
 * gave ref without it. */
static struct culprit *
add_culprit(struct bisection *b, int i, struct hunt *h,
    const struct hunt *ref, struct hunt *alone)
{
    struct culprit *c;
    int j;

    b->culprits = xreallocarray(b->culprits, (size_t)b->nculprits + 1,
        sizeof *b->culprits);
    c = &b->culprits[b->nculprits++];
    *c = (struct culprit){ b->items.name[i], h, alone,
        alone != NULL && exceeds(alone, b->floor) ?
        increment(alone, b->floor) : increment(h, ref), 0, { NULL, 0 },
        { NULL, 0 } };
    c->view.name = c->item;
    for (j = b->by != NULL ? b->by[i] : -1; j >= 0; j = b->by[j]) {
        names_add(&c->through, b->items.name[j]);
    }
    know(b, i);
    return c;
}

/* Probes the known items with items j and e alone. */
static struct hunt *
probe_pair(struct bisection *b, int j, int e)
{
    struct hunt *h;

    know(b, j);
    h = probe_with(b, -1, e);
    b->nknown--;
    return h;
}

/*
 * The search ended at item i, which does not leak more with the culprits
 * found so far: the items leak together. The smallest group is found by
 * binary search: the shortest window [0, e] that leaks more than ref,
 * then the shortest [j, e]; then j and e are tried as a pair. *end is e,
 * the culprit named; returns its probe with the group and the known
 * items, the next reference, or NULL when [0, i] does not leak more
 * (noise: the search goes on after i).
 */
static struct hunt *
find_group(struct bisection *b, int i, const struct hunt *ref, int *end)
{
    int lo = -1, hi = i, mid, k, j, pair;
    struct hunt *h, *w;
    struct culprit *c;

    h = probe_with(b, 0, i + 1);
    while (exceeds(h, ref) && hi - lo > 1 && !supervise_interrupted()) {
        mid = lo + (hi - lo) / 2;
        w = probe_with(b, 0, mid + 1);
        if (exceeds(w, ref)) {
            free_probe(h);
            h = w;
            hi = mid;
        } else {
            free_probe(w);
            lo = mid;
        }
    }
    if (!exceeds(h, ref) || supervise_interrupted()) {
        free_probe(h);
        return NULL;
    }
    *end = hi;
    /* [0, e] leaks more; [e, e] does not (or e is a culprit of its own) */
    w = probe_with(b, -1, hi);
    if (exceeds(w, ref)) {
        free_probe(h);
        add_culprit(b, hi, w, ref, NULL);
        return w;
    }
    free_probe(w);
    for (lo = 0, j = hi; j - lo > 1 && !supervise_interrupted(); ) {
        mid = lo + (j - lo) / 2;
        w = probe_with(b, mid, *end + 1);
        if (exceeds(w, ref)) {
            free_probe(h);
            h = w;
            lo = mid;
        } else {
            free_probe(w);
            j = mid;
        }
    }
    /* the group is the pair lo, e if that leaks more, else [lo, e] */
    w = *end - lo > 1 ? probe_pair(b, lo, *end) : NULL;
    pair = w != NULL && exceeds(w, ref);
    if (pair) {
        free_probe(h);
        h = w;
    } else {
        free_probe(w);
    }
    c = add_culprit(b, *end, h, ref, NULL);
    b->nknown--;
    for (k = lo; k < (pair ? lo + 1 : *end); k++) {
        for (j = 0; j < b->nknown && b->known[j] != k; j++) {
            ;
        }
        if (j == b->nknown) {   /* not a culprit already */
            names_add(&c->group, b->items.name[k]);
            know(b, k);
        }
    }
    know(b, *end);
    return h;   /* the known items, the group and e */
}

/*
 * The search. Invariant: the known items (culprits found so far) with
 * items[lo, hi) leak more than the known items alone (ref), and nothing
 * before lo adds to that. Halves in order: when the first half leaks
 * more, the next culprit is in it, else in the second; single item i is
 * then tried with the known ones (its deltas: what it adds to them).
 */
static void
search(struct bisection *b)
{
    struct hunt *ref = b->floor, *h, *alone;
    int base = 0, lo, hi, mid = 0;

    while (base < b->items.n && !supervise_interrupted() && !b->broken) {
        h = probe_with(b, base, b->items.n);
        if (probe_failed(h)) {
            find_failure(b, base, b->items.n, h);
            continue;
        }
        b->whole_leaked |= base == 0 && exceeds(h, b->floor);
        if (base == 0 && b->st->bisect == BISECT_IMPORTS) {
            free_probe(b->all);     /* the one before a failure left out */
            b->all = h;
        }
        if (!exceeds(h, ref)) {
            free_probe(h != b->all ? h : NULL);
            break;
        }
        free_probe(h != b->all ? h : NULL);
        lo = base;
        hi = b->items.n;
        while (hi - lo > 1 && !supervise_interrupted()) {
            mid = lo + (hi - lo) / 2;
            h = probe_with(b, lo, mid);
            if (probe_failed(h)) {
                break;
            }
            if (exceeds(h, ref)) {
                hi = mid;
            } else {
                lo = mid;
            }
            free_probe(h);
        }
        if (supervise_interrupted() || b->broken) {
            break;
        }
        if (hi - lo > 1) {
            find_failure(b, lo, mid, h);
            continue;
        }
        h = probe_with(b, -1, lo);
        if (probe_failed(h)) {
            find_failure(b, lo, lo + 1, h);
            continue;
        }
        if (exceeds(h, ref)) {
            /* a culprit if it leaks on its own, else it only adds to the
             * culprits before it (_decimal with zipfile: 2 refs more) */
            alone = b->nknown > 0 ? probe(b, &lo, 1) : NULL;
            add_culprit(b, lo, h, ref, alone)->adds = alone != NULL &&
                !exceeds(alone, b->floor);
            ref = h;    /* the new reference: the known items with it */
        } else {
            free_probe(h);
            h = find_group(b, lo, ref, &hi);
            ref = h != NULL ? h : ref;
            lo = h != NULL ? hi : lo;
        }
        base = lo + 1;
    }
}

/* The index of item name, or -1. */
static int
item_index(const struct bisection *b, const char *name)
{
    int i;

    for (i = 0; i < b->items.n; i++) {
        if (strcmp(b->items.name[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* Forgets the culprits: the search starts over. */
static void
forget_culprits(struct bisection *b)
{
    int i, m;

    for (i = 0; i < b->nculprits; i++) {
        for (m = 0; m < METRIC_COUNT; m++) {
            free(b->culprits[i].view.deltas[m]);
        }
        free_probe(b->culprits[i].hunt);
        free_probe(b->culprits[i].alone);
        names_clear(&b->culprits[i].group);
        names_clear(&b->culprits[i].through);
    }
    b->nculprits = 0;
    b->nknown = 0;
}

/*
 * Tests in loop mode: which test leaks on its own is what --per-test
 * answers, in one interpreter that collects the suite once, where a probe
 * collects it anew (41 probes of 15 tests took 19 times a --per-test
 * hunt). So a per-test hunt of the suite (the probes' -R; it lists the
 * tests too, no discovery worker is needed) names the
 * culprits (its leaking tests, with their deltas) and the tests that fail
 * on their own. When no test leaks on its own, one probe runs them all
 * together: when it leaks (tests that leak only together), or fails, the
 * search runs as without this pass. 1 when the pass answered.
 */
static struct hunt *
per_test_run(struct bisection *b)
{
    struct settings *ps = hunt_helper_settings(b->st);
    struct hunt *suite;
    int i;

    ps->per_test = 1;
    ps->mode = MODE_LOOP;
    if (!b->st->rounds_given) {
        ps->warmups = PROBE_LOOP_WARMUPS;
        ps->tracked = PROBE_TRACKED;
    }
    b->pass_settings = ps;      /* its tests' hunts (culprits) read them */
    suite = pertest_pass(ps, b->exe);
    b->probes++;
    for (i = 0; i < suite->tests.n; i++) {
        b->rounds += suite->tests.hunt[i]->started;
    }
    if (b->st->verbose) {
        fprintf(stderr, "refhunt: probe %d: every test on its own "
            "(--per-test): %d tests, %s\n", b->probes, suite->tests.n,
            status_name(suite->status));
    }
    return suite;
}

/* Whether the pass listed the tests: it collected the suite. */
static int
per_test_listed(const struct hunt *suite)
{
    return suite->message == NULL && suite->tests.n > 0 &&
        suite->found.n > 0 && !supervise_interrupted();
}

static int
per_test_pass(struct bisection *b, struct hunt *suite)
{
    struct hunt *t, *rest;
    int *idx, i, j, n = 0, answered = 0;

    for (i = 0; i < suite->tests.n; i++) {
        t = suite->tests.hunt[i];
        if (t->status != STATUS_CLEAN && t->status != STATUS_LEAK &&
            (j = item_index(b, t->name)) >= 0) {
            leave_out(b, j, t);
        }
    }
    for (i = 0; i < suite->tests.n; i++) {
        t = suite->tests.hunt[i];
        if (t->status == STATUS_LEAK && (j = item_index(b, t->name)) >= 0) {
            add_culprit(b, j, t, NULL, NULL);
            suite->tests.hunt[i] = NULL;    /* the culprit's now */
        }
    }
    if (b->nculprits > 0) {
        b->whole_leaked = 1;
        answered = 1;
        goto done;
    }
    /* no test leaks on its own: do they all together? (a leak that only
     * a group makes is found by the search) */
    idx = xcalloc((size_t)b->items.n + 1, sizeof *idx);
    for (i = 0; i < b->items.n; i++) {
        idx[n++] = i;
    }
    rest = n > 0 ? probe(b, idx, n) : NULL;
    free(idx);
    if (rest == NULL || (!probe_failed(rest) && !exceeds(rest, NULL))) {
        answered = !supervise_interrupted() && !b->broken;
    }
    free_probe(rest);
done:
    if (!answered) {
        forget_culprits(b);
    }
    return answered;
}

/* Runs a discovery worker (task) for settings st; its hunt. */
static struct hunt *
discover(const struct settings *st, enum worker_task task, const char *exe)
{
    struct hunt *h = hunt_discovery(st, task);

    supervise_hunt(h, exe);
    return h;
}

/* regrtest's line of metric m of a probe, or of a view of one. */
static void
leak_line(const struct hunt *h, enum metric m, FILE *f)
{
    struct result r;

    pipeline_result(h, &r);
    report_leak_line(&r, m, f);
}

/* "leaks": [...], "deltas": {...} of a probe, or of a view of one. */
static void
json_leaks_deltas(FILE *f, const struct hunt *h)
{
    struct result r;

    pipeline_result(h, &r);
    fprintf(f, "\"leaks\": ");
    json_leaks(f, &r);
    fprintf(f, ", \"deltas\": ");
    json_deltas(f, &r);
}

static void
print_names(FILE *f, const char *label, const struct names *ns)
{
    int i;

    for (i = 0; i < ns->n; i++) {
        fputs(i == 0 ? label : ", ", f);
        text_put_name(ns->name[i], f);
    }
    if (ns->n > 0) {
        fputc('\n', f);
    }
}

/* Prints deltas[0, n) as [1, 2, 3]. */
static void
print_deltas(FILE *f, const int64_t *deltas, int n)
{
    int r;

    fputc('[', f);
    for (r = 0; r < n; r++) {
        fprintf(f, "%s%" PRId64, r > 0 ? ", " : "", deltas[r]);
    }
    fputc(']', f);
}

/* What loading the suite without running a test leaks (unittest, a new
 * interpreter a round): said, as it is charged to no test. */
static void
floor_text(const struct bisection *b, FILE *f)
{
    const struct hunt *h = b->floor;
    char *line;
    int m;

    if (h == NULL) {
        return;
    }
    if (probe_failed(h)) {
        line = report_last_line(h->message);
        fprintf(f, "refhunt: the suite loaded without running a test: "
            "%s: %s\n", status_name(h->status), h->reason != NULL ?
            h->reason : line);
        free(line);
        return;
    }
    for (m = 0; h->status == STATUS_LEAK && m < METRIC_COUNT; m++) {
        if (!h->leaked[m]) {
            continue;
        }
        fprintf(f, "refhunt: loading the suite alone leaks ");
        print_deltas(f, h->deltas[m], h->ndeltas);
        fprintf(f, " %s a round, charged to no test\n",
            metric_noun((enum metric)m));
    }
}

/* The target's own leak: each metric it leaks, and what of it importing
 * its modules (all of them, in one probe) does not account for. */
static void
own_text(const struct bisection *b, const struct hunt *disc, FILE *f)
{
    int m, own = 0;

    for (m = 0; m < METRIC_COUNT; m++) {
        if (!b->own->leaked[m]) {
            continue;
        }
        leak_line(b->own, m, f);
        if (b->residue.leaked[m]) {
            fputs("  of which ", f);
            print_deltas(f, b->residue.deltas[m], b->residue.ndeltas);
            fprintf(f, " %s are not accounted for by importing its "
                "modules\n", metric_noun((enum metric)m));
            own = 1;
        }
    }
    if (b->nculprits == 0 && own) {
        fprintf(f, "refhunt: %s leaks in its own code: importing its "
            "modules alone does not leak\n", disc->name);
    } else if (own) {
        fprintf(f, "refhunt: %s leaks in its own code too: its imports do "
            "not account for all of its leak\n", disc->name);
    } else {
        fprintf(f, "refhunt: %s: importing its modules accounts for all of "
            "its leak\n", disc->name);
    }
}

static void
text_report(const struct bisection *b, const struct hunt *disc, FILE *f)
{
    const struct culprit *c;
    const char *why;
    char *line;
    int i, m, ngroups = 0, nadds = 0, n;

    for (i = 0; i < b->nculprits; i++) {
        c = &b->culprits[i];
        ngroups += c->group.n > 0;
        nadds += c->adds;
        if (c->adds) {
            continue;
        }
        if (c->group.n > 0) {
            fputs("refhunt: ", f);
            text_put_name(c->item, f);
            fprintf(f, " leaks only together with %d %s%s before it:\n",
                c->group.n, item_kind(b), c->group.n == 1 ? "" : "s");
            print_names(f, "  ", &c->group);
        }
        for (m = 0; m < METRIC_COUNT; m++) {
            if (c->view.leaked[m]) {
                leak_line(&c->view, m, f);
            }
        }
        print_names(f, "  leaking through it too: ", &c->through);
    }
    for (i = 0; i < b->nculprits; i++) {
        c = &b->culprits[i];
        for (m = 0; c->adds && m < METRIC_COUNT; m++) {
            if (!c->view.leaked[m]) {
                continue;
            }
            fputs("refhunt: ", f);
            text_put_name(c->item, f);
            fputs(" adds ", f);
            print_deltas(f, c->view.deltas[m], c->view.ndeltas);
            fprintf(f, " %s to the culprits before it, and does not leak "
                "on its own\n", metric_noun((enum metric)m));
        }
    }
    for (i = 0; i < b->nfailures; i++) {
        line = report_last_line(b->failures[i].message);
        fprintf(f, "refhunt: %s ", item_kind(b));
        text_put_name(b->failures[i].item, f);
        fprintf(f, " fails on its own: %s\n", line);
        free(line);
        print_names(f, "  left out with it (they import it): ",
            &b->failures[i].with);
    }
    if (b->own != NULL && b->own->status == STATUS_LEAK) {
        own_text(b, disc, f);
    } else if (b->own != NULL && b->own->status != STATUS_CLEAN) {
        line = report_last_line(b->own->message);
        why = b->own->reason != NULL ? b->own->reason : line;
        fprintf(f, "refhunt: %s itself: %s%s%s\n", disc->name,
            status_name(b->own->status), why[0] != '\0' ? ": " : "", why);
        free(line);
    }
    floor_text(b, f);
    if (b->together) {
        fprintf(f, "refhunt: the %ss leak together but none was isolated\n",
            item_kind(b));
    }
    n = b->nculprits - ngroups - nadds;
    fprintf(f, "refhunt: %s: bisect %s: %d %s%s, %d culprit%s", disc->name,
        b->st->bisect == BISECT_IMPORTS ? "imports" : "tests", b->discovered,
        item_kind(b), b->discovered == 1 ? "" : "s", n,
        n == 1 ? "" : "s");
    if (ngroups > 0) {
        fprintf(f, ", %d leaking group%s", ngroups, ngroups == 1 ? "" : "s");
    }
    fprintf(f, " (%d probe%s, %d rounds, %.1f s)%s\n", b->probes,
        b->probes == 1 ? "" : "s", b->rounds, clock_now() - b->started,
        supervise_interrupted() ? "; interrupted: the search is not "
        "complete" : "");
}

static void
json_names(FILE *f, const struct names *ns)
{
    int i;

    fputc('[', f);
    for (i = 0; i < ns->n; i++) {
        fputs(i > 0 ? ", " : "", f);
        json_text(f, ns->name[i]);
    }
    fputc(']', f);
}

/* {"module": NAME, "leaks": [...], "deltas": {...}, without the closing
 * brace: a culprit or an addition goes on from there. */
static void
json_culprit(FILE *f, const struct bisection *b, const struct culprit *c)
{
    fprintf(f, "{\"%s\": ", item_kind(b));
    json_text(f, c->item);
    fputs(", ", f);
    json_leaks_deltas(f, &c->view);
}

static void
json_report(const struct bisection *b, const struct hunt *disc,
    enum status status, FILE *f)
{
    const struct culprit *c;
    int i, more;

    fprintf(f, "{\n  \"target\": ");
    json_text(f, disc->name);
    fprintf(f, ",\n  \"bisect\": \"%s\",\n  \"status\": \"%s\",\n"
        "  \"exit_status\": %d,\n  \"items\": %d,\n  \"culprits\": [",
        b->st->bisect == BISECT_IMPORTS ? "imports" : "tests",
        status_name(status), status_exit(status, supervise_interrupted()),
        b->discovered);
    for (i = 0, more = 0; i < b->nculprits; i++) {
        c = &b->culprits[i];
        if (c->adds) {
            continue;
        }
        fputs(more++ > 0 ? ",\n    " : "\n    ", f);
        json_culprit(f, b, c);
        fprintf(f, ", \"through\": ");
        json_names(f, &c->through);
        fprintf(f, ", \"group\": ");
        json_names(f, &c->group);
        fputc('}', f);
    }
    fprintf(f, "%s],\n  \"additions\": [", more > 0 ? "\n  " : "");
    for (i = 0, more = 0; i < b->nculprits; i++) {
        c = &b->culprits[i];
        if (!c->adds) {
            continue;
        }
        fputs(more++ > 0 ? ", " : "", f);
        json_culprit(f, b, c);
        fputc('}', f);
    }
    fprintf(f, "],\n  \"failures\": [");
    for (i = 0; i < b->nfailures; i++) {
        fprintf(f, "%s{\"%s\": ", i > 0 ? ", " : "", item_kind(b));
        json_text(f, b->failures[i].item);
        fprintf(f, ", \"message\": ");
        json_text(f, b->failures[i].message);
        fprintf(f, ", \"with\": ");
        json_names(f, &b->failures[i].with);
        fputc('}', f);
    }
    fprintf(f, "],\n  \"own_code\": ");
    if (b->own != NULL && b->own->status == STATUS_LEAK) {
        /* what the imports do not account for, and the whole */
        fputc('{', f);
        json_leaks_deltas(f, &b->residue);
        fprintf(f, ", \"target\": {");
        json_leaks_deltas(f, b->own);
        fputs("}}", f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\n  \"suite_loaded\": ");
    if (b->floor != NULL && !probe_failed(b->floor)) {
        fputc('{', f);
        json_leaks_deltas(f, b->floor);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\n  \"message\": ");
    json_text(f, disc->status != STATUS_CLEAN ? disc->message : NULL);
    fprintf(f, ",\n  \"together\": %s,\n  \"probes\": %d,\n  \"rounds\": %d,"
        "\n  \"seconds\": %.2f,\n  \"mode\": \"%s\"\n}\n",
        b->together ? "true" : "false", b->probes, b->rounds,
        clock_now() - b->started, mode_name(probe_mode(b)));
}

/* What the finished search found: its status. */
static enum status
outcome(const struct bisection *b)
{
    int i;

    if (supervise_interrupted()) {
        return STATUS_INTERRUPTED;
    }
    for (i = 0; i < b->nculprits; i++) {
        if (!b->culprits[i].adds) {
            return STATUS_LEAK;
        }
    }
    if (b->together) {
        return STATUS_LEAK;
    }
    if (b->broken) {
        return STATUS_ERROR;
    }
    return b->own != NULL ? b->own->status : STATUS_CLEAN;
}

/* What the --json report is made of. */
struct bisect_report {
    const struct bisection *b;
    const struct hunt *disc;
    enum status     status;
};

static void
write_json(FILE *f, const void *arg)
{
    const struct bisect_report *r = arg;

    json_report(r->b, r->disc, r->status, f);
}

/* --json, if asked for, and the text: 0, or 1 (and why, on stderr). */
static int
report_file(const struct bisection *b, const struct hunt *disc,
    enum status status, FILE *text)
{
    struct bisect_report r = { b, disc, status };

    return pipeline_write(b->st, text, &(struct pipeline_files){
        write_json, NULL, NULL, &r });
}

int
bisect_main(const struct settings *st, const char *exe)
{
    struct bisection b;
    struct hunt *disc, *pass = NULL;
    FILE *text = pipeline_text(st);
    enum status status;
    char *last;
    int exit_status, i, m;

    memset(&b, 0, sizeof b);
    b.st = st;
    b.exe = exe;
    b.started = clock_now();
    if (st->bisect == BISECT_TESTS && probe_mode(&b) == MODE_LOOP) {
        pass = per_test_run(&b);
    }
    if (pass != NULL && per_test_listed(pass)) {
        disc = hunt_new(st);    /* the pass listed the tests */
        for (i = 0; i < pass->found.n; i++) {
            names_add(&disc->found, pass->found.name[i]);
        }
    } else {
        disc = discover(st, st->bisect == BISECT_IMPORTS ?
            TASK_LIST_IMPORTS : TASK_LIST_TESTS, exe);
    }
    if (disc->status != STATUS_CLEAN) {
        /* the target itself fails: nothing to bisect, and the reports
         * say why */
        status = disc->status;
        last = report_last_line(disc->message);
        fprintf(text, "refhunt: %s: bisect %s: %s: %s\n", disc->name,
            st->bisect == BISECT_IMPORTS ? "imports" : "tests",
            st->bisect == BISECT_IMPORTS ? "the target's first run failed" :
            "cannot list the tests", disc->reason != NULL ? disc->reason :
            last);
        free(last);
        if (st->quiet) {
            report_message(disc->message, text);
        }
        exit_status = pipeline_exit(report_file(&b, disc, status, text),
            status_exit(status, disc->signal));
        hunt_free(disc);
        hunt_free(pass);
        free(b.pass_settings);
        return exit_status;
    }
    b.items = disc->found;
    b.by = disc->found_by;
    b.paths = disc->paths;
    disc->paths = (struct names){ NULL, 0 };
    disc->found = (struct names){ NULL, 0 };
    disc->found_by = NULL;
    b.discovered = b.items.n;
    for (i = 0; b.by != NULL && i < b.items.n; i++) {
        /* an importer completes later: no link back, no cycle */
        b.by[i] = b.by[i] > i && b.by[i] < b.items.n ? b.by[i] : -1;
    }
    if (st->bisect == BISECT_TESTS && probe_mode(&b) != MODE_LOOP &&
        strcmp(st->target, "unittest") == 0) {
        /* each round a new interpreter imports the suite again: what
         * that leaks is measured once, and no test is charged with it */
        b.floor_probes = 1;
        b.floor = probe(&b, NULL, 0);
        if (probe_failed(b.floor)) {
            b.broken = 1;
        }
    }
    if (pass == NULL || !per_test_listed(pass) || !per_test_pass(&b, pass)) {
        search(&b);
    }
    hunt_free(pass);
    b.together = b.nculprits == 0 && b.whole_leaked &&
        !supervise_interrupted() && !b.broken;
    if (st->bisect == BISECT_IMPORTS && !supervise_interrupted() &&
        !b.broken) {
        /* does the target leak more than its imports, in its own code? */
        b.own = probe(&b, NULL, -1);
        if (b.own->status == STATUS_LEAK) {
            b.residue = increment(b.own, b.all);
        }
    }
    status = outcome(&b);
    text_report(&b, disc, text);
    exit_status = pipeline_exit(report_file(&b, disc, status, text),
        status_exit(status, supervise_interrupted()));
    for (i = 0; i < b.nculprits; i++) {
        for (m = 0; m < METRIC_COUNT; m++) {
            free(b.culprits[i].view.deltas[m]);
        }
        free_probe(b.culprits[i].hunt);
        free_probe(b.culprits[i].alone);
        names_clear(&b.culprits[i].group);
        names_clear(&b.culprits[i].through);
    }
    for (i = 0; i < b.nfailures; i++) {
        free(b.failures[i].item);
        free(b.failures[i].message);
        names_clear(&b.failures[i].with);
    }
    for (m = 0; b.own != NULL && b.own->status == STATUS_LEAK &&
        m < METRIC_COUNT; m++) {
        free(b.residue.deltas[m]);
    }
    free_probe(b.own);      /* after the residue: its status says whether */
    free_probe(b.all);
    free_probe(b.floor);
    free(b.pass_settings);
    free(b.known);
    free(b.culprits);
    free(b.failures);
    free(b.by);
    names_clear(&b.items);
    names_clear(&b.paths);
    hunt_free(disc);
    return exit_status;
}
