"""Helpers shared by the framework tests, on CPython and on MicroPython."""
import asyncio
import os
import sys

from microdot.test_client import TestResponse

MICROPYTHON = sys.implementation.name == 'micropython'
_ports = [int(os.getenv('MICRODOT_TEST_PORT') or 0)]


def free_port():
    """A loopback port for one test. MicroPython sockets can't tell their
    port, so the pytest side hands the MicroPython runner a free range."""
    if _ports[0]:
        _ports[0] += 1
        return _ports[0]
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Serving:
    """`async with Serving(app) as server:` runs `app` on a loopback port
    and shuts it down afterwards."""

    def __init__(self, app, ssl=None):
        self.app = app
        self.ssl = ssl
        self.port = free_port()

    async def __aenter__(self):
        self.task = asyncio.create_task(
            self.app.start_server('127.0.0.1', self.port, ssl=self.ssl))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if self.app.server and self.app.server.server:
                return self
        raise RuntimeError('server did not start')

    async def __aexit__(self, *exc):
        self.app.shutdown()
        await asyncio.wait_for(self.task, 5)

    async def connect(self, ssl=None):
        return await asyncio.open_connection('127.0.0.1', self.port, ssl=ssl)

    async def exchange(self, data, timeout=5):
        """Sends raw bytes on a new connection; returns all bytes received
        until the server closes it."""
        reader, writer = await self.connect()
        writer.write(data)
        await writer.drain()
        received = await asyncio.wait_for(read_all(reader), timeout)
        writer.close()
        await writer.wait_closed()
        return received


    async def ask(self, data):
        """Sends raw bytes on a new connection; returns the first response,
        and closes the connection as a client does after `Connection: close`."""
        reader, writer = await self.connect()
        writer.write(data)
        await writer.drain()
        response = await read_response(reader)
        writer.close()
        await writer.wait_closed()
        return response


async def read_all(reader):
    data = b''
    while True:
        try:
            part = await reader.read(4096)
        except OSError:  # reset by the server
            return data
        if not part:
            return data
        data += part
    return data


async def read_response(reader, timeout=5):
    """Reads one response from a connection that stays open."""
    async def read():
        data = b''
        while True:
            end = data.find(b'\r\n\r\n')
            if end >= 0:
                head = data[:end].decode().lower()
                if 'transfer-encoding: chunked' in head:
                    if data.endswith(b'\r\n0\r\n\r\n'):
                        return data
                elif 'content-length: ' in head:
                    length = int(head.split('content-length: ')[1]
                                 .split('\r\n')[0])
                    if len(data) >= end + 4 + length:
                        return data
                elif ' 304 ' in head.split('\r\n')[0] or \
                        ' 204 ' in head.split('\r\n')[0]:
                    return data
            part = await reader.read(4096)
            if not part:
                return data
            data += part
    return TestResponse.parse(await asyncio.wait_for(read(), timeout))


async def closed(reader, timeout=5):
    """Whether the server closed the connection (within `timeout` s)."""
    try:
        return await asyncio.wait_for(reader.read(10), timeout) == b''
    except OSError:
        return True  # closed with a reset


def parse(data):
    return TestResponse.parse(data)
