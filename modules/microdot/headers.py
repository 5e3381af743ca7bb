"""NoCaseDict: the dict of request headers, whose names match in any case.
The server parses a request's header fields into a plain dict; the
NoCaseDict of `request.headers` is made from it when an app first reads
them, so a request nobody asks the headers of costs no NoCaseDict, and an
app that never reads headers never loads this module."""
import sys


class NoCaseDict(dict):
    """A dict whose keys (header names) match in any case. A key keeps the
    case it was first set in, as in Microdot; the request headers the server
    parses are stored in lower case by add_lower_case(), which costs no
    lookup table."""

    # lower-case key -> the key as stored, where they differ; each method
    # looks a key up through it itself (a helper's call costs time and RAM)
    keymap = None

    def __init__(self, items=None):
        super().__init__()
        if items:
            self.update(items)

    def add_lower_case(self, fields):
        """Adds the items of a dict whose keys are in lower case already."""
        super().update(fields)

    def __setitem__(self, key, value):
        lower = key.lower()
        stored = self.keymap.get(lower, lower) if self.keymap else lower
        if stored not in self and stored != key:
            if self.keymap is None:
                self.keymap = {}
            self.keymap[stored] = stored = key
        super().__setitem__(stored, value)

    def __getitem__(self, key):
        key = key.lower()
        return super().__getitem__(
            self.keymap.get(key, key) if self.keymap else key)

    def __delitem__(self, key):
        lower = key.lower()
        stored = self.keymap.get(lower, lower) if self.keymap else lower
        super().__delitem__(stored)
        if stored != lower:
            del self.keymap[lower]

    def __contains__(self, key):
        key = key.lower()
        return super().get(self.keymap.get(key, key) if self.keymap else key,
                           self) is not self

    def get(self, key, default=None):
        """The value of `key` in any case, or `default`."""
        key = key.lower()
        return super().get(self.keymap.get(key, key) if self.keymap else key,
                           default)

    def update(self, items):
        """Sets each key of the dict `items`, matching existing keys in
        any case."""
        for key in items:
            self[key] = items[key]

    def __eq__(self, other):
        # keys compare in any case
        if not isinstance(other, dict) or len(other) != len(self):
            return False
        for key in other:
            if key not in self or self[key] != other[key]:
                return False
        return True

    if sys.implementation.name != 'micropython':
        # CPython's dict has a __ne__ of its own; MicroPython's != asks
        # __eq__
        def __ne__(self, other):
            return not self == other
