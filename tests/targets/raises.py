"""Fails in every round with an exception raised two frames deep."""


def check_invariant():
    raise ValueError("invariant broken in the target")


check_invariant()
