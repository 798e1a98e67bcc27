"""For --bisect imports: two independent import-time leaks (stash's C
static, through wraps_stash; a descriptor opens_fd never closes) among
clean imports."""
import json
import textwrap

import opens_fd
import wraps_stash

print(json.dumps(textwrap.wrap("ok")), wraps_stash.ESCAPES, opens_fd.FD >= 0)
