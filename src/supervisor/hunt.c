/* hunt.c: one hunt of one target, and the names of its parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt.h"
#include "utf8.h"
#include "xmalloc.h"

/* -c code in a name: its lines joined by "; ", at most this many bytes. */
#define CODE_SHOWN 40

/* The code of -c for a name: one line, shortened (at a UTF-8 character's
 * start) with "..." when long. */
static char *
short_code(const char *code)
{
    size_t len = strlen(code), n = 0, i, cut;
    char *out = xmalloc(len * 2 + 4);
    const char *line = code, *end;

    while (*line != '\0') {
        end = line + strcspn(line, "\n");
        while (line < end && (*line == ' ' || *line == '\t')) {
            line++;
        }
        i = (size_t)(end - line);
        while (i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t' ||
            line[i - 1] == '\r')) {
            i--;
        }
        if (i > 0) {
            if (n > 0) {
                memcpy(out + n, "; ", 2);
                n += 2;
            }
            memcpy(out + n, line, i);
            n += i;
        }
        line = *end == '\n' ? end + 1 : end;
    }
    out[n] = '\0';
    if (n > CODE_SHOWN) {
        cut = CODE_SHOWN - 3;
        while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80) {
            cut--;
        }
        memcpy(out + cut, "...", 4);
    }
    return out;
}

char *
target_name(const struct settings *st, int quoted)
{
    char *name, *word, *next, *code;
    int i;

    switch (st->kind) {
    case TARGET_SCRIPT:
        return quoted ? text_word(st->target) : xstrdup(st->target);
    case TARGET_MODULE:
        word = quoted ? text_word(st->target) : xstrdup(st->target);
        name = xasprintf("-m %s", word);
        free(word);
        break;
    case TARGET_CODE:
    default:
        if (!quoted) {
            name = xstrdup("-c");
            break;
        }
        code = quoted == 2 ? xstrdup(st->target) : short_code(st->target);
        word = text_word(code);
        name = xasprintf("-c %s", word);
        free(code);
        free(word);
        break;
    }
    /* with the arguments: "-m unittest tests.test_a" is one target of
     * several */
    for (i = 0; i < st->nargs; i++) {
        word = quoted ? text_word(st->args[i]) : xstrdup(st->args[i]);
        next = xasprintf("%s %s", name, word);
        free(name);
        free(word);
        name = next;
    }
    return name;
}

struct hunt *
hunt_new(const struct settings *st)
{
    struct hunt *h = xcalloc(1, sizeof *h);
    int i, m;

    h->settings = st;
    h->name = target_name(st, 1);
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
round_clear(struct round *r)
{
    int j;

    for (j = 0; j < r->ngrowth; j++) {
        free(r->growth[j].type);
    }
    for (j = 0; j < r->ntrace; j++) {
        trace_clear(&r->trace[j]);
    }
    free(r->growth);
    free(r->trace);
    memset(r, 0, sizeof *r);
}

void
hunt_free(struct hunt *h)
{
    int i, j, m;

    if (h == NULL) {
        return;
    }
    for (i = 0; i < h->nrounds; i++) {
        round_clear(&h->rounds[i]);
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
    spooled_free(&h->kept_out);
    free(h->import_share_lost);
    hunt_free(h->share);
    free(h->owned_target);
    free(h->owned_args);
    free(h->owned_settings);
    spooled_free(&h->kept_err);
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

struct settings *
hunt_helper_settings(const struct settings *st)
{
    struct settings *ps = xmalloc(sizeof *ps);

    *ps = *st;
    ps->json_path = NULL;
    ps->junit_path = NULL;
    ps->write_baseline_path = NULL;
    ps->quiet = 1;
    ps->verbose = 0;
    ps->show_growth = 0;
    ps->trace_blocks = 0;
    ps->explain = 0;
    ps->bisect = BISECT_NONE;
    ps->no_import_share = 1;
    return ps;
}

void
trace_add_type(struct trace *t, char *type, int64_t count)
{
    t->types = xreallocarray(t->types, (size_t)t->ntypes + 1,
        sizeof *t->types);
    t->types[t->ntypes++] = (struct trace_type){ type, count };
}

void
trace_clear(struct trace *t)
{
    int i;

    for (i = 0; i < t->ntypes; i++) {
        free(t->types[i].type);
    }
    free(t->types);
    free(t->where);
}

struct hunt *
hunt_discovery(const struct settings *st, enum worker_task task)
{
    struct settings *ds = xmalloc(sizeof *ds);
    struct hunt *h;

    *ds = *st;
    ds->per_test = 0;
    ds->mode = MODE_REINIT;
    ds->warmups = 1;        /* the worker runs it once, whatever these say */
    ds->tracked = 1;
    ds->show_growth = 0;
    ds->trace_blocks = 0;
    ds->explain = 0;
    h = hunt_new(ds);
    h->owned_settings = ds;
    h->task = task;
    return h;
}
