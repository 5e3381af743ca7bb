"""The auth example: Basic and bearer credentials, right, wrong, missing
or malformed."""
import base64


def basic(credentials):
    return {'Authorization': 'Basic ' +
            base64.b64encode(credentials.encode()).decode()}


def test_basic(server, fetch):
    reply = fetch(server + '/admin', headers=basic('admin:letmein'))
    assert (reply.status, reply.text) == (200, 'Admin page of admin')
    for headers in ({}, basic('admin:wrong'), basic('nobody:letmein'),
                    basic('no colon'), {'Authorization': 'Basic %%%'},
                    {'Authorization': 'Bearer 7c1d2a9e41f3'}):
        reply = fetch(server + '/admin', headers=headers)
        assert reply.status == 401, headers
        # the browser's cue to ask for a name and password
        assert reply.headers['WWW-Authenticate'] == \
            'Basic realm="Device admin", charset="UTF-8"'


def test_optional(server, fetch):
    assert fetch(server + '/').text == 'Hello, guest!'
    assert fetch(server + '/', headers=basic('admin:letmein')).text == \
        'Hello, admin!'
    assert fetch(server + '/', headers=basic('admin:nope')).text == \
        'Hello, guest!'


def test_token(server, fetch):
    reply = fetch(server + '/api/status',
                  headers={'Authorization': 'Bearer 7c1d2a9e41f3'})
    assert (reply.status, reply.json()) == (200, {'status': 'ok',
                                                  'client': 'backup-script'})
    for headers in ({}, {'Authorization': 'Bearer 7c1d2a9e41f4'},
                    {'Authorization': 'Bearer'},
                    {'Authorization': 'Token 7c1d2a9e41f3'}):
        reply = fetch(server + '/api/status', headers=headers)
        assert (reply.status, reply.json()) == \
            (401, {'error': 'a valid bearer token is needed'}), headers
