"""Jinja2 templates (CPython only): rendering, autoescaping, async templates,
and pages streamed as response bodies."""
import asyncio
import os
import tempfile

from jinja2 import TemplateNotFound

from microdot import Microdot
from microdot.jinja import Template
from microdot.test_client import TestClient

TEMPLATES = {
    'base.html': '<title>{% block title %}{% endblock %}</title>\n'
                 '{% block body %}{% endblock %}\n',
    'page.html': '{% extends "base.html" %}'
                 '{% block title %}{{ title }}{% endblock %}'
                 '{% block body %}{% for item in items %}<li>{{ item }}</li>'
                 '{% endfor %}{% endblock %}',
    'note.txt': 'Note: {{ text }}',
    'async.html': '{% for n in numbers() %}{{ n }};{% endfor %}',
}


def make_folder():
    folder = tempfile.mkdtemp(prefix='microdot-jinja-')
    for name, text in TEMPLATES.items():
        with open(os.path.join(folder, name), 'w') as f:
            f.write(text)
    return folder


def test_render_and_autoescape():
    Template.initialize(make_folder())
    page = Template('page.html')
    assert page.name == 'page.html'
    assert page.render(title='A & B', items=['<b>', 'x']) == \
        '<title>A &amp; B</title>\n<li>&lt;b&gt;</li><li>x</li>'
    # only HTML and XML templates are escaped
    assert Template('note.txt').render(text='<b>') == 'Note: <b>'
    assert Template('note.txt').render({'text': 'from a dict'}) == \
        'Note: from a dict'


def test_environment_options():
    Template.initialize(make_folder(), autoescape=False,
                        variable_start_string='[[', variable_end_string=']]')
    with open(os.path.join(Template.jinja_env.loader.searchpath[0],
                           'square.html'), 'w') as f:
        f.write('[[ markup ]] {{ kept }}')
    assert Template('square.html').render(markup='<i>') == '<i> {{ kept }}'


def test_generate_yields_pieces():
    Template.initialize(make_folder())
    pieces = Template('page.html').generate(title='T', items=[1, 2, 3])
    assert not isinstance(pieces, str)
    pieces = list(pieces)
    assert len(pieces) > 3
    assert ''.join(pieces) == '<title>T</title>\n<li>1</li><li>2</li>' \
        '<li>3</li>'


async def test_sync_templates_in_handlers():
    Template.initialize(make_folder())
    app = Microdot()
    html = {'Content-Type': 'text/html; charset=UTF-8'}

    @app.get('/render')
    async def render(request):
        return Template('page.html').render(title='R', items=['a']), html

    @app.get('/stream')
    async def stream(request):
        return Template('page.html').generate(
            title=request.args['title'], items=request.args.getlist('i')), html

    @app.get('/missing')
    async def missing(request):
        return Template('nope.html').render()

    client = TestClient(app)
    res = await client.get('/render')
    assert res.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert res.headers['Content-Length'] == str(len(res.body))
    assert res.text == '<title>R</title>\n<li>a</li>'

    res = await client.get('/stream?title=S%26&i=1&i=2')
    assert res.headers['Transfer-Encoding'] == 'chunked'
    assert res.text == '<title>S&amp;</title>\n<li>1</li><li>2</li>'

    res = await client.get('/missing')
    assert res.status_code == 500
    try:
        Template('nope.html')
        raise AssertionError('no error for a missing template')
    except TemplateNotFound:
        pass


async def test_async_templates():
    Template.initialize(make_folder(), enable_async=True)
    assert Template.jinja_env.is_async

    async def numbers():
        for n in range(3):
            await asyncio.sleep(0)
            yield n

    app = Microdot()

    @app.get('/render')
    async def render(request):
        return await Template('async.html').render_async(numbers=numbers)

    @app.get('/stream')
    async def stream(request):
        return Template('async.html').generate_async(numbers=numbers)

    page = Template('async.html')
    assert await page.render_async(numbers=numbers) == '0;1;2;'
    pieces = [piece async for piece in page.generate_async(numbers=numbers)]
    assert ''.join(pieces) == '0;1;2;'

    client = TestClient(app)
    res = await client.get('/render')
    assert res.text == '0;1;2;'
    res = await client.get('/stream')
    assert res.headers['Transfer-Encoding'] == 'chunked'
    assert res.text == '0;1;2;'


async def test_async_rendering_needs_enable_async():
    Template.initialize(make_folder())
    try:
        await Template('note.txt').render_async(text='x')
        raise AssertionError('async rendering without enable_async')
    except RuntimeError:
        pass


def test_templates_folder_is_the_default():
    folder = make_folder()
    os.mkdir(os.path.join(folder, 'templates'))
    with open(os.path.join(folder, 'templates', 'hi.txt'), 'w') as f:
        f.write('hi from templates')
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        Template.jinja_env = None
        assert Template('hi.txt').render() == 'hi from templates'
    finally:
        os.chdir(cwd)
        Template.jinja_env = None
