#!/usr/bin/env python3
"""Prints, one a line, what the build needs of the Python it runs under.

meson.build runs it with the interpreter to embed (meson 1.0's python
module cannot introspect 3.12+ without distutils, so refhunt asks
sysconfig itself):

    executable, version, debug (0/1), include dir, lib dir,
    libpython link name, extension suffix, shared (0/1)
"""
import platform
import sys
import sysconfig

var = sysconfig.get_config_var
print(sys.executable)
print(platform.python_version())
print(int(hasattr(sys, "gettotalrefcount")))
print(sysconfig.get_paths()["include"])
print(var("LIBDIR") or "")
print("python" + (var("LDVERSION") or "%d.%d" % sys.version_info[:2]))
print(var("EXT_SUFFIX") or ".so")
print(int(bool(var("Py_ENABLE_SHARED"))))
