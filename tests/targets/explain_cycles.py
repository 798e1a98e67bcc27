"""--explain: a cycle through a type without tp_traverse (cycles.NoGC),
next to its correct twin (cycles.WithGC, collected)."""
import cycles


def cycle(kind):
    node = kind()
    node.ref = [node]


cycle(cycles.NoGC)
cycle(cycles.WithGC)
