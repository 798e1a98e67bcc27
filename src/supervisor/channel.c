/* channel.c: the worker's record stream, applied to its hunt. */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "importshare.h"
#include "record.h"
#include "xmalloc.h"


void
buffer_add(struct buffer *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xreallocarray(b->data, b->cap, 1);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
channel_init(struct channel *c, struct hunt *h)
{
    memset(c, 0, sizeof *c);
    c->h = h;
    c->cur = h;
}

void
channel_free(struct channel *c)
{
    free(c->partial.data);
    c->partial.data = NULL;
    c->partial.len = c->partial.cap = 0;
}

static void
corrupt(struct channel *c, char *why)
{
    free(c->h->message);
    c->h->message = xasprintf("the worker's report channel was corrupted "
        "(%s)", why);
    free(why);
    c->corrupted = 1;
}

static int
all_measured(const struct hunt *h)
{
    return h->nrounds > 0 && h->rounds[h->nrounds - 1].measured;
}

/* Whether the record may come now; NULL, or what is wrong with it. */
static const char *
out_of_order(const struct channel *c, const struct record *r)
{
    const struct hunt *h = c->cur;     /* the rounds under way */
    int cur = h->started, open = cur > 0 && !h->rounds[cur - 1].measured;

    if (h->finished) {
        return "a record after end";
    }
    if (!c->hello || r->type == RECORD_HELLO) {
        return c->hello ? "a second hello" :
            r->type != RECORD_HELLO ? "no hello first" : NULL;
    }
    switch (r->type) {
    case RECORD_PHASE:
        if (r->round == 0) {
            return all_measured(h) ? NULL : "a calibration round too early";
        }
        if ((r->round == cur && open) || (r->round == cur + 1 && !open &&
            r->round <= h->nrounds && !h->calibrating)) {
            return NULL;
        }
        /* subinterp and loop: the main interpreter ends after the last
         * round (and its calibration) */
        if (r->round == h->nrounds && all_measured(h) &&
            r->phase == PHASE_FINALIZE && h->settings->mode != MODE_REINIT) {
            return NULL;
        }
        return "a round out of turn";
    case RECORD_GROWTH:
        return r->round == cur && open ? NULL :
            "findings of a round not under way";
    case RECORD_TRACE:
        /* after the rounds: what each tracked round left alive */
        return r->round >= 1 && r->round <= cur && !open &&
            !h->calibrating ? NULL : "sites of a round not finished";
    case RECORD_TRACETYPE:
        /* of the site sent last for that round */
        return r->round >= 1 && r->round <= cur && !open &&
            !h->calibrating && h->rounds[r->round - 1].ntrace > 0 ? NULL :
            "types of no site";
    case RECORD_EXPLAIN:
        /* the last round's, before its counters record; --per-test: the
         * current test's last run's */
        if (cur != h->nrounds || !open || !h->settings->explain ||
            h->explain_done || (h->settings->per_test && c->cur == c->h)) {
            return "an explanation not asked for now";
        }
        return r->kind == EXPLAIN_OBJECT || r->kind == EXPLAIN_DONE ||
            h->nexplained > 0 ? NULL : "an explanation without its object";
    case RECORD_UNTRUSTED:
        return NULL;
    case RECORD_SHARE:
        /* reinit: after the hunt's rounds and their calibration; its
         * import round then, or a warm-up with a round before it */
        return h->task == TASK_HUNT && h->settings->mode == MODE_REINIT &&
            !h->settings->per_test && !h->settings->no_import_share &&
            h->share == NULL && all_measured(h) && !h->calibrating &&
            (r->round == 0 || (r->round >= 2 &&
            r->round <= h->settings->warmups)) ? NULL :
            "an import share not asked for now";
    case RECORD_PATH:
    case RECORD_TEST:
    case RECORD_IMPORT:
        return h->task != TASK_HUNT || (r->type == RECORD_TEST &&
            h->settings->per_test && c->cur == c->h) ? NULL :
            "names from a worker not asked for them";
    case RECORD_TESTBEGIN:
        return h->settings->per_test && c->cur == c->h && open ? NULL :
            "a test out of turn";
    case RECORD_TESTEND:
        return c->cur != c->h ? NULL : "the end of a test not under way";
    case RECORD_TESTAGAIN:
        /* the rounds before ROUND kept, all measured */
        return c->cur != c->h && h->nexplained == 0 && r->round >= 1 &&
            r->round <= h->nrounds && r->round <= cur + 1 && !open &&
            (r->round == 1 || h->rounds[r->round - 2].measured) ? NULL :
            "a test again that is not under way";
    case RECORD_COUNTERS:
        return r->round == cur && open && !h->calibrating ? NULL :
            "counters of a round not under way";
    case RECORD_FAIL:
        if (c->cur != c->h && c->cur != c->h->share) {
            return "a failure inside a test";
        }
        return (r->round == 0 && h->calibrating) ||
            (r->round == cur && r->round > 0 && !h->calibrating) ? NULL :
            "a failure of a round not under way";
    case RECORD_CALIBRATION:
        if (c->cur == c->h->share) {
            return "a calibration of the import share";    /* the hunt's */
        }
        /* FALLTHROUGH */
    case RECORD_END:
        /* --per-test: the worker's own round 1 holds the tests */
        if (h->settings->per_test) {
            return r->type == RECORD_END && c->cur == c->h ? NULL :
                "the end inside a test";
        }
        /* a discovery worker runs once, measures nothing */
        return all_measured(h) || h->task != TASK_HUNT ? NULL :
            "the end before the last round";
    case RECORD_HELLO:
        break;
    }
    return NULL;
}

/* --per-test: a test starts; its runs are the rounds that follow. */
static void
test_begin(struct channel *c, struct record *r)
{
    struct hunt *h = c->h, *t = hunt_new(h->settings);

    t->test_ids = h->test_ids;     /* tells its worker apart */
    free(t->name);
    t->name = r->text;
    r->text = NULL;
    t->python = (struct python_info){ xstrdup(h->python.version),
        h->python.debug, h->python.refs_available, h->python.free_threaded,
        xstrdup(h->python.blocks_source) };
    h->tests.hunt = xreallocarray(h->tests.hunt, (size_t)h->tests.n + 1,
        sizeof *h->tests.hunt);
    h->tests.hunt[h->tests.n++] = t;
    h->tests.open = 1;
    c->cur = t;
    c->starts++;
}

/* It ended: a failure is its status, skipped and xfailed its outcome. */
static void
test_end(struct channel *c, struct record *r)
{
    struct hunt *t = c->cur;

    t->finished = 1;
    if (strcmp(r->extra, "failed") == 0) {
        t->status = STATUS_FAILED;
        t->fail_round = t->started;
        t->fail_phase = t->started > 0 ? t->rounds[t->started - 1].phase :
            PHASE_RUN;
    } else if (strcmp(r->extra, "passed") != 0) {
        t->outcome = r->extra;
        r->extra = NULL;
    }
    if (r->text[0] != '\0') {
        t->message = r->text;
        r->text = NULL;
    }
    c->h->tests.open = 0;
    c->cur = c->h;
}

/* Its runs were a screen that could be a leak: they start again at
 * round `from` (record.h). */
static void
test_again(struct hunt *t, int from)
{
    int i;

    for (i = from - 1; i < t->nrounds; i++) {
        round_clear(&t->rounds[i]);
    }
    t->started = from - 1;
}

/* An explain record: a new object, or one more thing said of the last. */
static void
apply_explain(struct hunt *h, struct record *r)
{
    struct explained *e;
    char **field;

    switch (r->kind) {
    case EXPLAIN_OBJECT:
        h->explained = xreallocarray(h->explained, (size_t)h->nexplained + 1,
            sizeof *h->explained);
        h->explained[h->nexplained++] = (struct explained){ r->text,
            r->value[0], NULL, NULL, NULL };
        r->text = NULL;
        return;
    case EXPLAIN_DONE:
        h->explain_done = 1;
        h->explain_ms = r->value[0];
        h->explain_note = r->text;
        r->text = NULL;
        return;
    case EXPLAIN_CHAIN:
    case EXPLAIN_CYCLE:
    case EXPLAIN_CACHE:
        break;
    }
    e = &h->explained[h->nexplained - 1];
    field = r->kind == EXPLAIN_CHAIN ? &e->chain : r->kind == EXPLAIN_CYCLE ?
        &e->cycle : &e->cache;
    free(*field);
    *field = r->text;
    r->text = NULL;
}

/* hello: the worker's interpreter. */
static void
apply_hello(struct channel *c, struct record *r)
{
    struct python_info *py = &c->cur->python;

    c->hello = 1;
    c->starts++;
    py->version = r->text;
    py->blocks_source = r->extra;
    py->debug = r->debug;
    py->refs_available = r->refs_available;
    py->free_threaded = r->free_threaded;
    r->text = r->extra = NULL;
}

/* phase: a round (or a calibration round, round 0) goes on. */
static void
apply_phase(struct channel *c, const struct record *r)
{
    struct hunt *h = c->cur;

    if (r->phase == PHASE_INIT || r->round > h->started) {
        c->starts++;        /* --timeout is per round */
    }
    c->last_round = r->round;
    c->last_phase = r->phase;
    if (r->round == 0) {
        h->calibrating = 1;
        return;
    }
    h->started = r->round;
    /* (the main interpreter's end after the last round of subinterp and
     * loop modes leaves the measured round as it was) */
    if (!h->rounds[r->round - 1].measured) {
        h->rounds[r->round - 1].phase = r->phase;
    }
}

/* calibration, counters, fail: what the rounds measured, or where the
 * target failed. */
static void
apply_measured(struct channel *c, struct record *r)
{
    struct hunt *h = c->cur;

    switch (r->type) {
    case RECORD_CALIBRATION:
        h->calibrated = 1;
        h->calibrating = 0;
        memcpy(h->calibration, r->counter, sizeof h->calibration);
        break;
    case RECORD_COUNTERS:
        h->rounds[r->round - 1].measured = 1;
        memcpy(h->rounds[r->round - 1].counter, r->counter,
            sizeof h->rounds[r->round - 1].counter);
        break;
    case RECORD_FAIL:
        c->has_fail = 1;
        h->fail_round = r->round;
        h->fail_phase = r->phase;
        if (r->round >= 1) {
            h->rounds[r->round - 1].phase = r->phase;
        }
        free(h->message);
        h->message = r->text;
        r->text = NULL;
        break;
    default:
        break;
    }
}

/* growth, trace: what --show-growth and --trace-blocks found in a
 * round. */
static void
apply_finding(struct hunt *h, struct record *r)
{
    struct round *rd = &h->rounds[r->round - 1];

    if (r->type == RECORD_GROWTH) {
        rd->growth = xreallocarray(rd->growth, (size_t)rd->ngrowth + 1,
            sizeof *rd->growth);
        rd->growth[rd->ngrowth++] = (struct growth){ r->text, r->value[0],
            r->value[1] };
    } else {
        rd->trace = xreallocarray(rd->trace, (size_t)rd->ntrace + 1,
            sizeof *rd->trace);
        rd->trace[rd->ntrace++] = (struct trace){ r->value[0], r->value[1],
            r->text, NULL, 0 };
    }
    r->text = NULL;
}

/* tracetype: of the site a trace record of that round sent last. */
static void
apply_trace_type(struct hunt *h, struct record *r)
{
    struct round *rd = &h->rounds[r->round - 1];

    trace_add_type(&rd->trace[rd->ntrace - 1], r->text, r->value[0]);
    r->text = NULL;
}

/* test, import, path, untrusted: a name a worker found. */
static void
apply_name(struct hunt *h, const struct record *r)
{
    switch (r->type) {
    case RECORD_TEST:
        names_add(&h->found, r->text);
        break;
    case RECORD_IMPORT:
        hunt_add_import(h, r->text, (int)r->value[0]);
        break;
    case RECORD_PATH:
        names_add(&h->paths, r->text);
        break;
    case RECORD_UNTRUSTED:
        if (!names_has(&h->untrusted, r->text)) {
            names_add(&h->untrusted, r->text);
        }
        break;
    default:
        break;
    }
}

/* One record line, into the hunt (or the test) it is about. */
static void
apply(struct channel *c, const char *line)
{
    struct record r;
    const char *wrong;
    char *cause;

    if (record_parse(line, &r, &cause) != 0) {
        corrupt(c, cause);
        return;
    }
    if ((wrong = out_of_order(c, &r)) != NULL) {
        corrupt(c, xasprintf("%s: %.80s", wrong, line));
        record_clear(&r);
        return;
    }
    switch (r.type) {
    case RECORD_HELLO:
        apply_hello(c, &r);
        break;
    case RECORD_TESTBEGIN:
        test_begin(c, &r);
        break;
    case RECORD_TESTEND:
        test_end(c, &r);
        break;
    case RECORD_TESTAGAIN:
        test_again(c->cur, r.round);
        break;
    case RECORD_PHASE:
        apply_phase(c, &r);
        break;
    case RECORD_CALIBRATION:
    case RECORD_COUNTERS:
    case RECORD_FAIL:
        apply_measured(c, &r);
        break;
    case RECORD_GROWTH:
    case RECORD_TRACE:
        apply_finding(c->cur, &r);
        break;
    case RECORD_TRACETYPE:
        apply_trace_type(c->cur, &r);
        break;
    case RECORD_EXPLAIN:
        apply_explain(c->cur, &r);
        break;
    case RECORD_TEST:
    case RECORD_IMPORT:
    case RECORD_PATH:
    case RECORD_UNTRUSTED:
        apply_name(c->cur, &r);
        break;
    case RECORD_SHARE:
        /* the hunt's own records are all in: its share's follow */
        c->cur = importshare_begin(c->h, r.round, r.counter);
        break;
    case RECORD_END:
        c->cur->finished = 1;
        break;
    }
    record_clear(&r);
}

void
channel_feed(struct channel *c, const char *p, size_t n)
{
    struct buffer *b = &c->partial;
    size_t used = 0;
    char *nl;

    if (c->corrupted) {
        return;
    }
    buffer_add(b, p, n);
    while (!c->corrupted &&
        (nl = memchr(b->data + used, '\n', b->len - used)) != NULL) {
        *nl = '\0';
        if (strlen(b->data + used) != (size_t)(nl - b->data) - used) {
            corrupt(c, xstrdup("a NUL byte in a record"));
            break;
        }
        apply(c, b->data + used);
        used = (size_t)(nl - b->data) + 1;
    }
    if (c->corrupted) {
        return;
    }
    memmove(b->data, b->data + used, b->len - used);
    b->len -= used;
    b->data[b->len] = '\0';
    if (b->len > RECORD_LINE_MAX) {
        corrupt(c, xstrdup("a record line without end"));
    }
}
