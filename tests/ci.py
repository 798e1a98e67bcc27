#!/usr/bin/env python3
"""Runs that fit CI: many targets, shards, JUnit, annotations, baselines.

    ci.py --list                          the test names, one a line
    ci.py REFHUNT FIXTURES PYTHON NAME    run one test (exit 0, 1, or 77)

What a CI job checks: exit statuses, the order and status of every target
in the reports, the JUnit document, the annotation lines, that a baseline
accepts known leaks and not new or grown ones. The helpers are e2e.py's.
"""

import json
import os
import pty
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import e2e
from e2e import Result, expect, expect_gone

TESTS = {}
TARGETS = e2e.TARGETS


def test(func):
    TESTS[func.__name__[len("test_"):]] = func
    return func


def run(*args, env=None, timeout=300):
    """refhunt ARGS in tests/targets, with a JSON report; the result."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "r.json")
        proc = subprocess.run([e2e.REFHUNT, "--json", path] + list(args),
                              capture_output=True, text=True, cwd=TARGETS,
                              env=env or e2e.env(), timeout=timeout)
        report = json.load(open(path)) if os.path.exists(path) else None
    return Result(proc, report)


def statuses(r):
    return [(t["target"], t["status"]) for t in r.json["targets"]]


@test
def test_each_in_order():
    r = run("--each", "-j", "2", "raises.py", "clean.py", "fdleak.py")
    expect(r.rc == 3, "the worst: failed (3)", r)
    expect(statuses(r) == [("raises.py", "failed"), ("clean.py", "clean"),
                           ("fdleak.py", "leak")], "every target, in order", r)
    expect(r.json["exit_status"] == 3, "JSON exit_status is the worst", r)
    verdicts = re.findall(r"^refhunt: (\S+): (\w+)", r.out, re.M)
    expect(verdicts == [("raises.py", "failed"), ("clean.py", "clean"),
                        ("fdleak.py", "leak")], "text in input order", r)
    expect(re.search(r"^refhunt: 3 targets: 1 clean, 2 not \([\d.]+ s, -j 2\)$",
                     r.out, re.M), "a summary line", r)
    r = run("--each", "clean.py", "no_such_script.py")
    expect(r.rc == 2, "a missing script is a usage error: the worst", r)
    expect(statuses(r)[1] == ("no_such_script.py", "error"), "reported", r)
    expect("no_such_script.py: No such file or directory" in r.err,
           "with its message", r)
    r = run("--each", "-j", "1", "clean.py", "clean.py")
    expect(r.rc == 0 and [s for _, s in statuses(r)] == ["clean", "clean"],
           "all clean: exit 0", r)


@test
def test_each_unittest_modules():
    # loop mode: the same verdicts on every version (in reinit, 3.9 leaks
    # through unittest's threading and 3.12 hides a one-block leak)
    r = run("--each", "--mode", "loop", "-m", "unittest", "test_sample",
            "test_leaky_suite")
    expect(r.rc == 1, "one leaks: exit 1", r)
    expect(statuses(r) == [("-m unittest test_sample", "clean"),
                           ("-m unittest test_leaky_suite", "leak")],
           "one target a test module", r)


@test
def test_each_module_options():
    """--each -m: an option of the module is not a target. The args every
    target gets come before '--'; without it, an option is refused."""
    r = run("--each", "--mode", "loop", "-m", "unittest", "-q", "--",
            "test_sample", "test_leaky_suite")
    expect(r.rc == 1, "one leaks: exit 1", r)
    expect(statuses(r) == [("-m unittest -q test_sample", "clean"),
                           ("-m unittest -q test_leaky_suite", "leak")],
           "-q given to each target, and no target of its own", r)
    r = run("--each", "-m", "pytest", "-p", "no:cacheprovider", "a.py",
            "b.py")
    expect(r.rc == 2 and "'-p' is an option, not a target" in r.err and
           "before '--'" in r.err, "refused, and says how", r)
    r = run("--each", "-m", "unittest", "-q", "--")
    expect(r.rc == 2 and "no target after '--'" in r.err, "no target", r)


@test
def test_shard():
    targets = ["clean.py", "fdleak.py", "raises.py", "grows.py", "threads.py"]
    seen = []
    for k in (1, 2, 3):
        r = run("--each", "--shard", "%d/3" % k, "-R", "1:1", *targets)
        part = [t for t, _ in statuses(r)]
        again = [t for t, _ in statuses(run("--each", "--shard", "%d/3" % k,
                                            "-R", "1:1", *targets))]
        expect(part == again, "shard %d/3 is stable" % k, r)
        seen += part
    expect(sorted(seen) == sorted(targets), "the shards cover every target "
           "once: %s" % seen)
    for args, message in ((["--shard", "1/2", "clean.py"], "--shard needs --each"),
                          (["--each", "--shard", "4/3", "clean.py"], "--shard K"),
                          (["--each", "--shard", "x", "clean.py"], "K/N")):
        proc = subprocess.run([e2e.REFHUNT] + args, capture_output=True,
                              text=True, cwd=TARGETS, env=e2e.env())
        expect(proc.returncode == 2 and message in proc.stderr,
               "%s: %r" % (args, proc.stderr))


@test
def test_junit():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "junit.xml")
        r = run("--each", "--junit", path, "clean.py", "fdleak.py", "raises.py")
        root = ET.parse(path).getroot()
        one = os.path.join(tmp, "one.xml")
        single = run("--junit", one, "fdleak.py")
        single_root = ET.parse(one).getroot()
    suite = root.find("testsuite")
    expect(suite.get("tests") == "3" and suite.get("failures") == "2",
           "counts: %s" % suite.attrib, r)
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    expect(list(cases) == ["clean.py", "fdleak.py", "raises.py"], "one a target", r)
    expect(cases["clean.py"].find("failure") is None, "clean passes", r)
    leak = cases["fdleak.py"].find("failure")
    expect(leak.get("type") == "leak" and "leaked [1, 1, 1] file descriptors"
           in leak.text, "a leak is a failure with its deltas", r)
    failed = cases["raises.py"].find("failure")
    expect(failed.get("type") == "failed" and "ValueError" in failed.get("message"),
           "a failure with its message", r)
    expect(single.rc == 1 and single_root.find("testsuite/testcase/failure")
           is not None, "one target: one case", single)


@test
def test_reports_of_a_non_utf8_name():
    """A target whose name is not UTF-8 still gets valid JUnit XML and
    JSON: its bytes become U+FFFD, in both."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp.encode(), b"leak_\xff\xfe.py")
        with open(os.path.join(TARGETS, "fdleak.py"), "rb") as src, \
                open(script, "wb") as dst:
            dst.write(src.read())
        junit = os.path.join(tmp, "j.xml")
        report = os.path.join(tmp, "r.json")
        proc = subprocess.run([e2e.REFHUNT.encode(), b"--junit",
                               junit.encode(), b"--json", report.encode(),
                               b"-R", b"1:1", script], capture_output=True,
                              env=e2e.env(), timeout=300)
        try:
            root = ET.parse(junit).getroot()
        except ET.ParseError as e:
            root = None
            expect(False, "the JUnit report is not XML: %s" % e)
        with open(report, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    expect(proc.returncode in (1, 3), "a verdict (exit %d): %r" % (
        proc.returncode, proc.stderr[-500:]))
    name = root.find("testsuite/testcase").get("name")
    expect("leak_\ufffd\ufffd.py" in name, "the name, cleaned: %r" % name)
    expect("leak_\ufffd\ufffd.py" in data["target"], "in JSON too: %r" %
           data["target"])


@test
def test_github_annotations():
    env = e2e.env(GITHUB_ACTIONS="true")
    r = run("fdleak.py", env=env)
    expect(re.search(r"^::error file=fdleak\.py,title=refhunt%3A leak::fdleak\.py "
                     r"leaked \[1, 1, 1\] file descriptors, sum=3$", r.out, re.M),
           "an error annotation on the script", r)
    r = run("--each", "raises.py", "clean.py", env=env)
    expect(re.search(r"^::error file=raises\.py,title=refhunt%3A failed::raises\.py: "
                     r"ValueError: invariant broken in the target$", r.out, re.M),
           "failures annotated through --each", r)
    r = run("fdleak.py")
    expect("::error" not in r.out, "no annotations outside GitHub Actions", r)


@test
def test_baseline():
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "known.txt")
        r = run("--each", "--write-baseline", base, "clean.py", "fdleak.py")
        lines = [l for l in open(base) if not l.startswith("#")]
        expect(r.rc == 1 and lines == ["names escaped\n", "mode reinit\n",
                                       "fds 1 fdleak.py\n"],
               "the mode and the leak written: %r" % lines, r)
        r = run("--baseline", base, "fdleak.py")
        expect(r.rc == 0 and r.json["status"] == "clean", "a known leak passes", r)
        expect(r.json["known"] == {"fds": 1} and r.json["leaks"] == [],
               "and is listed as known", r)
        expect("(known: the baseline allows 1 a round)" in r.out, "text says so", r)
        r = run("--each", "--baseline", base, "fdleak.py", "grows.py")
        expect(r.rc == 0, "known leaks through --each", r)
        # grown: two fds a round where one is known
        code = "import os\nos.open(os.devnull, 0)\nos.open(os.devnull, 0)"
        with open(base, "w") as f:
            f.write("# known\n\nfds 1 -c\n")
        r = run("--baseline", base, "-c", code)
        expect(r.rc == 1 and r.json["leaks"] == ["fds"], "a grown leak fails", r)
        # new: a metric the baseline does not know
        with open(base, "w") as f:
            f.write("refs 5 -c\n")
        r = run("--baseline", base, "-c", code)
        expect(r.rc == 1 and "fds" in r.json["leaks"], "a new leak fails", r)
        with open(base, "w") as f:
            f.write("fds 1 a.py\nfds lots b.py\n")
        for args in (["fdleak.py"], ["--each", "fdleak.py"]):
            proc = subprocess.run([e2e.REFHUNT, "--baseline", base] + args,
                                  capture_output=True, text=True, cwd=TARGETS,
                                  env=e2e.env())
            expect(proc.returncode == 2 and "%s:2:" % base in proc.stderr,
                   "a malformed baseline names the line: %r" % proc.stderr)


