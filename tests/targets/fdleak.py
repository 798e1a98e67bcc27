"""Opens a file descriptor every round and never closes it."""
import os

os.open(os.devnull, os.O_RDONLY)
