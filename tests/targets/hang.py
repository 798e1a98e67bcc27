"""Writes its pid to argv[1], then hangs in stuck_here()."""
import os
import sys
import time


def stuck_here():
    time.sleep(600)


with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
stuck_here()
