"""HTTP authentication: a page for people behind Basic authentication
(the browser asks for a name and password), an API for scripts behind a
bearer token, and a page that greets either a logged-in user or a guest.
The verify callbacks return the user, or None to refuse; the user is
`request.g.current_user` in the route. Basic authentication sends the
password with every request: serve such an app over TLS (see the tls
example) on any network you do not trust.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl -u admin:letmein http://127.0.0.1:5000/admin
    curl -H 'Authorization: Bearer 7c1d2a9e41f3' \\
        http://127.0.0.1:5000/api/status

On a board with the framework and a network: copy main.py to it, with
passwords and tokens of your own.
"""
from microdot import Microdot
from microdot.auth import BasicAuth, TokenAuth, compare_digest

app = Microdot()
basic_auth = BasicAuth(realm='Device admin')
token_auth = TokenAuth()  # Authorization: Bearer <token>
# TokenAuth(header='X-API-Key') would take the token from that header

PASSWORDS = {'admin': 'letmein'}
TOKENS = {'7c1d2a9e41f3': 'backup-script'}  # token -> the client it is for


@basic_auth.authenticate
async def check_password(request, username, password):
    expected = PASSWORDS.get(username)
    # compared in a time that does not tell how much of it was right
    if expected is not None and compare_digest(password, expected):
        return username
    return None


@token_auth.authenticate
async def check_token(request, token):
    for known, client in TOKENS.items():
        if compare_digest(token, known):
            return client
    return None


@token_auth.errorhandler
async def token_refused(request):
    # scripts get JSON; the default is a plain 401 with WWW-Authenticate
    return {'error': 'a valid bearer token is needed'}, 401


@app.get('/')
@basic_auth.optional
async def index(request):
    return 'Hello, %s!' % (request.g.current_user or 'guest')


@app.get('/admin')
@basic_auth
async def admin(request):
    return 'Admin page of %s' % request.g.current_user


@app.get('/api/status')
@token_auth
async def status(request):
    return {'status': 'ok', 'client': request.g.current_user}


if __name__ == '__main__':
    app.run(port=5000, debug=True)
