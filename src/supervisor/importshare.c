/*
 * importshare.c: import-time against run-time leaks in reinit mode.
 *
 * Most of a reinit leak often comes from merely importing modules
 * (_decimal, _socket, _datetime leak on every initialization in 3.11).
 * When a reinit hunt leaks, one more short hunt imports the modules the
 * target imported (round 1 listed them), by name, nothing else, with as
 * many tracked rounds: its deltas are the import-time share. A target
 * whose leak is all there leaks through its imports (--bisect imports
 * names them); one with none there leaks in its own code.
 *
 * It runs beside the hunt, not after it: as soon as a measured round of
 * the hunt shows growth (a delta not 0), the share starts (when a leak is
 * possible at all, it shows in the first tracked round at the latest).
 * A hunt that ends clean cancels it; one that leaks waits for it. A hunt
 * whose rounds never grow never starts it, so a clean hunt pays nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importshare.h"
#include "verdict.h"
#include "xmalloc.h"

/* Appends s to the code. */
static void
add(char **code, const char *s)
{
    char *next = xasprintf("%s%s", *code, s);

    free(*code);
    *code = next;
}

/* A name or path as a Python bytes literal: any byte is safe. */
static void
add_bytes(char **code, const char *s)
{
    char hex[8];

    add(code, "b'");
    for (; *s != '\0'; s++) {
        snprintf(hex, sizeof hex, "\\x%02x", (unsigned char)*s);
        add(code, hex);
    }
    add(code, "'");
}

/* The code that imports them: the target's sys.path entries first; a
 * module that fails on its own is passed over (its share is unknown). */
static char *
import_code(const struct hunt *h)
{
    char *code = xstrdup("import os, sys\nsys.path[0:0] = map(os.fsdecode, [");
    int i;

    for (i = 0; i < h->paths.n; i++) {
        add(&code, i > 0 ? ", " : "");
        add_bytes(&code, h->paths.name[i]);
    }
    add(&code, "])\nfor name in [");
    for (i = 0; i < h->found.n; i++) {
        add(&code, i > 0 ? ", " : "");
        add_bytes(&code, h->found.name[i]);
    }
    add(&code, "]:\n    try:\n        __import__(name.decode())\n"
        "    except Exception:\n        pass\n");
    return code;
}

/* Whether h is a hunt whose leak would get an import share. */
static int
eligible(const struct hunt *h)
{
    const struct settings *st = h->settings;

    return !st->no_import_share && st->mode == MODE_REINIT &&
        h->task == TASK_HUNT && st->bisect == BISECT_NONE &&
        h->follows == NULL;
}

int
importshare_possible(const struct settings *st)
{
    return !st->no_import_share && st->mode == MODE_REINIT &&
        st->bisect == BISECT_NONE && !st->per_test;
}

/* Whether the last round measured grew from the one before, in a
 * metric: a leak shows so in every tracked round. */
static int
grew(const struct hunt *h)
{
    const struct round *a, *b;
    int k, m;

    for (k = h->nrounds - 1; k >= 1 && !h->rounds[k].measured; k--) {
        ;
    }
    if (k < 1 || !h->rounds[k - 1].measured) {
        return 0;
    }
    a = &h->rounds[k - 1];
    b = &h->rounds[k];
    for (m = 0; m < METRIC_COUNT; m++) {
        if (a->counter[m] != COUNTER_NONE && b->counter[m] != COUNTER_NONE &&
            a->counter[m] != b->counter[m]) {
            return 1;
        }
    }
    return 0;
}

static struct hunt *
share_new(struct hunt *h)
{
    const struct settings *st = h->settings;
    struct settings *ps;
    struct hunt *p;

    ps = hunt_helper_settings(st);
    ps->kind = TARGET_CODE;
    ps->args = NULL;
    ps->nargs = 0;
    ps->warmups = 1;    /* imports leak from round 2 on: enough */
    /* as a bisect probe: finalization collects what one pass leaves */
    ps->gc_passes = ps->gc_passes > 1 ? 1 : ps->gc_passes;
    p = hunt_new(ps);
    p->owned_settings = ps;
    p->owned_target = import_code(h);
    ps->target = p->owned_target;
    p->follows = h;
    h->share = p;
    return p;
}

struct hunt *
importshare_early(struct hunt *h)
{
    if (h->share != NULL || h->finished || h->calibrating || !eligible(h) ||
        !grew(h)) {
        return NULL;
    }
    return share_new(h);
}

struct hunt *
importshare_hunt(struct hunt *h)
{
    if (!eligible(h) || h->status != STATUS_LEAK) {
        if (h->share != NULL) {
            h->share->cancel = 1;   /* the hunt does not wait for it */
        }
        return NULL;
    }
    return h->share != NULL ? NULL : share_new(h);
}

void
importshare_apply(struct hunt *p)
{
    struct hunt *h = p->follows;
    int m;

    verdict_compute(p);
    if (p->status == STATUS_INTERRUPTED) {
        /* refhunt was: the run ends as interrupted, as it would have */
        h->status = STATUS_INTERRUPTED;
        h->signal = p->signal;
    } else if (p->status <= STATUS_LEAK && p->ndeltas == h->ndeltas) {
        for (m = 0; m < METRIC_COUNT; m++) {
            h->import_deltas[m] = xcalloc((size_t)h->ndeltas + 1,
                sizeof *h->import_deltas[m]);
            memcpy(h->import_deltas[m], p->deltas[m],
                (size_t)h->ndeltas * sizeof *h->import_deltas[m]);
        }
    }
}
