#!/usr/bin/env python3
"""The import share in the last warm-up's place against the two hunts it
must agree with: every script target of tests/targets/ and tests/examples/
hunted three times,

  - by default (-R 3:3: the share in warm-up 3's place when warm-up 2
    grew, else after the hunt's rounds);
  - with --no-import-share: the verdict and every delta must be equal
    (the import round in a warm-up's place must not move the hunt);
  - with -R 2:3 (the share after the hunt's rounds, as before): for a
    leak, the share's figure (import_deltas) must be equal.

    scripts/compare-share.py BUILD_DIR

BUILD_DIR: a build of refhunt (its tests/fixtures are the C extensions
the targets import). Prints a line per target, then a summary; exits 1
when anything differs.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# targets that hang, flood or leave processes by design (faults.py's), or
# that need arguments (a file to count their rounds in)
SKIP = {"hang.py", "daemon_hang.py", "flood.py", "forks.py", "daemonize.py",
        "rounds.py", "roundwise.py"}


def hunt(refhunt, fixtures, target, *options):
    """The JSON report of one hunt (None if it wrote none)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        subprocess.run([refhunt, "-q", "--timeout", "120", "--json", report]
                       + list(options) + [target],
                       env=dict(os.environ, PYTHONPATH=fixtures),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=tmp)     # what a target writes stays there
        try:
            with open(report) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def main():
    build = os.path.abspath(sys.argv[1])
    refhunt = os.path.join(build, "src", "refhunt")
    fixtures = os.path.join(build, "tests", "fixtures")
    targets = sorted(glob.glob(os.path.join(ROOT, "tests/targets/*.py")) +
                     glob.glob(os.path.join(ROOT, "tests/examples/*.py")))
    leaks = in_warmup = differ = 0
    for target in targets:
        name = os.path.basename(target)
        if name in SKIP or name.startswith("test_"):
            continue    # test_*: suites, not scripts
        default = hunt(refhunt, fixtures, target)
        no_share = hunt(refhunt, fixtures, target, "--no-import-share")
        after = hunt(refhunt, fixtures, target, "-R", "2:3")
        if not default or not no_share or not after:
            print("NO REPORT", name)
            differ += 1
            continue
        same = (default["status"] == no_share["status"] and
                default["deltas"] == no_share["deltas"])
        line = "%s %s" % (default["status"], {
            k: v for k, v in default["deltas"].items() if v and any(v)})
        if default["status"] == "leak":
            leaks += 1
            in_warmup += default["import_share_round"] is not None
            share_same = default["import_deltas"] == after["import_deltas"]
            same = same and share_same
            line += ", share %s (round %s)" % (
                {k: v for k, v in default["import_deltas"].items()
                 if v is not None}, default["import_share_round"])
            if not share_same:
                line += ", after the hunt: %s" % after["import_deltas"]
        if not same:
            line += "; --no-import-share: %s %s" % (no_share["status"],
                                                    no_share["deltas"])
            differ += 1
        print("%-9s %s: %s" % ("same" if same else "DIFFERENT", name, line))
    print("%d leaking targets, %d with the share in a warm-up's place, "
          "%d different" % (leaks, in_warmup, differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
