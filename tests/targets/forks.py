"""Forks children that outlive the round, and appends their pids to argv[1]:
one that stays in the worker's process group, one that leaves it (double
fork and setsid, as a daemon does), both asleep with stdout, stderr and
every inherited descriptor open; and one that returns from the script, as a
forked child under python does, and must end there."""
import os
import sys
import time


def note_pid():
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, b"%d\n" % os.getpid())
    os.close(fd)


if os.fork() == 0:
    note_pid()
    time.sleep(600)
    os._exit(0)

first = os.fork()
if first == 0:
    os.setsid()
    if os.fork() == 0:
        note_pid()
        time.sleep(600)
    os._exit(0)
os.waitpid(first, 0)

child = os.fork()
if child == 0:
    note_pid()
else:
    _, status = os.waitpid(child, 0)
    if status != 0:
        raise SystemExit("the child that returned from the script ended "
                         "with wait status %d" % status)
