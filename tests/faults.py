#!/usr/bin/env python3
"""Fault injection: refhunt against hostile targets and a hostile world.

    faults.py --list                          the test names, one a line
    faults.py REFHUNT FIXTURES PYTHON NAME    run one test (exit 0, 1, or 77)

Each test says what a user gets: the exit status, the status and message
in the JSON report (which must be written whatever happens), and that no
process of the hunt is left. The helpers are e2e.py's.
"""

import json
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import e2e
from e2e import Skip, expect, expect_complete, expect_gone, \
    expect_report_shape, refhunt, target

TESTS = {}
# built by tests/fakeworker/meson.build; the tests run in the build directory
FAKE_WORKER = os.path.join("tests", "fakeworker", "refhunt-worker")


def test(func):
    TESTS[func.__name__[len("test_"):]] = func
    return func


def start(args, tmp, **popen):
    """Starts refhunt --json TMP/r.json ARGS; the Popen and the JSON path."""
    report = os.path.join(tmp, "r.json")
    proc = subprocess.Popen([e2e.REFHUNT, "--json", report] + list(args),
                            stdout=popen.pop("stdout", subprocess.PIPE),
                            stderr=subprocess.PIPE, text=True, env=e2e.env(),
                            **popen)
    return proc, report


def finish(proc, report, timeout=120):
    """Waits for refhunt; a Result with the JSON report, if written."""
    out, err = proc.communicate(timeout=timeout)
    j = None
    if os.path.exists(report):
        with open(report) as f:
            j = json.load(f)
    return e2e.Result(subprocess.CompletedProcess([], proc.returncode,
                                                  out or "", err), j)


def wait_for(path, what, timeout=60):
    """The contents of a file that a target writes, once there."""
    for _ in range(int(timeout * 10)):
        if os.path.exists(path) and open(path).read():
            return open(path).read()
        time.sleep(0.1)
    raise AssertionError("no %s after %d s" % (what, timeout))


def expect_partial(r, done):
    """Rounds 1..done finished and are in the report, the next one is not."""
    rounds = r.json["rounds"]
    expect(len(rounds) == done + 1, "%d rounds reported" % len(rounds), r)
    expect(all(x["status"] == "ok" and x["counters"] for x in rounds[:done]),
           "the finished rounds are kept", r)
    expect(rounds[done]["counters"] is None, "the killed round is open", r)


# ------------------------------------------------------- the worker dies


def hang_in_round(tmp, n, extra=()):
    """Starts a hunt whose round n hangs; refhunt's Popen, JSON path and the
    worker's pid."""
    count = os.path.join(tmp, "count")
    proc, report = start(list(extra) + ["-R", "2:2", target("roundwise.py"),
                                        count, "hang", str(n)], tmp)
    return proc, report, int(wait_for(count + ".pid", "worker pid"))


@test
def test_worker_sigkilled_mid_round():
    with tempfile.TemporaryDirectory() as tmp:
        proc, report, worker = hang_in_round(tmp, 3)
        os.kill(worker, signal.SIGKILL)
        r = finish(proc, report)
    expect_report_shape(r, "crashed", 4)
    expect(r.json["failure"] == {"round": 3, "phase": "run",
                                 "signal": "SIGKILL", "exit_code": None},
           "round, phase and signal", r)
    expect_partial(r, 2)
    expect("killed by SIGKILL" in r.out, "the verdict names the signal", r)


@test
def test_sigint_partial_report():
    with tempfile.TemporaryDirectory() as tmp:
        proc, report, worker = hang_in_round(tmp, 3)
        proc.send_signal(signal.SIGINT)
        r = finish(proc, report, timeout=30)
    expect_report_shape(r, "interrupted", 130)
    expect(r.json["failure"]["round"] == 3, "interrupted in round 3", r)
    expect_partial(r, 2)
    expect_gone(worker, r)


# ------------------------------------------------- refhunt's own output


