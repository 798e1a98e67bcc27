/* test_pertest.c: --per-test's record stream as the supervisor reads it
 * (each test a hunt of its own), and baseline names. */
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "channel.h"
#include "check.h"
#include "testqueue.h"
#include "verdict.h"

#define HELLO "hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nphase 1 run\n"
#define RUN(r, c) "phase " #r " run\nphase " #r " collect\nphase " #r   \
    " measure\ncounters " #r " " #c " " #c " 3 -\n"

static struct settings st = { .warmups = 1, .tracked = 2, .per_test = 1,
    .mode = MODE_LOOP, .kind = TARGET_MODULE, .target = "pytest" };

/* The stream fed in one piece to a fresh hunt; corrupted or not. */
static struct hunt *
feed(const char *text, int *corrupted)
{
    struct hunt *h = hunt_new(&st);
    struct channel c;

    channel_init(&c, h);
    channel_feed(&c, text, strlen(text));
    *corrupted = c.corrupted;
    channel_free(&c);
    return h;
}

static int
sound(const char *text)
{
    int corrupted;

    hunt_free(feed(text, &corrupted));
    return !corrupted;
}

static void
test_stream(void)
{
    int corrupted;
    struct hunt *h = feed(HELLO "test a.py::t1\ntest a.py::t2\ntest a.py::t3\n"
        "testbegin 0 a.py::t1\n" RUN(1, 10) RUN(2, 11) RUN(3, 12)
        "testend passed \n"
        "testbegin 1 a.py::t2\nphase 1 run\n"
        "testend failed assert 1 == 2\\nFAILED a.py::t2\n"
        "testbegin 2 a.py::t3\nphase 1 run\ntestend skipped no reason\n"
        "phase 1 finalize\nend\n", &corrupted);

    CHECK(!corrupted && h->finished);
    CHECK(h->found.n == 3 && h->tests.n == 3 && !h->tests.open);
    CHECK_STR(h->tests.hunt[0]->name, "a.py::t1");
    verdict_compute(h->tests.hunt[0]);
    CHECK(h->tests.hunt[0]->status == STATUS_LEAK);
    CHECK(h->tests.hunt[0]->deltas[METRIC_REFS][1] == 1);
    CHECK(h->tests.hunt[1]->status == STATUS_FAILED &&
        strstr(h->tests.hunt[1]->message, "FAILED a.py::t2") != NULL);
    CHECK(h->tests.hunt[2]->status == STATUS_CLEAN &&
        strcmp(h->tests.hunt[2]->outcome, "skipped") == 0);
    hunt_free(h);

    /* the worker died inside a test: it stays open */
    h = feed(HELLO "test a\ntestbegin 0 a\nphase 1 run\n", &corrupted);
    CHECK(!corrupted && h->tests.open && h->tests.n == 1);
    hunt_free(h);

    /* a screen that could be a leak: the test's runs start again, and
     * those decide */
    h = feed(HELLO "test a\ntestbegin 0 a\n" RUN(1, 10) RUN(2, 11) RUN(3, 12)
        "testagain 1\n" RUN(1, 20) RUN(2, 20) RUN(3, 20)
        "testend passed \n", &corrupted);
    CHECK(!corrupted && h->tests.n == 1 && h->tests.hunt[0]->started == 3);
    verdict_compute(h->tests.hunt[0]);
    CHECK(h->tests.hunt[0]->status == STATUS_CLEAN &&
        h->tests.hunt[0]->deltas[METRIC_REFS][0] == 0);
    hunt_free(h);

    /* or from a later round: the rounds before it kept */
    h = feed(HELLO "test a\ntestbegin 0 a\n" RUN(1, 10) RUN(2, 11) RUN(3, 12)
        "testagain 2\n" RUN(2, 31) RUN(3, 32)
        "testend passed \n", &corrupted);
    CHECK(!corrupted && h->tests.hunt[0]->started == 3);
    verdict_compute(h->tests.hunt[0]);
    CHECK(h->tests.hunt[0]->status == STATUS_LEAK &&
        h->tests.hunt[0]->deltas[METRIC_BLOCKS][0] == 21 &&
        h->tests.hunt[0]->deltas[METRIC_BLOCKS][1] == 1);
    hunt_free(h);

    /* refhunt's own error stopped a test: aborted, no outcome of its */
    h = feed(HELLO "test a\ntestbegin 0 a\n" RUN(1, 10)
        "testend aborted \nfail 1 run refhunt's own cleanup failed\n",
        &corrupted);
    CHECK(!corrupted && h->tests.n == 1 && !h->tests.open &&
        strcmp(h->tests.hunt[0]->outcome, "aborted") == 0);
    hunt_free(h);
}

