"""The CORS and CSRF example, with the headers browsers send: what a page
of the allowed origin, of the device itself and of another site may read
and change."""
import json

DASHBOARD = 'https://dashboard.example'
EVIL = 'https://evil.example'


def put(fetch, server, brightness, headers):
    return fetch(server + '/api/settings', 'PUT',
                 json.dumps({'brightness': brightness}),
                 dict(headers, **{'Content-Type': 'application/json'}))


def test_reading(server, fetch):
    reply = fetch(server + '/api/settings', headers={'Origin': DASHBOARD})
    assert reply.status == 200
    assert reply.headers['Access-Control-Allow-Origin'] == DASHBOARD
    assert reply.headers['Access-Control-Allow-Credentials'] == 'true'
    assert 'Origin' in reply.headers['Vary']
    # another site's page gets the answer, but no leave to read it
    reply = fetch(server + '/api/settings', headers={'Origin': EVIL})
    assert reply.status == 200
    assert 'Access-Control-Allow-Origin' not in reply.headers


def test_preflight(server, fetch):
    ask = {'Access-Control-Request-Method': 'PUT',
           'Access-Control-Request-Headers': 'content-type'}
    reply = fetch(server + '/api/settings', 'OPTIONS',
                  headers=dict(ask, Origin=DASHBOARD))
    assert reply.status == 200
    assert reply.headers['Access-Control-Allow-Origin'] == DASHBOARD
    assert reply.headers['Access-Control-Allow-Methods'] == 'PUT'
    assert reply.headers['Access-Control-Allow-Headers'] == 'content-type'
    assert reply.headers['Access-Control-Max-Age'] == '600'
    reply = fetch(server + '/api/settings', 'OPTIONS',
                  headers=dict(ask, Origin=EVIL))
    assert 'Access-Control-Allow-Origin' not in reply.headers
    assert 'Access-Control-Allow-Methods' not in reply.headers


def test_changes(server, fetch):
    # from another site, by a current browser (Sec-Fetch-Site) or an older
    # one (Origin alone): refused, and nothing changed
    for headers in ({'Origin': EVIL, 'Sec-Fetch-Site': 'cross-site'},
                    {'Origin': EVIL}):
        reply = put(fetch, server, 1, headers)
        assert reply.status == 403, headers
    assert fetch(server + '/api/settings').json() == {'brightness': 50}

    for brightness, headers in (
            (60, {'Origin': server, 'Sec-Fetch-Site': 'same-origin'}),
            (70, {'Origin': server}),  # an older browser, on the device
            (80, {'Origin': DASHBOARD, 'Sec-Fetch-Site': 'cross-site'}),
            (90, {})):  # curl, a script
        reply = put(fetch, server, brightness, headers)
        assert (reply.status, reply.json()) == \
            (200, {'brightness': brightness}), headers
    reply = put(fetch, server, 101, {})
    assert reply.status == 400


def test_exempt_webhook(server, fetch):
    reply = fetch(server + '/api/webhook', 'POST', 'deploy done',
                  {'Origin': EVIL, 'Sec-Fetch-Site': 'cross-site',
                   'Content-Type': 'text/plain'})
    assert reply.status == 200
    assert reply.json()['last_size'] == len('deploy done')
