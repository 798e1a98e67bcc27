"""Fills the caches that regrtest clears between runs, and nothing else:
clean in loop mode only if refhunt clears them as regrtest does."""
import fractions
import linecache
import re
import struct
import typing
import warnings

re.compile(r"(?P<word>\w+)-%d" % 7).match("abc-7")
struct.pack("<%dI" % 3, 1, 2, 3)
typing.List[typing.Tuple[int, str]]
typing.Optional[typing.Dict[str, typing.Any]]
linecache.getline(__file__, 1)
hash(fractions.Fraction(1, 3))
warnings.filterwarnings("ignore", message="refhunt test")
