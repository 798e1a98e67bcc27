"""For --bisect imports: pair_a and pair_b leak only together, so no
single import is the culprit; the group is."""
import json
import textwrap

import pair_a
import pair_b

print(json.dumps(textwrap.wrap("ok")), pair_a.__name__, pair_b.__name__)
