"""Leaks at import, but only after pair_a configured it: the two leak
together and neither on its own. A hundred objects: more than the
calibration of release 3.12/3.13 can hide."""
import builtins

import leakref

if getattr(builtins, "_pair_a_configured", False):
    leakref.leak([object() for _ in range(100)])
