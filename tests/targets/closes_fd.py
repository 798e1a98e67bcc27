"""Loop mode: opens ten descriptors in the first run, then closes one a
run, so that the descriptors change by -1 every tracked round."""
import os
import sys

if not hasattr(sys, "_refhunt_fds"):
    sys._refhunt_fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(10)]
os.close(sys._refhunt_fds.pop())