@test
def test_stdout_closed_early():
    """refhunt | reader that leaves: the verdict stands, the JSON is whole."""
    leak = ["-v", "-R", "2:2", "-c", "import leakref; leakref.leak([])"]
    with tempfile.TemporaryDirectory() as tmp:
        read, write = os.pipe()
        os.close(read)              # nobody will read refhunt's stdout
        proc, report = start(leak, tmp, stdout=write)
        os.close(write)
        r = finish(proc, report)
    expect_report_shape_json(r, "leak", 1)
    expect_complete(r)
    expect(r.err == "", "a closed pipe is no error to complain about", r)

    # the same through a shell pipe, as a user types it
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        line = " ".join(map(shlex.quote, [e2e.REFHUNT, "--json", report] +
                            leak))
        proc = subprocess.run(["bash", "-c", line + " | head -1; "
                               "exit ${PIPESTATUS[0]}"], capture_output=True,
                              text=True, env=e2e.env(), timeout=120)
        with open(report) as f:
            j = json.load(f)
    expect(proc.returncode == 1 and j["status"] == "leak",
           "| head -1: exit %d, %s" % (proc.returncode, j["status"]))
    expect(proc.stdout.startswith("round "), "head got the table's first line")


def expect_report_shape_json(r, status, exit_status):
    """expect_report_shape without the verdict line, which nobody read."""
    expect(r.json is not None, "no JSON report written", r)
    expect(r.json["status"] == status and r.rc == exit_status and
           r.json["exit_status"] == exit_status,
           "wanted %s, exit %d" % (status, exit_status), r)


@test
def test_target_writes_to_closed_stdout():
    """As under python: the target gets BrokenPipeError and fails."""
    with tempfile.TemporaryDirectory() as tmp:
        read, write = os.pipe()
        os.close(read)
        proc, report = start(["-c", "print('x' * 100000)"], tmp, stdout=write)
        os.close(write)
        r = finish(proc, report)
    expect_report_shape_json(r, "failed", 3)
    expect("BrokenPipeError" in r.json["message"], "says why", r)


@test
def test_json_to_full_device():
    proc = subprocess.run([e2e.REFHUNT, "--json", "/dev/full", "-R", "1:1",
                           "-c", "pass"], capture_output=True, text=True,
                          env=e2e.env(), timeout=120)
    expect(proc.returncode == 2, "exit %d, wanted 2" % proc.returncode)
    expect("--json /dev/full: No space left on device" in proc.stderr,
           "names the file and the error: %r" % proc.stderr)
    expect("refhunt: -c pass: clean" in proc.stdout, "text report still printed")


@test
def test_text_to_full_device():
    with tempfile.TemporaryDirectory() as tmp, open("/dev/full", "w") as full:
        proc, report = start(["-R", "1:1", "-c", "pass"], tmp, stdout=full)
        r = finish(proc, report)
    expect(r.rc == 2, "exit 2 when the text report is lost", r)
    expect("cannot write the report to stdout: No space left on device"
           in r.err, "says so", r)
    expect(r.json is not None and r.json["status"] == "clean",
           "the JSON is written all the same", r)


@test
def test_json_over_file_size_limit():
    """ulimit -f: no SIGXFSZ death, no half-written JSON left behind."""
    if os.environ.get("REFHUNT_VALGRIND"):
        raise Skip("valgrind writes files of its own past the limit")
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    with tempfile.TemporaryDirectory() as tmp:
        proc, report = start(["-R", "1:1", "-c", "raise ValueError('%s')"
                              % ("x" * 4000)], tmp, preexec_fn=limit)
        r = finish(proc, report)
        expect(r.rc == 2, "exit 2", r)
        expect("--json %s: File too large" % report in r.err, "says so", r)
        expect(not os.path.exists(report), "a truncated JSON was left", r)
    expect(re.search(r"refhunt: -c 'raise ValueError\(.*\.\.\.': failed", r.out),
           "text report still printed, the code shortened", r)


