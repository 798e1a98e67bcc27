"""An app that imports 20 standard modules (some 150 modules in all with
what they import), one of which (statistics)
leaks on every interpreter lifetime through _decimal on CPython 3.11:
`refhunt --bisect imports tests/examples/bisect_app.py` names _decimal."""
import argparse
import configparser
import csv
import dataclasses
import difflib
import doctest
import enum
import inspect
import json
import logging
import pathlib
import pprint
import pydoc
import shlex
import statistics
import tempfile
import textwrap
import unittest
import xml.dom.minidom
import zipfile

print(statistics.mean([1, 2, 3]), len(json.dumps({"a": 1})))
