"""The ASGI/WSGI example (CPython only): the same requests get the same
answers from the framework's own server, Uvicorn and Gunicorn, each a
process of its own on a loopback port."""
import json
import pathlib
import sys

import pytest

RUNTIMES = ('cpython',)  # ASGI and WSGI servers exist on CPython only
MODULES = pathlib.Path(__file__).resolve().parents[2] / 'modules'
BIN = pathlib.Path(sys.executable).parent


def uvicorn(port):
    return [sys.executable, '-m', 'uvicorn', '--host', '127.0.0.1',
            '--port', str(port), '--log-level', 'warning', 'main:asgi_app']


def gunicorn(port):
    return [str(BIN / 'gunicorn'), '--bind', '127.0.0.1:%d' % port,
            '--workers', '1', '--log-level', 'warning', 'main:wsgi_app']


@pytest.fixture(scope='module', params=['built-in', 'ASGI', 'WSGI'])
def any_server(request, serve, run_server, example_dir):
    """(interface, URL) of the app served by each server in turn."""
    if request.param == 'built-in':
        with serve(example_dir) as url:
            yield request.param, url
        return
    command = uvicorn if request.param == 'ASGI' else gunicorn
    # the example's folder is the current directory, where main.py is found
    with run_server(command, example_dir, {'PYTHONPATH': str(MODULES)}) \
            as port:
        yield request.param, 'http://127.0.0.1:%d' % port


def test_same_answers(any_server, fetch):
    interface, url = any_server
    assert fetch(url + '/').json() == {'interface': interface,
                                       'client': '127.0.0.1'}

    reply = fetch(url + '/api/sum', 'POST', json.dumps([1, 2, 3.5]),
                  {'Content-Type': 'application/json'})
    assert (reply.status, reply.json()) == (200, {'sum': 6.5})
    reply = fetch(url + '/api/sum', 'POST', '"six"',
                  {'Content-Type': 'application/json'})
    assert (reply.status, reply.json()) == \
        (400, {'error': 'send a JSON list of numbers'})

    reply = fetch(url + '/lines/500')
    assert reply.text == ''.join('line %d\n' % n for n in range(500))
    assert fetch(url + '/nowhere').status == 404
