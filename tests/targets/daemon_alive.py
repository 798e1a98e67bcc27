"""Starts a daemon (double fork and setsid), appends its pid to the file
$DAEMON_PIDS,
and checks a while later that it still runs: a hunt that ends beside this
one (--each -j 2) must not kill what this one's target started."""
import os
import time

from daemonize import start_daemon

pid = start_daemon()
fd = os.open(os.environ["DAEMON_PIDS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
os.write(fd, b"%d\n" % pid)
os.close(fd)

time.sleep(3)
try:
    with open("/proc/%d/stat" % pid) as f:
        state = f.read().rpartition(")")[2].split()[0]
except FileNotFoundError:
    state = "gone"
if state in ("Z", "X", "gone"):
    raise SystemExit("the daemon %d was killed while its hunt ran" % pid)