static void
test_out_of_turn(void)
{
    CHECK(!sound(HELLO "testend passed \n"));           /* no test begun */
    CHECK(!sound(HELLO "testbegin 0 a\ntestbegin 1 b\n"));
    CHECK(!sound(HELLO "testbegin 0 a\nend\n"));        /* end in a test */
    CHECK(!sound(HELLO "testbegin 0 a\nfail 1 run x\n"));
    CHECK(!sound(HELLO "testbegin 0 a\ntestend maybe \n"));
    CHECK(!sound("hello 3.11.2 1 1 0 pymalloc\ntestbegin 0 a\n"));
    CHECK(sound(HELLO "fail 1 run ERROR collecting a.py\n"));
    CHECK(!sound(HELLO "testagain 1\n"));               /* no test begun */
    CHECK(!sound(HELLO "testbegin 0 a\n" RUN(1, 10) "testagain\n"));
    CHECK(!sound(HELLO "testbegin 0 a\n" RUN(1, 10) "testagain 0\n"));
    /* the rounds before it not all measured, or past the last */
    CHECK(!sound(HELLO "testbegin 0 a\n" RUN(1, 10) "testagain 3\n"));
    CHECK(!sound(HELLO "testbegin 0 a\n" RUN(1, 10) RUN(2, 11) RUN(3, 12)
        "testagain 4\n"));
    CHECK(sound(HELLO "testbegin 0 a\n" RUN(1, 10) RUN(2, 11) RUN(3, 12)
        "testagain 3\n" RUN(3, 12)));
}

static void
unit(const char *id, int pytest, const char *want)
{
    CHECK(testqueue_unit(id, pytest) == strlen(want) &&
        strncmp(id, want, strlen(want)) == 0);
}

/* -j in one suite: units that keep fixtures sane, in batches that cover
 * every test once, in order. */
static void
test_queue(void)
{
    static const char *const ids[] = { "t.py::f1", "t.py::f2",
        "t.py::C::a[1]", "t.py::C::a[x::y]", "t.py::D::b", "u.py::f" };
    struct names all = { NULL, 0 }, batch = { NULL, 0 };
    struct testqueue q;
    int k, n = 0, batches = 0;

    for (k = 0; k < 6; k++) {
        names_add(&all, ids[k]);
    }

    unit("t.py::f1", 1, "t.py");
    unit("t.py::C::a[x::y]", 1, "t.py::C");
    unit("t.py::C::D::e", 1, "t.py::C::D");
    unit("::C::a", 1, "::C");
    unit("pkg.mod.Class.test_x", 0, "pkg.mod.Class");
    testqueue_init(&q, &all, 1, 2);
    CHECK(q.nunits == 4);       /* t.py, t.py::C, t.py::D, u.py */
    while (testqueue_take(&q, &batch) == 0) {
        batches++;
        for (k = 0; k < batch.n; k++) {
            CHECK_STR(batch.name[k], ids[n]);
            n++;
        }
        names_clear(&batch);
    }
    CHECK(n == 6 && batches == 4);
    testqueue_free(&q);
    names_clear(&all);
}

/* Batches are guided by the tests left, not the units: a unit of 16
 * tests goes alone, then the 16 one-test modules go 2 and then 1 at a
 * time; and a batch's pytest is told the files of the other batches. */
static void
test_queue_by_tests(void)
{
    static const int sizes[] = { 16, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1 };
    struct names all = { NULL, 0 }, batch = { NULL, 0 },
        other = { NULL, 0 };
    struct testqueue q;
    char id[32];
    int k, batches = 0;

    for (k = 0; k < 16; k++) {
        snprintf(id, sizeof id, "a.py::C::t[%d]", k);
        names_add(&all, id);
    }
    for (k = 0; k < 16; k++) {
        snprintf(id, sizeof id, "m%d.py::f", k);
        names_add(&all, id);
    }
    testqueue_init(&q, &all, 1, 2);
    while (testqueue_take(&q, &batch) == 0) {
        CHECK(batches < 13 && batch.n == sizes[batches]);
        testqueue_other_files(&q, &batch, &other);
        if (batches == 0) {     /* a.py's: every m*.py */
            CHECK(other.n == 16 && strcmp(other.name[0], "m0.py") == 0 &&
                strcmp(other.name[15], "m15.py") == 0);
        } else if (batches == 1) {      /* m0.py and m1.py: a.py, m2.py ... */
            CHECK(other.n == 15 && strcmp(other.name[0], "a.py") == 0 &&
                strcmp(other.name[1], "m2.py") == 0);
        }
        names_clear(&other);
        names_clear(&batch);
        batches++;
    }
    CHECK(batches == 13);
    testqueue_free(&q);
    names_clear(&all);
}

static void
key(const char *name, const char *want)
{
    char *k = baseline_key(name);

    CHECK_STR(k, want);
    free(k);
}

static void
test_baseline_key(void)
{
    key("tests/test_x.py", "tests.test_x");
    key("./tests/test_x.py", "tests.test_x");
    key("-m unittest tests/test_x.py", "-m unittest tests.test_x");
    key("-m  unittest\ttests.test_x", "-m unittest tests.test_x");
    key("tests/test_x.py::TestA::test_b[1]", "tests.test_x.TestA.test_b[1]");
    key("tests/test_x.py::test_b[a/b.py]", "tests.test_x.test_b[a/b.py]");
    key("-c", "-c");
}

int
main(void)
{
    test_stream();
    test_out_of_turn();
    test_baseline_key();
    test_queue();
    test_queue_by_tests();
    return check_result("test_pertest");
}
