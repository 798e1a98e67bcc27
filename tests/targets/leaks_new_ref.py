# A test that calls a C function with a Py_INCREF leak: one bytes object a call.
import leakref


def test_builds_result():
    leakref.leak_new()


test_builds_result()
