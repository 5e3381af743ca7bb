"""Logins with sessions: a login form, pages only a logged-in user sees,
"remember me", and logout, with the session and login extensions. The
session is a signed cookie (the browser can read it but not change it),
and keeps the user's id and a visit counter; "remember me" sets a second
cookie that logs the user back in after the browser has been closed, into
a session that is not "fresh": pages decorated with login.fresh then ask
for the password again.

Users here: alice / wonderland and bob / builder.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/. On a board with the framework and a
network: copy main.py to it. Put a secret key of your own in SECRET_KEY:
whoever knows it can sign sessions as anyone.
"""
import binascii
import hashlib
import os

from microdot import Microdot, redirect
from microdot.login import Login
from microdot.session import Session, with_session

SECRET_KEY = 'replace me with a long random string'
HTML = {'Content-Type': 'text/html; charset=UTF-8'}

app = Microdot()
Session(app, secret_key=SECRET_KEY)
login = Login()  # pages that need a user redirect to /login


def password_hash(salt, password):
    digest = hashlib.sha256((salt + ':' + password).encode()).digest()
    return binascii.hexlify(digest).decode()


class User:
    def __init__(self, user_id, name, password):
        self.id = user_id
        self.name = name
        # only a salted hash is kept: a real app stores it, not the password
        self.salt = binascii.hexlify(os.urandom(8)).decode()
        self.password_hash = password_hash(self.salt, password)

    def check(self, password):
        return password_hash(self.salt, password) == self.password_hash


USERS = [User(1, 'alice', 'wonderland'), User(2, 'bob', 'builder')]


@login.user_loader
async def load_user(user_id):
    for user in USERS:
        if user.id == user_id:
            return user
    return None


def login_page(error=''):
    return '''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Log in</title></head>
<body><h1>Log in</h1><p>%s</p>
<form method="post">
<p><input name="username" placeholder="Name" autofocus></p>
<p><input name="password" type="password" placeholder="Password"></p>
<p><label><input name="remember" type="checkbox"> Remember me</label></p>
<p><button>Log in</button></p>
</form></body></html>''' % error


@app.get('/login')
async def login_form(request):
    return login_page(), HTML


@app.post('/login')
async def log_in(request):
    form = request.form or {}
    name = form.get('username', '')
    for user in USERS:
        if user.name == name and user.check(form.get('password', '')):
            # back to the page that sent the user here (?next=...)
            return await login.login_user(request, user,
                                          remember='remember' in form)
    return login_page('Wrong name or password.'), 401, HTML


@app.post('/logout')
async def log_out(request):
    await login.logout_user(request)
    return redirect('/login')


@app.get('/')
@login
@with_session
async def index(request, session):
    session['visits'] = session.get('visits', 0) + 1
    session.save()
    return '''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Home</title></head>
<body><h1>Hello, %s</h1><p>Visits in this session: %d</p>
<p><a href="/settings">Settings</a></p>
<form method="post" action="/logout"><button>Log out</button></form>
</body></html>''' % (request.g.current_user.name, session['visits']), HTML


@app.get('/settings')
@login.fresh
async def settings(request):
    return 'Settings of %s: only after typing the password in this ' \
        'browser session.' % request.g.current_user.name


if __name__ == '__main__':
    app.run(port=5000, debug=True)
