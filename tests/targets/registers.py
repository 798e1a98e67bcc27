"""Imported by import_time_state.py: registers, while it is imported, what
CPython modules register at import (re's copyreg reducer for re.Pattern,
array's MutableSequence registration, a warnings filter), and puts a class
on __main__ as CPython's pickletester does."""
import collections.abc
import copyreg
import warnings


class Reduced:
    """Pickled through the copyreg dispatch table only."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _rebuild(value):
    return Reduced(value)


def _reduce(obj):
    return _rebuild, (obj.value,)


copyreg.pickle(Reduced, _reduce)


class Registered:
    """A MutableSequence by registration, not by inheritance."""


collections.abc.MutableSequence.register(Registered)


class ImportTimeWarning(UserWarning):
    pass


warnings.filterwarnings("error", category=ImportTimeWarning)


class OnMain:
    """Pickled by reference as __main__.OnMain."""


import __main__     # noqa: E402 (after the class, as pickletester does)
__main__.OnMain = OnMain
OnMain.__module__ = "__main__"
