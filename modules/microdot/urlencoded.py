"""Query strings and urlencoded forms: `request.args` and `request.form`
load this module on first use, and so does a path with %-escapes."""
from microdot import HTTPException


class MultiDict(dict):
    """A dict whose keys may repeat (query strings, forms), stored as
    Microdot stores them: a list of values per key, which `==` sees.
    `d[key] = v` adds a value, `d[key]` is the first one, items(), copy()
    and (on CPython) dict(d) give first values, `getlist(key)` all of
    them, and `del d[key]` removes them all."""

    def __init__(self, initial=None):
        super().__init__()
        if initial:
            for key in initial:
                self[key] = initial[key]

    def __setitem__(self, key, value):
        """Adds `value` to those of `key` (`add` is the same)."""
        values = super().get(key)
        if values is None:
            super().__setitem__(key, [value])
        else:
            values.append(value)

    add = __setitem__

    def __getitem__(self, key):
        return super().__getitem__(key)[0]

    def get(self, key, default=None, type=None):
        """The first value of `key`, passed through `type` if given;
        `default` if there is none or `type` raises ValueError."""
        values = super().get(key)
        if values is None:
            return default
        if type is not None:
            try:
                return type(values[0])
            except ValueError:
                return default
        return values[0]

    def getlist(self, key, type=None):
        """All the values of `key` (through `type` if given), as a list."""
        values = super().get(key, [])
        return [type(v) for v in values] if type else list(values)

    def items(self):
        """(key, first value) pairs."""
        return [(key, self[key]) for key in self]

    def copy(self):
        """A plain dict of first values, on both runtimes."""
        return {key: self[key] for key in self}

    def __iter__(self):
        # a subclass's own iterator makes CPython's dict(d) read first
        # values through __getitem__ rather than copy the lists, as in
        # Microdot (MicroPython's dict() takes it for a list of pairs)
        return iter(self.keys())


def unquote(text, plus=True):
    """Decodes %XX escapes (and '+' as space, for forms and query strings)."""
    if plus and '+' in text:
        text = text.replace('+', ' ')
    if '%' not in text:
        return text
    parts = text.encode().split(b'%')
    out = bytearray(parts[0])
    for part in parts[1:]:
        try:
            out.append(int(part[:2], 16))
            out += part[2:]
        except ValueError:
            out += b'%' + part  # not an escape: keep it as sent
    try:
        return out.decode()
    except UnicodeError:
        raise HTTPException(400, 'Bad Request: invalid UTF-8 in URL or form')


def urldecode(text):
    """Decodes %XX escapes and '+' in a str or bytes; returns a str."""
    if isinstance(text, bytes):
        text = text.decode()
    return unquote(text)


def urlencode(text):
    """Escapes `text` for a query string or form: '+' for a space, %XX for
    UTF-8 bytes other than letters, digits and '-._~'."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char.isalpha() and byte < 128 or char.isdigit() or char in '-._~':
            out.append(char)
        elif char == ' ':
            out.append('+')
        else:
            out.append('%%%02X' % byte)
    return ''.join(out)


def parse_urlencoded(text):
    args = MultiDict()
    for item in text.split('&'):
        if item:
            key, _, value = item.partition('=')
            args.add(unquote(key), unquote(value))
    return args
