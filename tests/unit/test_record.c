/* test_record.c: the worker's records survive the trip, bad ones do not
 * pass. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "record.h"

static int
parses(const char *line, struct record *r)
{
    char *cause = NULL;
    int rc = record_parse(line, r, &cause);

    if (rc != 0) {
        CHECK(cause != NULL && strstr(cause, "malformed record") != NULL);
    }
    free(cause);
    return rc == 0;
}

static void
check_roundtrip(const char *text)
{
    char *esc = record_escape(text), *back = record_unescape(esc);

    CHECK(strchr(esc, '\n') == NULL && strchr(esc, '\r') == NULL);
    CHECK_STR(back, text);
    free(esc);
    free(back);
}

int
main(void)
{
    struct record r;

    check_roundtrip("");
    check_roundtrip("plain text");
    check_roundtrip("Traceback:\n  File \"x.py\", line 1\nValueError: a\\b\n");
    check_roundtrip("tab\there\rcr \x01\x1f\x7f \\n literal");
    check_roundtrip("\xc3\xa9 \xff non-UTF-8 bytes pass as they are");

    CHECK(parses("hello 3.11.2 1 1 0 pymalloc", &r));
    CHECK(r.type == RECORD_HELLO && r.debug && r.refs_available);
    CHECK(!r.free_threaded);
    CHECK_STR(r.text, "3.11.2");
    CHECK_STR(r.extra, "pymalloc");
    record_clear(&r);
    CHECK(parses("hello 3.13.5 1 1 1 allocator-hook", &r));
    CHECK(r.type == RECORD_HELLO && r.free_threaded);
    CHECK_STR(r.extra, "allocator-hook");
    record_clear(&r);

    CHECK(parses("calibration - 1922 0 -", &r));
    CHECK(r.type == RECORD_CALIBRATION);
    CHECK(r.counter[METRIC_REFS] == COUNTER_NONE);
    CHECK(r.counter[METRIC_BLOCKS] == 1922 && r.counter[METRIC_FDS] == 0);
    CHECK(r.counter[METRIC_OBJECTS] == COUNTER_NONE);

    CHECK(parses("phase 2 collect", &r));
    CHECK(r.type == RECORD_PHASE && r.round == 2 && r.phase == PHASE_COLLECT);

    CHECK(parses("counters 6 -5 472 6 31", &r));
    CHECK(r.type == RECORD_COUNTERS && r.round == 6);
    CHECK(r.counter[METRIC_REFS] == -5 && r.counter[METRIC_FDS] == 6);
    CHECK(r.counter[METRIC_OBJECTS] == 31);

    CHECK(parses("fail 2 run line one\\nZeroDivisionError: x y", &r));
    CHECK(r.type == RECORD_FAIL && r.round == 2 && r.phase == PHASE_RUN);
    CHECK_STR(r.text, "line one\nZeroDivisionError: x y");
    record_clear(&r);

    CHECK(parses("growth 4 120 3 mymod.Node", &r));
    CHECK(r.type == RECORD_GROWTH && r.round == 4 && r.value[0] == 120 &&
        r.value[1] == 3);
    CHECK_STR(r.text, "mymod.Node");
    record_clear(&r);
    CHECK(parses("trace 5 2 128 app.py:12\\nlib.py:3", &r));
    CHECK(r.type == RECORD_TRACE && r.value[0] == 2 && r.value[1] == 128);
    CHECK_STR(r.text, "app.py:12\nlib.py:3");
    record_clear(&r);
    CHECK(parses("explain object 1 function f", &r));
    CHECK(r.type == RECORD_EXPLAIN && r.kind == EXPLAIN_OBJECT &&
        r.value[0] == 1);
    CHECK_STR(r.text, "function f");
    record_clear(&r);
    CHECK(parses("explain done 120 time limit of 10 s reached", &r));
    CHECK(r.kind == EXPLAIN_DONE && r.value[0] == 120);
    record_clear(&r);
    CHECK(parses("share 3 11 22 3 -", &r) && r.type == RECORD_SHARE &&
        r.round == 3 &&
        r.counter[METRIC_BLOCKS] == 22 &&
        r.counter[METRIC_OBJECTS] == COUNTER_NONE);
    record_clear(&r);
    CHECK(parses("test test_x.T.test_a", &r) && r.type == RECORD_TEST);
    record_clear(&r);
    CHECK(parses("import 7 markupsafe._speedups", &r));
    CHECK(r.type == RECORD_IMPORT && r.value[0] == 7);
    CHECK_STR(r.text, "markupsafe._speedups");
    record_clear(&r);
    CHECK(parses("import -1 json", &r) && r.value[0] == -1);
    record_clear(&r);
    CHECK(parses("path /srv/my app\\x01", &r) && r.type == RECORD_PATH);
    CHECK_STR(r.text, "/srv/my app\x01");
    record_clear(&r);

    CHECK(parses("end", &r) && r.type == RECORD_END);

    /* What a corrupted channel looks like is never taken for a record. */
    CHECK(!parses("", &r));
    CHECK(!parses("garbage", &r));
    CHECK(!parses("endless", &r));
    CHECK(!parses("end now", &r));
    CHECK(!parses("phase x init", &r));
    CHECK(!parses("phase 1 bogus", &r));
    CHECK(!parses("phase 1 run extra", &r));
    CHECK(!parses("phase -1 run", &r));
    CHECK(!parses("counters 1 a 2 3 4", &r));
    CHECK(!parses("counters 1 1 2 3", &r));
    CHECK(!parses("counters 1 99999999999999999999 2 3 -", &r));
    CHECK(!parses("counters 1 -9223372036854775808 2 3 -", &r));
    CHECK(!parses("counters 1 281474976710657 2 3 -", &r));     /* 2^48 + 1 */
    CHECK(parses("counters 1 -281474976710656 2 3 -", &r));
    CHECK(!parses("counters 1 1 2 3 4 5", &r));
    CHECK(!parses("fail 1 run", &r));
    CHECK(!parses("fail one run text", &r));
    CHECK(!parses("hello 3.11 2 1 pymalloc", &r));
    CHECK(!parses("hello 3.11 1 1", &r));
    CHECK(!parses("hello 3.11 1 1 pymalloc", &r));         /* 3 flags */
    CHECK(!parses("hello 3.11 1 1 2 pymalloc", &r));
    CHECK(!parses("calibration 1 2 3", &r));
    CHECK(!parses("phase 1 run\nend", &r));
    CHECK(!parses("growth 1 x 3 T", &r));
    CHECK(!parses("growth 1 - 3 T", &r));
    CHECK(!parses("trace 1 2", &r));
    CHECK(!parses("explain why 0 x", &r));
    CHECK(!parses("explain object - x", &r));
    CHECK(!parses("explain object 1", &r));
    CHECK(!parses("share 2", &r));
    CHECK(!parses("share 11 22 3 -", &r));      /* no round */
    CHECK(!parses("share", &r));
    CHECK(!parses("module json", &r));      /* no more: share.c keeps them */
    CHECK(!parses("import json", &r));
    CHECK(!parses("import -2 json", &r));
    CHECK(!parses("import x json", &r));
    CHECK(!parses("import 1 a b", &r));
    CHECK(!parses("path", &r));
    return check_result("test_record");
}
