"""The hooks and sub-apps example: the API's own key check and JSON
errors on its routes alone, the main app's hooks on every request."""

KEY = {'X-API-Key': 'k3y'}


def test_mounted_api(server, fetch):
    reply = fetch(server + '/api/items/2', headers=KEY)
    assert (reply.status, reply.json()) == (200, {'id': 2, 'name': 'fan'})
    reply = fetch(server + '/api/items/2')
    assert (reply.status, reply.json()) == \
        (401, {'error': 'send the API key in X-API-Key'})
    # the API's error handler for its routes, the plain one elsewhere
    reply = fetch(server + '/api/items/9', headers=KEY)
    assert (reply.status, reply.json()) == (404, {'error': 'no such item'})
    reply = fetch(server + '/nothing')
    assert (reply.status, reply.text) == (404, 'Not found')
    # the main app's routes need no key
    assert fetch(server + '/').status == 200


def test_request_ids_on_every_answer(server, fetch):
    ids = []
    for path, headers, status in (('/', {}, 200), ('/api/items/1', KEY, 200),
                                  ('/api/items/1', {}, 401),
                                  ('/api/items/7', KEY, 404)):
        reply = fetch(server + path, headers=headers)
        assert reply.status == status, path
        ids.append(int(reply.headers['X-Request-Id']))
    assert ids == list(range(ids[0], ids[0] + 4))
    # before_request hooks run once a route is found: a URL without one
    # gets no id (and does not count)
    assert 'X-Request-Id' not in fetch(server + '/nothing').headers
    assert fetch(server + '/').text == 'Request %d' % (ids[-1] + 1)


def test_maintenance(server, fetch):
    assert fetch(server + '/maintenance', 'PUT', 'on').text == \
        'maintenance on'
    try:
        for path in ('/', '/api/items/1'):
            reply = fetch(server + path, headers=KEY)
            assert (reply.status, reply.text) == \
                (503, 'Down for maintenance'), path
            assert 'X-Request-Id' in reply.headers
    finally:
        assert fetch(server + '/maintenance', 'PUT', 'off').text == \
            'maintenance off'
    assert fetch(server + '/').status == 200
