"""Cookies: Response.set_cookie(), delete_cookie() and request.cookies import
this module on first use, so apps without cookies do not load it."""
import time


def http_date(when):
    """Formats an HTTP date from a string, a datetime or epoch seconds."""
    if isinstance(when, str):
        return when
    if hasattr(when, 'strftime'):
        return when.strftime('%a, %d %b %Y %H:%M:%S GMT')
    t = time.gmtime(int(when))
    return '%s, %02d %s %d %02d:%02d:%02d GMT' % (
        'MonTueWedThuFriSatSun'[t[6] * 3:t[6] * 3 + 3], t[2],
        'JanFebMarAprMayJunJulAugSepOctNovDec'[t[1] * 3 - 3:t[1] * 3], t[0],
        t[3], t[4], t[5])


def set_cookie(response, cookie, value, path=None, domain=None, expires=None,
               max_age=None, secure=False, http_only=False,
               partitioned=False):
    for text in (value, path, domain):
        # a line break would start a header of the client's choosing
        if text and ('\r' in text or '\n' in text):
            raise ValueError('line break in a cookie')
    if ';' in value:
        raise ValueError('";" in a cookie value')
    attributes = [cookie + '=' + value]
    if path:
        attributes.append('Path=' + path)
    if domain:
        attributes.append('Domain=' + domain)
    if expires is not None:
        attributes.append('Expires=' + http_date(expires))
    if max_age is not None:
        attributes.append('Max-Age=' + str(max_age))
    if secure:
        attributes.append('Secure')
    if http_only:
        attributes.append('HttpOnly')
    if partitioned:
        attributes.append('Partitioned')
    response.headers.setdefault('Set-Cookie', []).append('; '.join(attributes))


def delete_cookie(response, cookie, **kwargs):
    kwargs['expires'] = 'Thu, 01 Jan 1970 00:00:01 GMT'
    kwargs['max_age'] = 0
    set_cookie(response, cookie, '', **kwargs)


def parse_cookies(header):
    """The Cookie request header as a dict: `request.cookies`."""
    cookies = {}
    if not header:
        return cookies
    for item in header.split(';'):
        name, _, value = item.strip().partition('=')
        cookies[name] = value
    return cookies