@test
def test_reports_to_full_device():
    """A report that cannot be written is exit 2, the others are still
    written, and /dev/full stays a device (refhunt runs as root in CI)."""
    if not os.path.exists("/dev/full"):
        raise e2e.Skip("no /dev/full")
    for option in ("--json", "--junit", "--write-baseline"):
        with tempfile.TemporaryDirectory() as tmp:
            other = os.path.join(tmp, "junit.xml" if option != "--junit" else "r.json")
            proc = subprocess.run([e2e.REFHUNT, "--each", option, "/dev/full",
                                   "--junit" if option != "--junit" else "--json",
                                   other, "-R", "1:1", "fdleak.py"],
                                  capture_output=True, text=True, cwd=TARGETS,
                                  env=e2e.env())
            expect(proc.returncode == 2 and "/dev/full" in proc.stderr,
                   "%s /dev/full: exit 2, named: %r" % (option, proc.stderr))
            expect(os.path.getsize(other) > 0, "%s: the other report written" % option)
        expect(not os.path.isfile("/dev/full"), "/dev/full is still a device")


@test
def test_color():
    r = run("--color=always", "fdleak.py")
    expect("\033[1;31mleak\033[0m" in r.out, "the verdict in color", r)
    r = run("--color=always", "--each", "clean.py")
    expect("\033[32mclean\033[0m" in r.out, "through --each too", r)
    r = run("fdleak.py")
    expect("\033[" not in r.out, "no color into a pipe", r)
    r = run("--color=never", "fdleak.py")
    expect("\033[" not in r.out, "none with never", r)


