"""A script that only imports some of the standard library: what a hunt
of it costs is what refhunt adds to the interpreter's own work
(scripts/bench.sh)."""
import argparse
import decimal
import email.message
import json
