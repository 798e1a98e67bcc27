"""Starts worker threads that finish; with argv[1] == "daemon", also a daemon
thread that is still running when the interpreter is finalized (its frame
and thread state never go: a real leak of embedded interpreters)."""
import sys
import threading

results = []


def work(n):
    results.append(sum(range(n)))


def forever():
    threading.Event().wait()    # asleep for good: never touches a later round


threads = [threading.Thread(target=work, args=(10000,)) for _ in range(4)]
for t in threads:
    t.start()
if sys.argv[1:] == ["daemon"]:
    threading.Thread(target=forever, daemon=True).start()
for t in threads:
    t.join()
assert len(results) == 4