def on_terminal(args, cwd=None):
    """refhunt ARGS (in cwd, or tests/targets) with a terminal as stderr:
    the process and what appeared on it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([e2e.REFHUNT] + args, stdout=subprocess.PIPE,
                            stderr=slave, cwd=cwd or TARGETS, env=e2e.env())
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    os.close(master)
    return proc, seen.decode(errors="replace")


@test
def test_progress_line():
    code = "import time; time.sleep(0.15)"
    proc, seen = on_terminal(["-q", "-R", "1:2", "-c", code])
    expect(proc.returncode == 0, "exit 0")
    expect(re.search(r"refhunt: -c 'import time; time.sleep\(0.15\)': "
                     r"round 3/3, [\d.]+ s", seen),
           "rounds counted on the terminal: %r" % seen)
    expect(seen.endswith("\r\033[K"), "the line is cleared at the end")
    proc, seen = on_terminal(["--each", "-j", "2", "-R", "1:2", "-c", code,
                              "a", "b", "c"])
    expect(proc.returncode == 0, "--each exit 0")
    expect(re.search(r"refhunt: \d/3 done, [\d.]+ s; \.\.\.[^\r]*?\)' [abc] "
                     r"round \d/3", seen),
           "targets done and rounds: %r" % seen)


@test
def test_each_interrupted():
    code = ("import os, sys, time\n"
            "open(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(600)")
    with tempfile.TemporaryDirectory() as tmp:
        pids = [os.path.join(tmp, name) for name in ("a", "b")]
        report = os.path.join(tmp, "r.json")
        proc = subprocess.Popen([e2e.REFHUNT, "--json", report, "--each", "-j",
                                 "2", "-c", code] + pids,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=e2e.env())
        for _ in range(300):
            if all(os.path.exists(p) and open(p).read() for p in pids):
                break
            time.sleep(0.1)
        workers = [int(open(p).read()) for p in pids]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        r = Result(subprocess.CompletedProcess([], proc.returncode, out, err),
                   json.load(open(report)))
    expect(r.rc == 130, "exit 130", r)
    expect([t["status"] for t in r.json["targets"]] == ["interrupted"] * 2,
           "both targets interrupted, reported", r)
    for pid in workers:
        expect_gone(pid, r)


if __name__ == "__main__":
    sys.exit(e2e.main(sys.argv, TESTS))
