/* hunt.c: one hunt of one target, and the names of its parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt.h"
#include "xmalloc.h"

struct hunt *
hunt_new(const struct settings *st)
{
    struct hunt *h = xcalloc(1, sizeof *h);
    char *next;
    int i, m;

    h->settings = st;
    switch (st->kind) {
    case TARGET_SCRIPT:
        h->name = xstrdup(st->target);
        break;
    case TARGET_MODULE:
        h->name = xasprintf("-m %s", st->target);
        break;
    case TARGET_CODE:
        h->name = xstrdup("-c");    /* the code itself may be long */
        break;
    }
    /* with the arguments: "-m unittest tests.test_a" is one target of
     * several */
    for (i = 0; st->kind != TARGET_SCRIPT && i < st->nargs; i++) {
        next = xasprintf("%s %s", h->name, st->args[i]);
        free(h->name);
        h->name = next;
    }
    h->nrounds = st->warmups + st->tracked;
    h->rounds = xcalloc((size_t)h->nrounds, sizeof *h->rounds);
    for (i = 0; i < h->nrounds; i++) {
        for (m = 0; m < METRIC_COUNT; m++) {
            h->rounds[i].counter[m] = COUNTER_NONE;
        }
    }
    h->exit_code = -1;
    return h;
}

void
names_add(struct names *ns, const char *name)
{
    ns->name = xreallocarray(ns->name, (size_t)ns->n + 1, sizeof *ns->name);
    ns->name[ns->n++] = xstrdup(name);
}

/* An import record: a module, and the index of the one that imported it
 * (a later record, or -1). */
void
hunt_add_import(struct hunt *h, const char *name, int by)
{
    h->found_by = xreallocarray(h->found_by, (size_t)h->found.n + 1,
        sizeof *h->found_by);
    h->found_by[h->found.n] = by;
    names_add(&h->found, name);
}

int
names_has(const struct names *ns, const char *name)
{
    int i;

    for (i = 0; i < ns->n; i++) {
        if (strcmp(ns->name[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

void
names_clear(struct names *ns)
{
    int i;

    for (i = 0; i < ns->n; i++) {
        free(ns->name[i]);
    }
    free(ns->name);
    ns->name = NULL;
    ns->n = 0;
}

void
hunt_free(struct hunt *h)
{
    int i, j, m;

    if (h == NULL) {
        return;
    }
    for (i = 0; i < h->nrounds; i++) {
        for (j = 0; j < h->rounds[i].ngrowth; j++) {
            free(h->rounds[i].growth[j].type);
        }
        for (j = 0; j < h->rounds[i].ntrace; j++) {
            free(h->rounds[i].trace[j].where);
        }
        free(h->rounds[i].growth);
        free(h->rounds[i].trace);
    }
    names_clear(&h->found);
    for (i = 0; i < h->tests.n; i++) {
        hunt_free(h->tests.hunt[i]);
    }
    free(h->tests.hunt);
    free(h->outcome);
    free(h->found_by);
    names_clear(&h->paths);
    names_clear(&h->untrusted);
    for (j = 0; j < h->nexplained; j++) {
        free(h->explained[j].object);
        free(h->explained[j].chain);
        free(h->explained[j].cycle);
        free(h->explained[j].cache);
    }
    free(h->explained);
    free(h->explain_note);
    for (m = 0; m < METRIC_COUNT; m++) {
        free(h->deltas[m]);
        free(h->import_deltas[m]);
    }
    free(h->name);
    free(h->python.version);
    free(h->python.blocks_source);
    free(h->rounds);
    free(h->message);
    free(h->note);
    free(h->reason);
    free(h->output_tail);
    free(h->kept_out);
    free(h->owned_target);
    free(h->owned_args);
    free(h->owned_settings);
    free(h->kept_err);
    free(h);
}

void
hunt_set_error(struct hunt *h, const char *cause)
{
    h->status = STATUS_ERROR;
    free(h->reason);
    free(h->message);
    h->reason = xstrdup(cause);
    h->message = xstrdup(cause);
}
