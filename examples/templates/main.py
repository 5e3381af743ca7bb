"""Templates: pages rendered with utemplate, on CPython and MicroPython. A
template is compiled to a Python generator once, the first time it is used
(templates/<name>_html.py, next to it); render() gives the page as one str,
generate() in pieces that the server streams, so a long page never has to
fit in memory. utemplate does not escape what it inserts: the app escapes
text that comes from the request.

Run it on CPython, from this folder (utemplate installed by
tools/install_utemplate.py):

    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/?name=Ada or http://127.0.0.1:5000/squares/50.
On a board with the framework, utemplate in /lib (../README.md says how)
and a network: copy main.py and the templates folder to it. The board
writes the compiled templates to its flash the first time; or compile them
beforehand on the host, copy the *_html.py files too, and pass
utemplate.compiled.Loader to Template.initialize() to leave the compiler
out of the board's memory.
"""
from microdot import Microdot, abort
from microdot.utemplate import Template

app = Microdot()
Template.initialize('templates')  # relative to the current directory
HTML = {'Content-Type': 'text/html; charset=UTF-8'}


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;') \
        .replace('>', '&gt;').replace('"', '&quot;')


@app.get('/')
async def index(request):
    name = request.args.get('name', 'world')
    return Template('index.html').render(escape(name)), HTML


@app.get('/squares/<int:count>')
async def squares(request, count):
    if count > 10000:
        abort(400, 'at most 10000 squares')
    # the page goes out in pieces as the template yields them (chunked)
    return Template('squares.html').generate(count), HTML


if __name__ == '__main__':
    app.run(port=5000, debug=True)
