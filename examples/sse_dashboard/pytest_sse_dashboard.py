"""The dashboard example: two clients on the event stream both get the new
figures as soon as a click changes them."""
import http.client
import json


def open_stream(server):
    conn = http.client.HTTPConnection(server.partition('://')[2], timeout=10)
    conn.request('GET', '/events', headers={'Accept': 'text/event-stream'})
    return conn, conn.getresponse()


def next_event(response):
    """The next event of the stream, as {field: value}."""
    event = {}
    while True:
        line = response.readline().decode()
        assert line, 'the stream ended'
        line = line.rstrip('\n')
        if not line:
            if event:
                return event
            continue
        if not line.startswith(':'):  # a comment keeps the stream alive
            name, _, value = line.partition(': ')
            event[name] = value


def test_clicks_reach_every_stream(server, fetch, runtime):
    streams = [open_stream(server) for _ in range(2)]
    try:
        for conn, response in streams:
            assert response.status == 200
            assert response.headers['Content-Type'] == 'text/event-stream'
            assert response.headers['Cache-Control'] == 'no-cache'
        firsts = [next_event(response) for conn, response in streams]
        assert firsts[0]['event'] == 'stats'
        before = json.loads(firsts[0]['data'])
        assert before['uptime'] >= 0
        # the free heap is MicroPython's figure
        if runtime == 'micropython':
            assert before['heap'] > 0
        else:
            assert before['heap'] is None

        reply = fetch(server + '/api/click', 'POST')
        assert reply.json()['clicks'] == before['clicks'] + 1
        for conn, response in streams:
            # the click's update, or first an update that was on its way
            for _ in range(3):
                stats = json.loads(next_event(response)['data'])
                if stats['clicks'] == before['clicks'] + 1:
                    break
            assert stats['clicks'] == before['clicks'] + 1
    finally:
        for conn, response in streams:
            conn.close()


def test_page(server, fetch):
    page = fetch(server + '/')
    assert page.status == 200
    assert "new EventSource('/events')" in page.text
