"""User logins on top of the session: the logged-in user's id is kept in the
session, and a "remember me" cookie can log the user back in after the
browser session has ended. Needs a Session set up on the app."""
from microdot import redirect, call
from microdot.session import now


def quote(text):
    """Percent-encodes `text` for a query string value: all but printable
    ASCII, and what a URL cannot hold or would end or change the value."""
    out = ''
    for byte in text.encode():
        char = chr(byte)
        if byte <= 32 or byte >= 127 or char in '"#%&+<=>?\\^`{|}':
            char = '%%%02X' % byte
        out += char
    return out


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
    are redirected to `login_url`, with the URL they asked for in `next`.
    The session holds the user's id, and "_fresh" unless the user came back
    through the remember cookie. That cookie is signed with a key of its
    own, derived from its name by Session.sign(), so that neither of the
    two cookies can be passed off as the other."""

    remember_cookie = '_remember'
    user_loader_callback = None

    def __init__(self, login_url='/login'):
        self.login_url = login_url

    def user_loader(self, f):
        """Registers `f(user_id)`, which returns the user with that id, or
        None."""
        self.user_loader_callback = f
        return f

    async def login_user(self, request, user, remember=False,
                         redirect_url='/'):
        """Logs `user` in; returns a redirect to the `next` URL of the
        request, or to `redirect_url`. `remember` keeps the user logged in
        for 30 days, or for the given number of days."""
        sessions = request.app._session
        session = sessions.get(request)
        session['_user_id'] = user.id
        session['_fresh'] = True
        session.save()
        request.g.current_user = user
        next_url = request.args.get('next')
        response = redirect(next_url if next_url and is_local(next_url)
                            else redirect_url)
        if remember:
            max_age = (30 if remember is True else int(remember)) * 86400
            token = sessions.encode({'_user_id': user.id,
                                     'exp': now() + max_age},
                                    sessions.sign(self.remember_cookie))
            options = dict(sessions.cookie_options, max_age=max_age)
            response.set_cookie(self.remember_cookie, token, **options)
        return response

    async def logout_user(self, request):
        """Logs the user out of the session and forgets the remember
        cookie."""
        sessions = request.app._session
        session = sessions.get(request)
        session.pop('_user_id', None)
        session.pop('_fresh', None)
        session.save()
        request.g.current_user = None

        def delete_remember_cookie(request, response):
            response.delete_cookie(self.remember_cookie,
                                   **sessions.cookie_options)
            return response
        request.after_request(delete_remember_cookie)

    async def get_current_user(self, request):
        """The logged-in user, or None. A valid remember cookie logs the
        user back in, in a session that is not fresh. The user is loaded
        once per request: it is kept in `request.g.current_user`."""
        user = getattr(request.g, 'current_user', None)
        if user is None:
            user = await self.load_user(request)
            request.g.current_user = user
        return user

    async def load_user(self, request):
        """The user whose id is in the session, else the one of a valid
        remember cookie (then put in the session), else None."""
        sessions = request.app._session
        session = sessions.get(request)
        user_id = session.get('_user_id')
        if user_id is not None:
            return await call(self.user_loader_callback, user_id)
        token = request.cookies.get(self.remember_cookie, '')
        user_id = sessions.decode(token, sessions.sign(
            self.remember_cookie)).get('_user_id')
        if user_id is None:
            return None
        user = await call(self.user_loader_callback, user_id)
        if user is not None:
            session['_user_id'] = user_id
            session.save()
        return user

    def __call__(self, f, fresh=False):
        """Decorates a route that needs a logged-in user."""
        async def wrapper(request, *args, **kwargs):
            user = await self.get_current_user(request)
            if user is None or fresh and \
                    not request.app._session.get(request).get('_fresh'):
                separator = '&' if '?' in self.login_url else '?'
                return redirect(self.login_url + separator + 'next=' +
                                quote(request.url))
            return await call(f, request, *args, **kwargs)
        return wrapper

    def fresh(self, f):
        """Decorates a route that needs a user who logged in during this
        browser session, not one logged back in by the remember cookie."""
        return self(f, True)
