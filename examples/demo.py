"""A demo app on http://127.0.0.1:$HTTP_PORT (default 8080): the framework
running on the host until the device emulation replaces it (issue 4).

    make run             # CPython
    micropython examples/demo.py   # with MICROPYPATH=build/mpy:.frozen
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'modules'))

from microdot import Microdot, Response  # noqa: E402

app = Microdot()
hits = {'count': 0}


@app.get('/')
def index(request):
    hits['count'] += 1
    return Response('<!doctype html><title>microdot demo</title>'
                    '<h1>It works</h1><p>Visits: %d</p>'
                    '<p><a href="/api/hello?name=you">/api/hello</a></p>'
                    % hits['count'], headers={'Content-Type': 'text/html'})


@app.get('/api/hello')
def hello(request):
    return {'hello': request.args.get('name', 'world')}


if __name__ == '__main__':
    port = int(os.getenv('HTTP_PORT') or 8080)
    print('Serving on http://127.0.0.1:%d (Ctrl-C to stop)' % port)
    app.run('127.0.0.1', port)
