"""Starts a daemon (double fork and setsid), writes "WORKER DAEMON" (the
pids) to argv[1], then hangs: whatever ends refhunt must end both."""
import os
import sys
import time

from daemonize import start_daemon

daemon = start_daemon()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d" % (os.getpid(), daemon))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
