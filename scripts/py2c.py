#!/usr/bin/env python3
"""Compiles a Python file into a C header: py2c.py NAME IN OUT, run by the
interpreter refhunt embeds (meson runs it at build time).

The header defines `static const struct embedded_py NAME` (embed.h): the
file's source, its code object marshalled by this interpreter, and this
interpreter's bytecode magic number. The worker unmarshals that code in
every new interpreter instead of compiling the source in each worker: a
debug build takes as long to compile glue.py as to run a small script.
It compiles the source only if the libpython it runs has another magic
number than the one that built it (embed.c).
"""
import importlib.util
import marshal
import os
import sys

name, src, dst = sys.argv[1:4]
with open(src, encoding="utf-8") as f:
    text = f.read()
filename = "<refhunt %s>" % os.path.basename(src)
code = marshal.dumps(compile(text, filename, "exec", dont_inherit=True,
                             optimize=0))
magic = int.from_bytes(importlib.util.MAGIC_NUMBER, "little")


def c_string(s):
    out = []
    for line in s.splitlines(keepends=True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"')
        out.append('    "%s"' % esc.replace("\n", "\\n"))
    return "\n".join(out) or '    ""'


lines = ["/* generated from %s by py2c.py with %s %d.%d: do not edit */" % (
    os.path.basename(src), os.path.basename(sys.executable),
    *sys.version_info[:2])]
lines.append("static const char %s_source[] =\n%s;" % (name, c_string(text)))
lines.append("static const unsigned char %s_code[] = {" % name)
for i in range(0, len(code), 16):
    lines.append("    " + ", ".join("%d" % b for b in code[i:i + 16]) + ",")
lines.append("};")
lines.append("static const struct embedded_py %s = {" % name)
lines.append('    "%s", %s_source, %s_code, sizeof %s_code, %dL,' % (
    filename, name, name, name, magic))
lines.append("};")
with open(dst, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
