# A test that calls a C function with a Py_INCREF leak: one bytes object a
# call, argv[1] calls a run (default 1).
import leakref, sys

def test_builds_result():
    leakref.leak_new()

for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
    test_builds_result()
