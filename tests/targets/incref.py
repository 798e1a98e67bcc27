"""Leaks N new objects a run through ctypes.pythonapi.Py_IncRef (argv[1],
default 1), made and leaked by T threads at once (argv[2], default 0: the
main thread): exactly N references and N memory blocks a round, in every
mode, on every build."""
import ctypes
import sys
import threading

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 0


def leak(n):
    for _ in range(n):
        # a new object of one block (an empty list is one GC-tracked block),
        # given one reference too many
        ctypes.pythonapi.Py_IncRef(ctypes.py_object([]))


if nthreads == 0:
    leak(count)
else:
    assert count % nthreads == 0, "N must be a multiple of T"
    threads = [threading.Thread(target=leak, args=(count // nthreads,))
               for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
