#!/usr/bin/env python3
"""Turns a text file into a C header defining one string: text2c.py NAME IN OUT."""
import sys

name, src, dst = sys.argv[1:4]
with open(src, encoding="utf-8") as f:
    text = f.read()
lines = ['/* generated from %s by text2c.py: do not edit */' % src.split("/")[-1],
         'static const char %s[] =' % name]
for line in text.splitlines(keepends=True):
    esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    lines.append('    "%s"' % esc)
lines[-1] += ";"
with open(dst, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
