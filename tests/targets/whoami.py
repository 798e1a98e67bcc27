"""Writes what a script sees of its start-up to the JSON file argv[1]."""
import json
import sys

if __name__ == "__main__":
    with open(sys.argv[1], "w") as f:
        json.dump({"argv": sys.argv[1:], "argv0": sys.argv[0],
                   "name": __name__, "path0": sys.path[0],
                   "file": globals().get("__file__")}, f)
