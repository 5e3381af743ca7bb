"""Clients that do not play along: long-lived responses that would take
every connection, clients that stop reading, bodies that stop arriving,
malformed lengths and paths, and running out of memory."""
import asyncio

from microdot import Microdot, Request, send_file
from support import Serving, closed, read_response

GET = b'GET %s HTTP/1.1\r\nHost: x\r\n\r\n'


class Ticks:
    """An endless body, as an async iterator MicroPython runs too."""

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(0.1)
        return 'tick\n'


def make_app():
    app = Microdot()
    app.request_timeout = 1
    app.max_connections = 4
    app.max_streams = 2

    @app.get('/')
    def index(req):
        return 'hello'

    @app.get('/stream')
    def stream(req):
        return Ticks()  # no length: it may never end

    @app.get('/big')
    def big(req):
        piece = b'x' * 4096

        def pieces():
            for _ in range(8192):  # 32 MB: more than any socket buffer
                yield piece
        return pieces(), 200, {'Content-Length': str(4096 * 8192)}

    @app.post('/upload')
    async def upload(req):
        size = 0
        while True:
            data = await req.stream.read(1024)
            if not data:
                return 'got %d' % size
            size += len(data)

    @app.get('/file/<path:name>')
    def file(req, name):
        return send_file(name)

    @app.get('/memory')
    def memory(req):
        raise MemoryError

    return app


async def open_stream(server):
    reader, writer = await server.connect()
    writer.write(GET % b'/stream')
    await writer.drain()
    head = b''
    while b'tick' not in head:
        part = await asyncio.wait_for(reader.read(256), 5)
        assert part, head
        head += part
    return reader, writer


async def ends(reader, timeout=5):
    """Whether the server closes the connection within `timeout` s, after
    whatever it had sent."""
    async def drain():
        while await reader.read(1024):
            pass
    try:
        await asyncio.wait_for(drain(), timeout)
    except OSError:
        pass  # reset by the server
    except asyncio.TimeoutError:
        return False
    return True


async def wait_for(condition, timeout=5):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('not within %d s' % timeout)


async def test_streams_never_take_the_places_of_short_requests():
    app = make_app()
    async with Serving(app) as server:
        streams = []
        for _ in range(5):
            streams.append(await open_stream(server))
        # only the newest max_streams stay open; the older ones were closed
        for reader, _ in streams[:3]:
            assert await ends(reader)
        assert len(app.server.streams) == 2
        for _ in range(3):  # places for short requests are left
            assert (await server.ask(GET % b'/')).text == 'hello'
        for reader, writer in streams[3:]:
            assert await reader.read(64)  # still streaming
            writer.close()


async def test_a_client_that_stops_reading_is_dropped_after_the_timeout():
    app = make_app()
    async with Serving(app) as server:
        reader, writer = await server.connect()
        writer.write(GET % b'/big')  # and never read the answer
        await writer.drain()
        await wait_for(lambda: len(app.server.connections) == 1)
        # the write stalls once the buffers are full; request_timeout later
        # (1 s here) the reaper drops the connection
        await wait_for(lambda: not app.server.connections, 10)
        writer.close()


async def test_a_new_client_takes_the_place_of_a_stalled_writer():
    app = make_app()
    async with Serving(app) as server:
        stalled = []
        for _ in range(app.max_connections):
            reader, writer = await server.connect()
            writer.write(GET % b'/big')
            await writer.drain()
            stalled.append((reader, writer))
        await wait_for(lambda: len(app.server.connections) == 4)
        await asyncio.sleep(2.5)  # every write waits for its client now
        # the server is full of clients that do not read: the next one
        # still gets its answer, in the place of one of them
        assert (await server.ask(GET % b'/')).text == 'hello'
        for _, writer in stalled:
            writer.close()


async def test_a_body_that_stops_arriving_is_answered_408():
    app = make_app()
    saved = Request.max_content_length
    Request.max_content_length = 1024 * 1024
    try:
        async with Serving(app) as server:
            reader, writer = await server.connect()
            writer.write(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                         b'Content-Length: 100000\r\n\r\n' + b'y' * 20000)
            await writer.drain()
            # more than Request.max_body_length: the handler reads it from
            # the stream, and after 20 KB nothing more comes
            res = await read_response(reader, timeout=10)
            assert res.status_code == 408
            assert 'body stopped arriving' in res.text
            assert await closed(reader)
            writer.close()
    finally:
        Request.max_content_length = saved


