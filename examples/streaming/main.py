"""Streamed responses: bodies sent in pieces as they are made, so a long
answer never has to fit in the board's memory. A handler returns a
generator (or any iterator) or an async iterator; the server sends each
piece as it comes, with chunked transfer coding since the length is not
known beforehand (or with the Content-Length the handler gives).

    GET /readings.csv?rows=N   a CSV export, one row per piece (generator)
    GET /countdown/<n>         a line a tenth of a second: an async
                               iterator that awaits between pieces
    GET /fixed                 pieces with a known total length

MicroPython has no async generators (`async def` with `yield`): an async
iterator is a class with __aiter__() and __anext__(), as Countdown below.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl -N http://127.0.0.1:5000/countdown/10

On a board with the framework and a network: copy main.py to it.
"""
import asyncio

from microdot import Microdot, abort

app = Microdot()


def csv_rows(count):
    yield 'minute,temperature\n'
    for minute in range(count):
        # a made-up daily curve, in tenths of a degree
        yield '%d,%.1f\n' % (minute, 18 + (minute % 1440) / 144)


class Countdown:
    """The lines 'n', 'n - 1', ..., '0', 'liftoff', one a tenth of a
    second."""

    def __init__(self, start):
        self.next = start

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.next < -1:
            raise StopAsyncIteration
        await asyncio.sleep(0.1)  # other requests are served meanwhile
        line = '%d\n' % self.next if self.next >= 0 else 'liftoff\n'
        self.next -= 1
        return line


@app.get('/readings.csv')
async def readings(request):
    rows = int(request.args.get('rows', '100'))
    if not 0 <= rows <= 100000:
        abort(400, 'rows: 0 to 100000')
    return csv_rows(rows), {'Content-Type': 'text/csv'}


@app.get('/countdown/<int:start>')
async def countdown(request, start):
    if start > 60:
        abort(400, 'at most 60')
    return Countdown(start)


@app.get('/fixed')
async def fixed(request):
    pieces = ['first piece, ', 'second piece, ', 'last piece\n']
    length = sum(len(piece) for piece in pieces)
    # with a Content-Length the body goes as it is, not chunked
    return iter(pieces), {'Content-Length': str(length)}


if __name__ == '__main__':
    app.run(port=5000, debug=True)
