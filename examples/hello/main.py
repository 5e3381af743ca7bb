"""Hello, world: the smallest app, a route with a fixed URL and one with a
part of the URL as an argument of its handler.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/ or http://127.0.0.1:5000/hello/Ada. On a
board with the framework and a network: copy main.py to it
(../README.md says what a board needs, and how).
"""
from microdot import Microdot

app = Microdot()


@app.get('/')
async def index(request):
    return 'Hello, world!'


@app.get('/hello/<name>')
async def hello(request, name):
    return 'Hello, %s!' % name


if __name__ == '__main__':
    app.run(port=5000, debug=True)