@test
def test_few_descriptors_fewer_hunts():
    """ulimit -n too low for -j 8: fewer hunts at once, each target still
    hunted (not an error of each one that found no descriptor)."""
    if os.environ.get("REFHUNT_VALGRIND"):
        raise Skip("valgrind needs descriptors of its own")
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))

    with tempfile.TemporaryDirectory() as tmp:
        proc, report = start(["--each", "-j", "8", "-R", "1:1"] +
                             [target("clean.py")] * 8, tmp, preexec_fn=limit)
        r = finish(proc, report)
    expect(r.rc == 0, "exit 0: every target clean", r)
    expect([t["status"] for t in r.json["targets"]] == ["clean"] * 8,
           "eight clean hunts", r)


@test
def test_default_jobs_follow_affinity():
    """taskset -c 0 (or a container's cpuset): -j's default is the CPUs
    refhunt may run on, not every CPU of the machine."""
    def one_cpu():
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    with tempfile.TemporaryDirectory() as tmp:
        for args in (["--each", "-R", "1:1", target("clean.py"),
                      target("clean.py")],
                     ["--each", "--per-test", "-R", "1:1", "-m", "unittest",
                      "test_sample", "test_sample"]):
            proc, report = start(args, tmp, preexec_fn=one_cpu,
                                 cwd=e2e.TARGETS)
            r = finish(proc, report)
            expect(r.rc == 0, "exit 0", r)
            expect(re.search(r"^refhunt: 2 targets: .*-j 1\)$", r.out, re.M),
                   "one CPU: one hunt at once", r)


# ------------------------------------------------------------- odd names


