"""Leaks a reference at import, but only after pair_a configured it: the
two leak together and neither on its own."""
import builtins

import leakref

if getattr(builtins, "_pair_a_configured", False):
    leakref.leak(object())
