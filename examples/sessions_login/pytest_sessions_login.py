"""The login example, as a browser would go through it: redirected to the
form, a wrong password, logged in, a session that counts visits, "remember
me" after the browser was closed, logout; and cookies that were tampered
with or a `next` URL to another site get nowhere."""
from http.cookies import SimpleCookie
from urllib.parse import urlencode

FORM = {'Content-Type': 'application/x-www-form-urlencoded'}


class Browser:
    """Requests with the cookies the server set, kept by name."""

    def __init__(self, server, fetch):
        self.server = server
        self.fetch = fetch
        self.cookies = {}

    def request(self, path, method='GET', form=None):
        headers = dict(FORM) if form is not None else {}
        if self.cookies:
            headers['Cookie'] = '; '.join(
                name + '=' + value for name, value in self.cookies.items())
        reply = self.fetch(self.server + path, method,
                           form and urlencode(form), headers)
        for header in reply.headers.get_all('Set-Cookie') or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel['max-age'] == '0':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply


def log_in(browser, name, password, remember=False, next_url='/'):
    form = {'username': name, 'password': password}
    if remember:
        form['remember'] = 'on'
    return browser.request('/login?' + urlencode({'next': next_url}),
                           'POST', form)


def test_log_in_visit_log_out(server, fetch):
    browser = Browser(server, fetch)
    reply = browser.request('/')
    assert (reply.status, reply.headers['Location']) == (302,
                                                         '/login?next=/')
    assert '<form method="post">' in browser.request('/login').text

    reply = log_in(browser, 'alice', 'wrong')
    assert reply.status == 401
    assert 'Wrong name or password.' in reply.text
    assert browser.cookies == {}

    reply = log_in(browser, 'alice', 'wonderland')
    assert (reply.status, reply.headers['Location']) == (302, '/')
    assert list(browser.cookies) == ['session']
    assert 'HttpOnly' in reply.headers['Set-Cookie']
    for visits in (1, 2, 3):
        reply = browser.request('/')
        assert reply.status == 200
        assert '<h1>Hello, alice</h1>' in reply.text
        assert 'Visits in this session: %d' % visits in reply.text
    assert browser.request('/settings').status == 200

    reply = browser.request('/logout', 'POST')
    assert (reply.status, reply.headers['Location']) == (302, '/login')
    assert browser.request('/').status == 302


def test_remember_me(server, fetch):
    browser = Browser(server, fetch)
    reply = log_in(browser, 'bob', 'builder', remember=True,
                   next_url='/settings')
    assert (reply.status, reply.headers['Location']) == (302, '/settings')
    assert sorted(browser.cookies) == ['_remember', 'session']
    assert browser.request('/settings').status == 200

    # the browser was closed: its session cookie is gone, not the other one
    del browser.cookies['session']
    reply = browser.request('/')
    assert reply.status == 200
    assert '<h1>Hello, bob</h1>' in reply.text
    # a session restored from the remember cookie is not fresh
    reply = browser.request('/settings')
    assert (reply.status, reply.headers['Location']) == \
        (302, '/login?next=/settings')

    browser.request('/logout', 'POST')
    assert '_remember' not in browser.cookies
    assert browser.request('/').status == 302


def test_tampered_cookie_and_foreign_next(server, fetch):
    browser = Browser(server, fetch)
    log_in(browser, 'alice', 'wonderland')
    header, payload, signature = browser.cookies['session'].split('.')
    # the payload of bob's session with alice's signature
    other = Browser(server, fetch)
    log_in(other, 'bob', 'builder')
    browser.cookies['session'] = '.'.join(
        [header, other.cookies['session'].split('.')[1], signature])
    assert browser.request('/').status == 302

    # after logging in, a client goes nowhere but to this site
    reply = log_in(Browser(server, fetch), 'alice', 'wonderland',
                   next_url='//evil.example/')
    assert (reply.status, reply.headers['Location']) == (302, '/')