async def test_content_length_is_ascii_digits_of_a_sane_length():
    app = make_app()
    async with Serving(app) as server:
        for value in ('\u00b2', '\u0663', '1' * 5000, '+5', '5 5', '0x10',
                      '-1', ''):
            res = await server.ask(
                b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ' +
                value.encode() + b'\r\n\r\n')
            assert res.status_code == 400, (value, res.status_code)
            assert 'invalid Content-Length' in res.text
        res = await server.ask(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                               b'Content-Length: 0005\r\n\r\nabcde')
        assert res.text == 'got 5'


async def test_a_nul_in_the_path_is_400():
    app = make_app()
    async with Serving(app) as server:
        for path in (b'/file/%00', b'/file/a%00.txt', b'/%00'):
            res = await server.ask(GET % path)
            assert res.status_code == 400, path
            assert 'NUL' in res.text
        assert (await server.ask(GET % b'/')).text == 'hello'


def test_send_file_refuses_a_name_with_nul():
    from microdot import HTTPException
    try:
        send_file('index.html\x00.txt')
    except HTTPException as exc:
        assert exc.status_code == 400
    else:
        raise AssertionError('send_file took a name with a NUL')


async def test_running_out_of_memory_is_answered_503():
    app = make_app()
    async with Serving(app) as server:
        res = await server.ask(GET % b'/memory')
        assert res.status_code == 503
        assert res.headers['Retry-After'] == '1'
        assert (await server.ask(GET % b'/')).text == 'hello'


async def test_a_long_if_none_match_is_answered():
    from microdot.files import etag_matches
    tags = ', '.join('"%x"' % n for n in range(1500))
    assert etag_matches(tags, '"5dc"') is False
    assert etag_matches(tags, '"5db"') is True
    assert etag_matches('W/"abc"', '"abc"') is True
    assert etag_matches('"abc", *', '"x"') is False
    assert etag_matches(' * ', '"x"') is True
    assert etag_matches('"ab"', '"a"') is False


def test_a_plain_dict_of_the_arguments_on_both_runtimes():
    """MicroPython's dict() reads only real dicts as mappings and iterates
    anything else as pairs, so dict(request.args) splits each key into two
    characters there (py/objdict.c, dict_update). copy() gives the same
    plain dict of first values on both runtimes, and == compares the lists
    of values, as Microdot stores them."""
    from microdot import MultiDict
    from microdot.urlencoded import parse_urlencoded
    args = parse_urlencoded('ab=1&cd=2&ab=3')
    assert isinstance(args, MultiDict)
    assert args.copy() == {'ab': '1', 'cd': '2'}
    assert type(args.copy()) is dict
    assert args == {'ab': ['1', '3'], 'cd': ['2']}
    assert args.getlist('ab') == ['1', '3']


async def test_a_request_on_its_way_keeps_its_place_for_a_while():
    """A newcomer does not push out a client the server has not read yet
    (seen in QEMU: a status request closed unanswered while 58 attack
    connections came and went); one not read for two seconds does make
    room."""
    app = make_app()
    app.max_connections = 2
    app.request_timeout = 10  # the reaper stays out of it
    async with Serving(app) as server:
        waiting = []
        for _ in range(2):  # MicroPython has no await in a comprehension
            waiting.append(await server.connect())
        await wait_for(lambda: len(app.server.connections) == 2)
        assert (await server.ask(GET % b'/')).status_code == 503
        await asyncio.sleep(2.2)
        assert (await server.ask(GET % b'/')).text == 'hello'
        assert await ends(waiting[0][0])
        for _, writer in waiting:
            writer.close()


async def test_a_head_that_trickles_in_makes_room_first():
    """Connections that sent part of a head (a slowloris) make room a
    quarter of a second after it began, long before the two seconds a
    request not read yet keeps its place."""
    app = make_app()
    app.max_connections = 2
    app.request_timeout = 10  # the reaper stays out of it
    async with Serving(app) as server:
        slow = []
        for _ in range(2):
            reader, writer = await server.connect()
            writer.write(b'GET / HTTP/1.1\r\nHost:')  # and no more
            await writer.drain()
            slow.append((reader, writer))
        await wait_for(lambda: len(app.server.connections) == 2 and all(
            conn.partial for conn in app.server.connections))
        await asyncio.sleep(0.5)
        assert (await server.ask(GET % b'/')).text == 'hello'
        assert await ends(slow[0][0])
        for _, writer in slow:
            writer.close()
