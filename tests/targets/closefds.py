"""Closes every descriptor above 2, as some daemons do on start-up; then,
by argv[1]: nothing, "hang" (sleeps for good), or "reuse" (opens files,
which take the numbers just freed)."""
import os
import sys
import time

os.closerange(3, 65536)
if sys.argv[1:] == ["hang"]:
    time.sleep(600)
elif sys.argv[1:] == ["reuse"]:
    files = [open(os.devnull, "w") for _ in range(200)]
