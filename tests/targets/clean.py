"""Does real work and leaves nothing behind."""
import collections
import json

counts = collections.Counter("abracadabra")
assert json.loads(json.dumps(counts)) == dict(counts)
