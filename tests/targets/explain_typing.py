"""--explain: the typing seed's scenario. An extension keeps a reference
in a C static (markupsafe's _speedups kept Markup); what it keeps refers
to typing constructs, and through them to a type that then never dies."""
import typing

import stash


def make():
    class A:
        pass

    def test(t: typing.Optional[A] = None):
        print(t)
    return test


stash.keep(make())
