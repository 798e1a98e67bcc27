"""Starts a daemon (double fork and setsid), writes "WORKER DAEMON" (the
pids) to argv[1], then hangs: whatever ends refhunt must end both."""
import os
import sys
import time

r, w = os.pipe()
first = os.fork()
if first == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, b"%d\n" % os.getpid())
        time.sleep(600)
    os._exit(0)
os.waitpid(first, 0)
os.close(w)
daemon = int(os.read(r, 64))
os.close(r)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d" % (os.getpid(), daemon))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
