"""Renders an HTML page with markupsafe, as a web app's template layer does.

markupsafe's C accelerator (_speedups) keeps references in C statics that
it sets up at import and never releases: a leak of every interpreter
lifetime, invisible to a single `python render_page.py`, found by
`refhunt render_page.py` (see README.md).
"""
from markupsafe import Markup, escape

rows = [("<script>alert(1)</script>", 3), ("Tom & Jerry", 7)]
page = Markup("<table>{}</table>").format(
    Markup("").join(Markup("<tr><td>{}</td><td>{}</td></tr>").format(n, c)
                    for n, c in rows))
assert "&lt;script&gt;" in page and "&amp;" in escape("Tom & Jerry")
