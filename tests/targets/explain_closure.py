"""--explain: nanobind's closure cycle: a bound type holding a Python
callback that its tp_traverse does not visit, the callback a closure
over the instance (Wrapper -> function -> cell -> Wrapper)."""
import cycles


def make():
    w = cycles.Wrapper()

    def callback():
        return w
    w.value = callback


make()
