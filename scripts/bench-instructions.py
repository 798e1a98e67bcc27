#!/usr/bin/env python3
"""What a hunt costs in instructions, which the load of a shared machine
does not move (valgrind's callgrind counts every instruction of every
process):

    scripts/bench-instructions.py [--refhunt build/src/refhunt] [SCRIPT ...]

For each script (default: the shipped examples and tests/targets/clean.py)
counts six `PYTHON SCRIPT` processes (PYTHON: the interpreter the build
embeds), six interpreter lifetimes running it in a plain embedding
program that shares no code with refhunt (tests/indep/lifetimes.c: what
any program that starts Python six times pays), the default hunt `refhunt -q SCRIPT` (-R 3:3 with the import share
of a leak) and `refhunt -q --no-import-share SCRIPT`, all processes
included, and prints a Markdown table of the ratios. Then, for the last
script, where the instructions of one process and of one hunt round go
(inclusive counts of the functions named). Needs valgrind. Takes a few
minutes: callgrind runs code about 50 times slower. PYTHONHASHSEED=0 for
every process, so that a rerun counts the same to a few parts in 10,000.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# one hash seed for every process: the same dict layouts, the same counts
ENV = dict(os.environ, PYTHONHASHSEED="0")


def callgrind(out_dir, tag, argv):
    """Runs argv under callgrind (children too); {pid file: instructions}."""
    # --dump-before=fork: a forked child (refhunt's keeper, the worker's
    # checkpoint child) would otherwise start with its parent's counts
    # so far and count them again; the dump before each fork writes them
    # to a part file of the parent's and zeroes them, so that every
    # instruction is in exactly one file
    subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                    "--dump-before=fork",
                    "--callgrind-out-file=%s/%s.%%p" % (out_dir, tag)] + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=ROOT, env=ENV)
    return {path: callgrind_total(path)
            for path in glob.glob("%s/%s.*" % (out_dir, tag))}


def callgrind_total(path):
    """The instructions a callgrind output file counted."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:"):
                return int(line.split()[1])
    return 0


def inclusive(path, names):
    """Inclusive instructions of each function named (first match)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                           "--threshold=100", path],
                          capture_output=True, text=True).stdout
    got = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \(.*?\)\s+\S*:(\w+) \[", line)
        if m and m.group(2) in names and m.group(2) not in got:
            got[m.group(2)] = int(m.group(1).replace(",", ""))
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--refhunt", default="build/src/refhunt")
    ap.add_argument("scripts", nargs="*", default=[
        "tests/targets/clean.py", "tests/examples/render_page.py",
        "tests/examples/stdlib_imports.py"])
    args = ap.parse_args()
    refhunt = os.path.join(ROOT, args.refhunt)
    version = subprocess.run([refhunt, "--version"], capture_output=True,
                             text=True, check=True).stdout
    python = re.search(r"^Python .*, (\S+)$", version, re.M).group(1)
    print("refhunt: %s" % " ".join(version.split()))
    print()
    indep = os.path.join(os.path.dirname(refhunt), "..", "tests",
                         "indep_lifetimes")
    print("| script | 6 x %s | 6 lifetimes, plain embedding C | ratio | "
          "refhunt -q (default) | ratio | --no-import-share | ratio |"
          % os.path.basename(python))
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as out:
        for n, script in enumerate(args.scripts):
            procs = sum(sum(callgrind(out, "p%d_%d" % (n, i),
                                      [python, script]).values())
                        for i in range(6))
            plain = sum(callgrind(out, "e%d" % n, [indep, script, "6"])
                        .values())
            hunt = sum(callgrind(out, "h%d" % n, [refhunt, "-q", script])
                       .values())
            bare = callgrind(out, "b%d" % n,
                             [refhunt, "-q", "--no-import-share", script])
            print("| %s | %.0f M | %.0f M | %.3f | %.0f M | %.3f | %.0f M | "
                  "%.3f |" % (
                script, procs / 1e6, plain / 1e6, plain / procs,
                hunt / 1e6, hunt / procs,
                sum(bare.values()) / 1e6, sum(bare.values()) / procs))
        # the last script: one process against one round
        proc_file = max(glob.glob("%s/p%d_0.*" % (out, n)),
                        key=lambda p: callgrind_total(p))
        worker = max(bare, key=bare.get)
        p = inclusive(proc_file, {"pymain_init", "pymain_run_python",
                                  "Py_RunMain"})
        w = inclusive(worker, {"Py_InitializeFromConfig", "embed_run",
                               "embed_call_void", "Py_FinalizeEx",
                               "embed_load_glue"})
        rounds = 6
        print()
        print("%s, millions of instructions: one process against one "
              "round of the --no-import-share hunt (its worker's counts / "
              "%d)" % (script, rounds))
        print()
        print("| | process | round |")
        print("|---|---|---|")
        rows = [
            ("start (Py_InitializeFromConfig, with site)",
             p.get("pymain_init", 0), w.get("Py_InitializeFromConfig", 0)),
            ("the script", p.get("pymain_run_python", 0),
             w.get("embed_run", 0)),
            ("refhunt's gc passes and cleanup calls", 0,
             w.get("embed_call_void", 0)),
            ("Py_FinalizeEx (process: Py_RunMain less the script)", p.get("Py_RunMain", 0) -
             p.get("pymain_run_python", 0), w.get("Py_FinalizeEx", 0)),
            ("loading refhunt's glue.py", 0, w.get("embed_load_glue", 0)),
        ]
        for what, a, b in rows:
            print("| %s | %.1f | %.1f |" % (what, a / 1e6, b / rounds / 1e6))
        print("| all | %.1f | %.1f (the worker's whole count / %d) |" % (
            callgrind_total(proc_file) / 1e6, bare[worker] / rounds / 1e6,
            rounds))


if __name__ == "__main__":
    sys.exit(main())
