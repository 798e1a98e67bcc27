"""start_daemon(): a daemon (double fork and setsid) that sleeps for ten
minutes; its pid. For daemon_alive.py and daemon_hang.py."""
import os
import time


def start_daemon():
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
    pid = int(os.read(r, 64))
    os.close(r)
    return pid
