"""An app that imports 20 standard modules, one of which (statistics)
leaks on every interpreter lifetime through _decimal on CPython 3.11:
`refhunt --bisect imports tests/examples/bisect_app.py` names _decimal."""
import argparse
import bisect
import configparser
import csv
import dataclasses
import difflib
import enum
import heapq
import inspect
import json
import logging
import pathlib
import pprint
import shlex
import statistics
import string
import tempfile
import textwrap
import xml.dom.minidom
import zipfile

print(statistics.mean([1, 2, 3]), len(json.dumps({"a": 1})))
