"""Harmless on its own; configures pair_b, which then leaks."""
import builtins

builtins._pair_a_configured = True
