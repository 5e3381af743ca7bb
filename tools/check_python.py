"""Stops `make` early, with the fix, when the Python it would build .venv/
with is too old for the pinned tools (Sphinx 9 needs 3.11). Written for any
Python 3, so that an old one gets this message rather than a syntax error.

    python tools/check_python.py
"""
import sys

NEEDED = (3, 11)

if sys.version_info < NEEDED:
    sys.exit('{} is Python {}.{}; the tools in requirements.txt need '
             '{}.{} or newer: run make with PYTHON=python3.12 (or another '
             'newer python3)'.format(sys.executable, sys.version_info[0],
                                     sys.version_info[1], *NEEDED))
