"""For --bisect imports: needs_app fails on its own, and so would
app_helpers, which imports it; opens_fd leaks."""
import builtins
import json

builtins._bisect_me_configured = True
import app_helpers  # noqa: E402  (needs the flag above)
import opens_fd  # noqa: E402

print(json.dumps(app_helpers.HELPERS), opens_fd.FD >= 0)
