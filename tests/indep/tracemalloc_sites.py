"""An independent cross-check of a --trace-blocks site with CPython's own
tracemalloc: a target run again and again in a plain interpreter (loop
mode's shape), snapshots after 3 warm-up runs and after 3 more; prints
the growing tracebacks through the target (python3 tracemalloc_sites.py
TARGET.py), newest frame first."""
import gc, os, runpy, sys, tracemalloc
path = sys.argv[1]
sys.argv = [path]
tracemalloc.start(12)
def run(n):
    for _ in range(n):
        runpy.run_path(path, run_name="__main__")
        gc.collect()
run(3)
before = tracemalloc.take_snapshot()
run(3)
after = tracemalloc.take_snapshot()
for stat in after.compare_to(before, "traceback"):
    frames = [str(f) for f in reversed(stat.traceback)]    # newest first
    if stat.count_diff > 0 and any(os.path.basename(path) in f for f in frames):
        print(stat.count_diff, "blocks:", frames[:3])
