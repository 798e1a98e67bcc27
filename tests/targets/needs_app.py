"""Imports only after the app has configured itself."""
import builtins

if not getattr(builtins, "_bisect_me_configured", False):
    raise ImportError("needs_app must be imported by bisect_me")
READY = True
