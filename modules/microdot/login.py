"""User logins on top of the session: the logged-in user's id is kept in the
session, and a "remember me" cookie can log the user back in after the
browser session has ended. Needs a Session set up on the app."""
from microdot.response import Response, call
from microdot.session import Session, hmac_sha256, now


def quote(text):
    """Percent-encodes `text` for a query string value."""
    out = []
    for byte in text.encode():
        if 48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122 or \
                byte in b'-._~/':
            out.append(chr(byte))
        else:
            out.append('%{:02X}'.format(byte))
    return ''.join(out)


def is_local(url):
    """Whether `url` is a path on this site. Browsers read "//host",
    "/\\host" and control characters in ways that lead to other sites."""
    if url[:1] != '/' or url[1:2] in ('/', '\\'):
        return False
    for char in url:
        if char < ' ':
            return False
    return True


class Login:
    """Routes decorated with the Login object need a logged-in user; others
    are redirected to `login_url`, with the URL they asked for in `next`."""

    remember_cookie = '_remember'

    def __init__(self, login_url='/login'):
        self.login_url = login_url
        self.user_loader_callback = None

    def user_loader(self, f):
        """Registers `f(user_id)`, which returns the user with that id, or
        None."""
        self.user_loader_callback = f
        return f

    @staticmethod
    def remember_key(sessions):
        # a key of its own, so that neither of the session cookie and the
        # remember cookie can be passed off as the other
        return hmac_sha256(sessions.key(), b'microdot.login remember')

    async def load_user(self, user_id):
        if self.user_loader_callback is None:
            raise ValueError('no callback registered with user_loader()')
        return await call(self.user_loader_callback, user_id)

    async def login_user(self, request, user, remember=False,
                         redirect_url='/'):
        """Logs `user` in; returns a redirect to the `next` URL of the
        request, or to `redirect_url`. `remember` keeps the user logged in
        for 30 days, or for the given number of days."""
        sessions = Session.of(request)
        session = sessions.get(request)
        session['_user_id'] = user.id
        session['_fresh'] = True
        session.save()
        request.g.current_user = user
        if remember:
            max_age = (30 if remember is True else int(remember)) * 86400
            token = sessions.encode({'user_id': user.id,
                                     'exp': now() + max_age},
                                    self.remember_key(sessions))
            options = dict(sessions.cookie_options, max_age=max_age)

            def set_remember_cookie(request, response):
                response.set_cookie(self.remember_cookie, token, **options)
                return response
            request.after_request(set_remember_cookie)
        next_url = request.args.get('next')
        return Response.redirect(next_url if next_url and is_local(next_url)
                                 else redirect_url)

    async def logout_user(self, request):
        """Logs the user out of the session and forgets the remember
        cookie."""
        sessions = Session.of(request)
        session = sessions.get(request)
        session.pop('_user_id', None)
        session.pop('_fresh', None)
        session.save()
        request.g.current_user = None
        if self.remember_cookie in request.cookies:
            def delete_remember_cookie(request, response):
                response.delete_cookie(self.remember_cookie,
                                       **sessions.cookie_options)
                return response
            request.after_request(delete_remember_cookie)

    async def get_current_user(self, request):
        """The logged-in user, or None. A valid remember cookie logs the
        user back in, in a session that is not fresh."""
        sessions = Session.of(request)
        session = sessions.get(request)
        user_id = session.get('_user_id')
        if user_id is not None:
            return await self.load_user(user_id)
        token = request.cookies.get(self.remember_cookie)
        if not token:
            return None
        user_id = sessions.decode(token, self.remember_key(sessions)).get(
            'user_id')
        if user_id is None:
            return None
        user = await self.load_user(user_id)
        if user is not None:
            session['_user_id'] = user_id
            session['_fresh'] = False
            session.save()
        return user

    def protect(self, f, fresh):
        async def wrapper(request, *args, **kwargs):
            user = await self.get_current_user(request)
            if user is None or fresh and \
                    not Session.of(request).get(request).get('_fresh'):
                separator = '&' if '?' in self.login_url else '?'
                return Response.redirect(self.login_url + separator +
                                         'next=' + quote(request.url))
            request.g.current_user = user
            return await call(f, request, *args, **kwargs)
        return wrapper

    def __call__(self, f):
        """Decorates a route that needs a logged-in user."""
        return self.protect(f, False)

    def fresh(self, f):
        """Decorates a route that needs a user who logged in during this
        browser session, not one logged back in by the remember cookie."""
        return self.protect(f, True)
