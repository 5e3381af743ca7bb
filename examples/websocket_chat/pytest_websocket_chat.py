"""The chat example, with real WebSocket clients (the websockets
package): messages reach everyone, joins and leaves are announced, and a
plain request to the WebSocket route is refused."""
from websockets.sync.client import connect


def ws_url(server, name):
    return server.replace('http://', 'ws://') + '/chat?name=' + name


def test_messages_reach_everyone(server):
    with connect(ws_url(server, 'alice'), open_timeout=10) as alice:
        assert alice.recv(timeout=10) == 'alice joined'
        with connect(ws_url(server, 'bob'), open_timeout=10) as bob:
            assert bob.recv(timeout=10) == 'bob joined'
            assert alice.recv(timeout=10) == 'bob joined'
            alice.send('hi bob')
            assert alice.recv(timeout=10) == 'alice: hi bob'
            assert bob.recv(timeout=10) == 'alice: hi bob'
            bob.send('héllo, ✓')
            assert alice.recv(timeout=10) == 'bob: héllo, ✓'
            assert bob.recv(timeout=10) == 'bob: héllo, ✓'
        # bob's handler ended when he closed: he is gone from the chat
        assert alice.recv(timeout=10) == 'bob left'
        alice.send('alone')
        assert alice.recv(timeout=10) == 'alice: alone'


def test_page_and_plain_request(server, fetch):
    page = fetch(server + '/')
    assert page.status == 200
    assert "new WebSocket('ws://' + location.host + '/chat" in page.text
    assert fetch(server + '/chat').status == 400
