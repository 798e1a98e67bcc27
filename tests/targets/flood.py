"""Writes argv[1] MiB to stdout and to stderr, in lines."""
import sys

line = "x" * 1023 + "\n"
for _ in range(int(sys.argv[1]) * 1024):
    sys.stdout.write(line)
    sys.stderr.write(line)
