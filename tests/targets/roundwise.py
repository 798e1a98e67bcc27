"""Counts its rounds in the file argv[1] and acts by round number:

    roundwise.py COUNT hang N         from round N on: pid to COUNT.pid, hang
    roundwise.py COUNT leak-before N  rounds before N leak a memory block
    roundwise.py COUNT leak-from N    rounds from N on leak a memory block
"""
import os
import sys
import time

import leakblock

path, action, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
done = 0
if os.path.exists(path):
    with open(path) as f:
        done = int(f.read())
this = done + 1
with open(path, "w") as f:
    f.write(str(this))
if action == "hang" and this >= n:
    with open(path + ".pid", "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)
if (action == "leak-before" and this < n) or (action == "leak-from" and
                                              this >= n):
    leakblock.leak()
