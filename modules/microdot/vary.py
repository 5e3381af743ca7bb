"""The Vary header: extensions whose answer depends on a request header
(CORS on Origin, CSRF on Sec-Fetch-Site, sessions on Cookie) record it in
`request.g._vary`, as in Microdot, and the app adds them to the response."""


def add_vary(response, names):
    """Adds `names` to the response's Vary header."""
    key = response.header_name('vary') or 'Vary'
    have = [name.strip() for name in response.headers.get(key, '').split(',')
            if name.strip()]
    response.headers[key] = ', '.join(
        have + [name for name in names if name not in have])


def vary_on(request, name):
    """Records that the answer to `request` depends on its header `name`,
    which then joins the response's Vary header."""
    g = request.g
    if not hasattr(g, '_vary'):
        g._vary = set()
    g._vary.add(name)
