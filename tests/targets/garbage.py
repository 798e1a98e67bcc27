"""Writes argv[1] (with \\n for newline) to every descriptor above 2 that
takes it: whatever pipe it inherited gets it."""
import os

text = os.fsencode(__import__("sys").argv[1].replace("\\n", "\n"))
for name in os.listdir("/proc/self/fd"):
    if int(name) > 2:
        try:
            os.write(int(name), text)
        except OSError:
            pass
