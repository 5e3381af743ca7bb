"""Server-Sent Events: a route streams events to the browser's EventSource
over one long text/event-stream response."""
import asyncio
import json

from microdot import Response


class SSE:
    """The events of one response. The route's event function runs as a task
    of its own and calls send(); the server reads this object as the response
    body, like a file, and writes what was sent. After `ping_interval` quiet
    seconds a comment line goes out instead, so that proxies and browsers do
    not give up on the stream, and so that a client that has gone is noticed
    (a write to it fails), which cancels the event function."""

    ping_interval = 15  # seconds; None sends no keep-alive comments

    def __init__(self, request, event_function):
        self.request = request
        self.event_function = event_function
        self.task = None
        self.error = None  # what the event function raised
        # sent, not yet taken by the response body; None once the stream
        # has ended
        self.pending = ''
        self.ready = asyncio.Event()  # something is pending, or the end came
        self.taken = asyncio.Event()

    async def send(self, data, event=None, event_id=None, retry=None,
                   comment=False):
        """Sends an event: `data` as str, bytes, or dict or list as JSON
        (anything else through str()); `retry` is the reconnection delay in
        seconds; with `comment` the data goes as a comment line alone."""
        if self.pending is None:
            raise OSError('the event stream has ended')
        if isinstance(data, bytes):
            data = data.decode()
        elif isinstance(data, (dict, list)):
            data = json.dumps(data)
        message = ''
        prefix = ': '
        if not comment:
            prefix = 'data: '
            if retry is not None:
                retry = int(retry * 1000)  # milliseconds
            for name, value in (('event', event), ('id', event_id),
                                ('retry', retry)):
                if value is not None:
                    value = str(value)
                    # a line break would end the field and start another one
                    if '\r' in value or '\n' in value:
                        raise ValueError('line break in an SSE field')
                    message += name + ': ' + value + '\n'
        # CR, LF and CRLF all end a line for the client: each line of the
        # data goes in a field of its own, which the client joins with LF
        lines = str(data).replace('\r\n', '\n').replace('\r', '\n')
        for line in lines.split('\n'):
            message += prefix + line + '\n'
        self.pending += message + '\n'
        self.ready.set()
        # wait until the body takes it: a handler sending faster than the
        # client reads goes at the client's pace, instead of filling memory
        self.taken.clear()
        await self.taken.wait()

    async def run(self):
        """The event function's task, started by the first read(); what it
        raises is kept for read()."""
        try:
            await self.event_function(self.request, self)
        except Exception as exc:
            self.error = exc  # raised by read(), where the server reports it
        finally:
            self.pending = None
            self.ready.set()

    async def read(self, size):
        """The events sent since the last read, whatever `size` says (they
        go out as one chunk); a keep-alive comment after a quiet while, or
        '' once the event function has ended (or what it raised)."""
        if self.task is None:
            # started by the first read, so a HEAD request never runs it
            self.task = asyncio.create_task(self.run())
        while not self.pending:
            if self.pending is None:
                if self.error:
                    # the stream ends without its last chunk: the client can
                    # tell it broke
                    raise self.error
                return ''
            self.ready.clear()
            try:
                await asyncio.wait_for(self.ready.wait(), self.ping_interval)
            except asyncio.TimeoutError:
                return ': ping\n\n'
        data = self.pending
        self.pending = ''
        self.taken.set()
        return data

    async def close(self):
        """Called by the server when the response ends, also when the client
        has gone: the event function is cancelled if it still runs, and has
        ended when this returns (a WSGI server closes the loop next)."""
        self.pending = None
        self.taken.set()  # senders in other tasks wait no more
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass


def sse_response(request, event_function, *args, **kwargs):
    """A response that streams the events `await event_function(request,
    sse)` sends; `args` and `kwargs` go to Response (status, headers)."""
    response = Response(SSE(request, event_function), *args, **kwargs)
    headers = response.headers
    headers[response.header_name('content-type') or 'Content-Type'] = \
        'text/event-stream'
    if not response.header_name('cache-control'):
        headers['Cache-Control'] = 'no-cache'
    return response


def with_sse(f):
    """Decorator for a route `async def f(request, sse, **url_args)` that
    sends events with `await sse.send(...)` until it returns."""
    def sse_handler(request, *args, **kwargs):
        async def events(request, sse):
            await f(request, sse, *args, **kwargs)
        return sse_response(request, events)
    return sse_handler
