#!/usr/bin/env python3
"""Prints, one a line, what the build needs of the Python it runs under.

meson.build runs it with the interpreter to embed (meson 1.0's python
module cannot introspect 3.12+ without distutils, so refhunt asks
sysconfig itself):

    executable, version, debug (0/1), include dir, lib dir,
    libpython link name, extension suffix, shared (0/1),
    static libpython (a path, or -), its libraries (space-separated)

The static libpython is named only when the interpreter's own executable
has it linked in (Debian's python3.X and python3.Xd, not pyenv's
--enable-shared builds) and it is installed: -Dlibpython=auto links the
worker the same way.
"""
import os
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


def linked_in():
    """Whether this executable has libpython in it, not loaded beside."""
    with open("/proc/self/maps") as maps:
        return not any("libpython" in line for line in maps)


static = os.path.join(var("LIBPL") or "", var("LIBRARY") or "")
print(static if linked_in() and os.path.isfile(static) else "-")
libs = []
for name in " ".join(var(v) or "" for v in ("LIBS", "SYSLIBS", "MODLIBS")).split():
    if name not in libs:
        libs.append(name)
print(" ".join(libs) or "-")
