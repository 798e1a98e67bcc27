"""Opens a file descriptor at import and never closes it."""
import os

FD = os.open(os.devnull, os.O_RDONLY)