@test
def test_non_utf8_path_and_args():
    """A script whose path and arguments are not UTF-8 runs as under
    python (it checks its own argv), and the reports stay valid."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(os.fsencode(tmp), b"caf\xe9-\xff\xfe")
        os.mkdir(folder)
        script = os.path.join(folder, b"t\x80.py")
        with open(script, "w") as f:
            f.write("import os, sys\n"
                    "assert sys.argv[1:] == [os.fsdecode(b'\\xff\\xfe arg'), "
                    "os.fsdecode(b'\\xc3(bad\\n')], sys.argv\n"
                    "assert os.fsencode(__file__).endswith(b't\\x80.py')\n")
        argv = [os.fsencode(e2e.REFHUNT), b"--json",
                os.path.join(folder, b"r\xff.json"), b"-R", b"1:1", script,
                b"\xff\xfe arg", b"\xc3(bad\n"]
        proc = subprocess.run(argv, capture_output=True, env=e2e.env(),
                              timeout=120)
        with open(os.path.join(folder, b"r\xff.json"), "rb") as f:
            raw = f.read()
    j = json.loads(raw.decode("utf-8"))       # valid UTF-8, valid JSON
    expect(proc.returncode == 0 and j["status"] == "clean",
           "the script ran: exit %d: %r %r" % (proc.returncode, proc.stderr,
                                               j["message"]))
    expect("\ufffd" in j["target"] and len(j["argv"]) == 3,
           "target and argv kept, bytes replaced: %r" % j)
    expect(b"caf\xe9-\xff\xfe" in proc.stdout,
           "the text report names the path as it is: %r" % proc.stdout)


@test
def test_long_paths_and_args():
    with tempfile.TemporaryDirectory() as tmp:
        # a path just under PATH_MAX (4096)
        folder = tmp
        while len(folder) + 251 + 205 < 4095:
            folder = os.path.join(folder, "d" * 250)
        os.makedirs(folder)
        script = os.path.join(folder, "t" * 200 + ".py")
        with open(script, "w") as f:
            f.write("import sys\nassert len(sys.argv) == 1002\n"
                    "assert sys.argv[1] == 'a' * 120000\n")
        args = ["a" * 120000] + ["arg%d" % i for i in range(1000)]
        r = refhunt("-R", "1:1", script, *args)
        expect_report_shape(r, "clean", 0)
        expect(r.json["argv"] == [script] + args, "argv kept whole", r)

        # one over PATH_MAX: a usage error that names it
        longer = os.path.join(folder, "x" * 255, "y" * 255 + ".py")
        proc = subprocess.run([e2e.REFHUNT, longer], capture_output=True,
                              text=True, env=e2e.env(), timeout=60)
    expect(proc.returncode == 2 and "File name too long" in proc.stderr,
           "too long: exit %d %r" % (proc.returncode, proc.stderr[-300:]))


# ------------------------------------------------ hostile target processes


@test
def test_forked_children_outlive_round():
    with tempfile.TemporaryDirectory() as tmp:
        pids = os.path.join(tmp, "pids")
        began = time.monotonic()
        r = refhunt("-R", "1:1", target("forks.py"), pids, timeout=120)
        took = time.monotonic() - began
        children = [int(p) for p in open(pids).read().split()]
    expect(r.json["status"] in ("clean", "leak"), "the hunt ran", r)
    expect_complete(r)
    expect(took < 30, "refhunt waited %.1f s for the children" % took, r)
    expect(len(children) == 6, "two rounds, three children each", r)
    for pid in children:
        expect_gone(pid, r)


@test
def test_strays_side_by_side():
    """Each hunt's orphans are its own: a hunt that ends (clean.py) kills
    its strays only, not the daemon of the hunt still running beside it,
    and when both are over no process of either is left."""
    with tempfile.TemporaryDirectory() as tmp:
        pids = os.path.join(tmp, "pids")
        r = refhunt("--each", "-j", "2", "-R", "1:1",
                    target("daemon_alive.py"), target("clean.py"),
                    timeout=120, extra_env={"DAEMON_PIDS": pids})
        daemons = [int(p) for p in open(pids).read().split()]
    statuses = [t["status"] for t in r.json["targets"]]
    expect(statuses[0] in ("clean", "leak"),
           "the daemon lived as long as its hunt", r)
    expect(statuses[1] == "clean", "the hunt beside it ran", r)
    expect(len(daemons) == 2, "two rounds, a daemon each", r)
    for pid in daemons:
        expect_gone(pid, r)


def expect_channel_lost(r, how):
    expect_report_shape(r, "crashed", 4)
    expect("the worker lost its report channel" in r.out, "verdict says", r)
    expect(how in r.json["message"], "message says %r" % how, r)
    expect(r.json["failure"]["round"] == 1, "in round 1", r)


@test
def test_target_closes_every_descriptor():
    for how in ([], ["hang"], ["reuse"]):
        began = time.monotonic()
        r = refhunt("-R", "1:1", target("closefds.py"), *how)
        expect_channel_lost(r, "closed or replaced before the hunt ended")
        expect(time.monotonic() - began < 30, "%s: no hang" % how, r)


@test
def test_target_writes_garbage_on_channel():
    r = refhunt("-R", "1:1", target("garbage.py"), "\xff garbage\\n")
    expect_channel_lost(r, "corrupted (malformed record")
    # records that parse, but out of turn, are no better
    r = refhunt("-R", "1:1", target("garbage.py"), "end\\n")
    expect_channel_lost(r, "corrupted (the end before the last round")


# ------------------------------------------------------------------- soak


def vm_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


@test
def test_each_verbose_output_not_in_memory():
    """--each -v prints each target's output with its report, in order;
    what waits for its turn is spooled, not held in refhunt's memory (a
    dozen chatty targets once took 198 MB)."""
    if os.environ.get("REFHUNT_VALGRIND"):
        raise Skip("valgrind's own memory is what VmHWM shows")
    with tempfile.TemporaryDirectory() as tmp:
        for name in "abc":
            with open(os.path.join(tmp, name + ".py"), "w") as f:
                f.write("import sys\nsys.stdout.write(%r * (16 << 20))\n"
                        "sys.stderr.write('done %s\\n')\n" % (name, name))
        with open(os.path.join(tmp, "out"), "w") as out:
            proc, report = start(["--each", "-v", "-j", "3", "-R", "1:1",
                                  "a.py", "b.py", "c.py"], tmp, stdout=out,
                                 cwd=tmp)
            hwm = 0
            while proc.poll() is None:
                hwm = max(hwm, vm_kb(proc.pid, "VmHWM") or 0)
                time.sleep(0.02)
            r = finish(proc, report)
        with open(os.path.join(tmp, "out"), "rb") as f:
            out = f.read()
    expect(r.rc == 0, "exit 0", r)
    # 2 rounds of 16 MiB a target, each target's whole and in order
    for name in b"abc":
        expect(out.count(bytes([name])) >= 32 << 20,
               "every target's output printed", r)
    expect(out.index(b"a" * 1000) < out.index(b"b" * 1000) <
           out.index(b"c" * 1000), "in the order given", r)
    expect(r.err.index("done a") < r.err.index("done b") <
           r.err.index("done c"), "stderr in order too", r)
    expect(0 < hwm < 24 * 1024, "supervisor peak %d KiB: the output was "
           "kept in memory" % hwm, r)


def fake_refhunt(tmp):
    """A copy of refhunt beside the fake worker (fakeworker/fake_worker.c),
    which sends records and runs no Python: where refhunt looks for its
    worker."""
    here = os.path.join(tmp, "fake")
    os.mkdir(here)
    # the binary, not $REFHUNT_VALGRIND's wrapper script (which would run
    # the refhunt of the build directory, beside the real worker)
    shutil.copy(e2e.REFHUNT_BINARY, os.path.join(here, "refhunt"))
    os.symlink(os.path.abspath(FAKE_WORKER),
               os.path.join(here, "refhunt-worker"))
    return e2e.wrapped(os.path.join(here, "refhunt"), tmp)


def soak(tmp, refhunt_copy, action, rounds):
    """A hunt of -R rounds:rounds with the fake worker: its Result, and the
    peak resident memory of refhunt's processes in KiB as the kernel kept
    it, which GNU time reads (wait4's ru_maxrss: refhunt's own, or a
    process of it that it waited for, if more). Sampling /proc while it
    ran missed the peak of a hunt of milliseconds (CI: 228 KiB for 10
    rounds, the loader alone), and the ru_maxrss of a child of this
    Python is this Python's size, kept from before the child's exec."""
    report = os.path.join(tmp, "r.json")
    maxrss = os.path.join(tmp, "maxrss")
    proc = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", maxrss, refhunt_copy,
                             "--json", report, "-q", "-R",
                             "%d:%d" % (rounds, rounds), "-c", action,
                             str(rounds + 1)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e2e.env())
    r = finish(proc, report)
    with open(maxrss) as f:
        return r, int(f.read().split()[-1])


# GNU time (Debian's package time, which scripts/setup.sh installs)
GNU_TIME = "/usr/bin/time"


@test
def test_soak_1000_leaking_1000_clean_rounds():
    """Each hunt: 1000 rounds that leak and 1000 that do not, from a
    worker that only sends records. The verdict follows the tracked ones,
    and the supervisor's memory stays flat."""
    measured = not (os.environ.get("REFHUNT_VALGRIND") or
                    os.environ.get("ASAN_OPTIONS"))
    expect(os.access(GNU_TIME, os.X_OK), "GNU time, which measures the "
           "peak memory, is installed (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        copy = fake_refhunt(tmp)
        short, short_hwm = soak(tmp, copy, "leak-from", 5)
        expect_report_shape(short, "leak", 1, fake=True)
        began = time.monotonic()
        late, late_hwm = soak(tmp, copy, "leak-from", 1000)
        early, early_hwm = soak(tmp, copy, "leak-before", 1000)
        took = time.monotonic() - began
    expect_report_shape(late, "leak", 1, fake=True)  # tracked rounds 1001-2000 leak
    expect_complete(late)
    expect(late.json["deltas"]["blocks"] == [1] * 1000 and
           late.json["deltas"]["refs"] == [1] * 1000, "one a round", late)
    expect_report_shape(early, "clean", 0, fake=True)  # warm-ups leak, tracked don't
    expect_complete(early)
    expect(early.json["deltas"]["blocks"] == [0] * 1000, "none", early)
    print("soak: 4000 rounds in %.1f s; refhunt's peak resident memory %d "
          "KiB (10 rounds), %d and %d KiB (2000 rounds)" % (
              took, short_hwm, late_hwm, early_hwm))
    if not measured:
        print("(memory not checked under valgrind or ASan)")
        return
    expect(max(late_hwm, early_hwm) <= short_hwm + 1024,
           "refhunt's memory grew: %d KiB for 10 rounds, %d and %d for "
           "2000" % (short_hwm, late_hwm, early_hwm))


@test
def test_worker_end_read_from_facts():
    """How a worker ended is what it did: an exit status mid-round is the
    target's (0 and 86 too: failed), and a channel the worker says it lost
    is a crash, whatever status it then exits with."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = fake_refhunt(tmp)
        for args, status, rc, says in (
                (["exit-in", "2", "0"], "failed", 3, "exited with status 0"),
                (["exit-in", "2", "86"], "failed", 3, "exited with status 86"),
                (["exit-in", "1", "7"], "failed", 3, "exited with status 7"),
                (["lost-in", "2"], "crashed", 4, "lost its report channel")):
            report = os.path.join(tmp, "r.json")
            proc = subprocess.run([copy, "--json", report, "-R", "1:2", "-c"]
                                  + args, capture_output=True, text=True,
                                  env=e2e.env(), timeout=60)
            with open(report) as f:
                j = json.load(f)
            r = e2e.Result(proc, j)
            expect(r.rc == rc and j["status"] == status, "%s: %s" % (args,
                   status), r)
            expect(says in j["message"], "%s: says %r" % (args, says), r)
            expect(j["failure"]["round"] == int(args[1]) and
                   j["failure"]["phase"] == "run", "where", r)


@test
def test_verdict_names_only_what_was_counted():
    """References not trusted, and a worker that sends no blocks (and no
    fds): the verdict line and the untrusted line never say that a counter
    that was not counted decided or found no leak."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = fake_refhunt(tmp)
        for n, says, decide in (
                ("1", "clean, no leak of file descriptors; references not "
                 "judged (by the rule they leak) (", "fds decide"),
                ("-1", "clean, no leak; references not judged (by the rule "
                 "they leak), and nothing else was counted (",
                 "nothing else is counted")):
            report = os.path.join(tmp, "r.json")
            proc = subprocess.run([copy, "--json", report, "-R", "2:3", "-c",
                                   "uncounted", n], capture_output=True,
                                  text=True, env=e2e.env(), timeout=60)
            with open(report) as f:
                r = e2e.Result(proc, json.load(f))
            expect(r.rc == 0 and r.json["deltas"]["blocks"] is None and
                   r.json["refs_unjudged_leak"] is True, "%s: clean, refs "
                   "unjudged, no blocks" % n, r)
            verdict = [l for l in r.out.splitlines() if l.startswith("refhunt: ")]
            expect(len(verdict) == 1 and says in verdict[0] and
                   "memory blocks" not in verdict[0], "%s: the verdict "
                   "names only what was counted" % n, r)
            expect("were not counted)" in verdict[0], "and says what was "
                   "not", r)
            expect("; %s (--trust-refs" % decide in r.out and "blocks and "
                   "fds decide" not in r.out, "%s: what decides" % n, r)


if __name__ == "__main__":
    if sys.argv[1:] != ["--list"] and len(sys.argv) < 5:
        raise SystemExit(__doc__)
    sys.exit(e2e.main(sys.argv, TESTS))
