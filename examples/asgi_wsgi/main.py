"""The same app under three servers: the framework's own (python main.py),
an ASGI server such as Uvicorn, and a WSGI server such as Gunicorn. The
routes are defined once, on `app`; `asgi_app` and `wsgi_app` are the ASGI
and WSGI applications that mount them. Useful to run a device's app on a
host, behind servers made for one. CPython only: ASGI, WSGI and those
servers do not exist on MicroPython, whose boards run the framework's own
server, as `python main.py` does.

Run it on CPython, from this folder, with one of:

    PYTHONPATH=../../modules python main.py
    PYTHONPATH=../../modules uvicorn --port 5000 main:asgi_app
    PYTHONPATH=../../modules gunicorn -b 127.0.0.1:5000 main:wsgi_app

then open http://127.0.0.1:5000/.
"""
from microdot import Microdot
from microdot.asgi import Microdot as ASGIMicrodot
from microdot.wsgi import Microdot as WSGIMicrodot

app = Microdot()


@app.get('/')
async def index(request):
    # what the server passed on: the ASGI scope, the WSGI environ, or
    # neither under the framework's own server
    if hasattr(request, 'asgi_scope'):
        interface = 'ASGI'
    elif hasattr(request, 'environ'):
        interface = 'WSGI'
    else:
        interface = 'built-in'
    return {'interface': interface, 'client': request.client_addr[0]}


@app.post('/api/sum')
async def add(request):
    numbers = request.json
    if not isinstance(numbers, list) or \
            not all(isinstance(n, (int, float)) for n in numbers):
        return {'error': 'send a JSON list of numbers'}, 400
    return {'sum': sum(numbers)}


@app.get('/lines/<int:count>')
async def lines(request, count):
    return ('line %d\n' % n for n in range(count))  # streamed


asgi_app = ASGIMicrodot()
asgi_app.mount(app)
wsgi_app = WSGIMicrodot()
wsgi_app.mount(app)

if __name__ == '__main__':
    app.run(port=5000, debug=True)
