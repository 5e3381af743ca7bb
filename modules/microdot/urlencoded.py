"""Query strings and urlencoded forms: `request.args` and `request.form`
load this module on first use, and so does a path with %-escapes."""
from microdot import HTTPException


class MultiDict(dict):
    """A dict whose keys may repeat (query strings, forms): `d[key] = v`
    adds a value, as in Microdot; `d[key]` is the first value, `getlist(key)`
    all of them, `del d[key]` removes them all."""

    multi = None  # key -> list of all values, only for keys seen twice

    def __setitem__(self, key, value):
        if key not in self:
            super().__setitem__(key, value)
            return
        if self.multi is None:
            self.multi = {}
        self.multi.setdefault(key, [self[key]]).append(value)

    add = __setitem__

    def __delitem__(self, key):
        if self.multi:
            self.multi.pop(key, None)
        super().__delitem__(key)

    def get(self, key, default=None, type=None):
        if key not in self:
            return default
        value = self[key]
        if type is not None:
            try:
                return type(value)
            except ValueError:
                return default
        return value

    def getlist(self, key, type=None):
        if key not in self:
            return []
        values = (self.multi or {}).get(key) or [self[key]]
        return [type(v) for v in values] if type else list(values)


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
