"""Loop mode keeps what the first run's imports registered, as regrtest
keeps what the test module registered when it was imported: every run
uses it. Fails (exit 3) in round 2 if the cleanup drops it."""
import collections.abc
import pickle
import sys
import warnings

import registers

what = sys.argv[1] if len(sys.argv) > 1 else "all"
if what in ("all", "copyreg"):
    # __reduce_ex__ of a __slots__ class without __getstate__ fails
    # without the reducer in the dispatch table (protocol 0 and 1)
    copy = pickle.loads(pickle.dumps(registers.Reduced(7), protocol=1))
    assert copy.value == 7
if what in ("all", "abc"):
    assert isinstance(registers.Registered(), collections.abc.MutableSequence)
if what in ("all", "warnings"):
    try:
        warnings.warn("at import time, made an error", registers.ImportTimeWarning)
    except registers.ImportTimeWarning:
        pass
    else:
        raise AssertionError("the import's warnings filter is gone")
if what in ("all", "main"):
    assert type(pickle.loads(pickle.dumps(registers.OnMain()))) is registers.OnMain
