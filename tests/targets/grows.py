"""Keeps three Node objects and one 100-byte block more every run, in a
list that only grows: a leak inside one interpreter (loop mode)."""
import sys


class Node:
    def __init__(self, payload):
        self.payload = payload


def remember(store):
    store.extend(Node(bytes(100)) for _ in range(3))   # the line that leaks


remember(sys.__dict__.setdefault("_refhunt_grows", []))
