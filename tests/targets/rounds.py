"""Appends one JSON line per run to the file argv[1]: what a run sees of
sys.argv, sys.path and __main__ (in loop mode, a fresh one every run)."""
import json
import sys

seen_before = "marker" in globals()
marker = True
sys.argv.append("appended-by-the-target")
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"argv": sys.argv[:], "path_len": len(sys.path),
                        "seen_before": seen_before, "name": __name__}) + "\n")
