"""The hello example: its two routes, and a URL it does not have."""


def test_index(server, fetch):
    reply = fetch(server + '/')
    assert reply.status == 200
    assert reply.headers['Content-Type'] == 'text/plain; charset=UTF-8'
    assert reply.text == 'Hello, world!'


def test_name_from_the_url(server, fetch):
    assert fetch(server + '/hello/Ada').text == 'Hello, Ada!'
    # the path arrives percent-decoded, as UTF-8
    assert fetch(server + '/hello/Jos%C3%A9').text == 'Hello, José!'


def test_unknown_url(server, fetch):
    assert fetch(server + '/goodbye').status == 404
