/* test_pertest.c: --per-test's record stream as the supervisor reads it
 * (each test a hunt of its own), and baseline names. */
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "channel.h"
#include "check.h"
#include "verdict.h"

#define HELLO "hello 3.11.2 1 1 0 pymalloc\nphase 1 init\nphase 1 run\n"
#define RUN(r, c) "phase " #r " run\nphase " #r " collect\nphase " #r   \
    " measure\ncounters " #r " " #c " " #c " 3\n"

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
    return check_result("test_pertest");
}
