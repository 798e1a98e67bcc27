"""--explain: a type kept by a functools.lru_cache."""
import explain_keep


class A:
    pass


explain_keep.lookup(A)
