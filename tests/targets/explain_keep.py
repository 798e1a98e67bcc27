"""What the explain_*.py targets keep things in: a module-level list, a
class to stash, an lru_cache."""
import functools

kept = []


class Payload:
    pass


@functools.lru_cache(maxsize=None)
def lookup(cls):
    return cls.__name__
