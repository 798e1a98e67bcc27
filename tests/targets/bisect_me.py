"""An app for --bisect imports: two independent import-time leaks (the
stash extension, reached through wraps_stash, and opens_fd), one module
that fails on its own (needs_app), and clean ones around them."""
import builtins
import json
import textwrap

import opens_fd
import wraps_stash

builtins._bisect_me_configured = True
import needs_app  # noqa: E402  (needs the flag above)

print(json.dumps(textwrap.wrap("ok")), wraps_stash.ESCAPES, needs_app.READY,
      opens_fd.FD >= 0)
