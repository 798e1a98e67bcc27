"""--explain: nanobind's guide, "function objects": a bound type holding a
top-level function, which holds the module's globals, which hold the
instance (Wrapper -> function -> globals -> Wrapper)."""
import cycles


def f():
    pass


w = cycles.Wrapper()
w.value = f
