"""utemplate templates: rendering, includes, the loaders, and pages streamed
as response bodies. The templates are written by each test into a folder of
the run's temporary one (MICRODOT_TEST_TMP, set by tests/conftest.py and
passed on to MicroPython), which is removed afterwards."""
import os
import sys

from microdot import Microdot
from microdot.test_client import TestClient
from microdot.utemplate import Template
from support import MICROPYTHON

PAGE = '''{% args title, items=() %}
<h1>{{title}}</h1>
{% for item in items %}<li>{{item}}</li>
{% endfor %}{% include "footer.html" %}'''

FOOTER = '<p>end</p>\n'

PAGE_TEXT = '<h1>Fruit</h1>\n<li>apple</li>\n<li>pear</li>\n<p>end</p>\n'


def remove_tree(path):
    for name in os.listdir(path):
        try:
            os.remove(path + '/' + name)
        except OSError:
            remove_tree(path + '/' + name)  # CPython's __pycache__
    os.rmdir(path)


class Templates:
    """`with Templates(files) as folder:` writes the templates in `files`
    (name -> text) into a new folder of the run's temporary one, which is
    the current directory meanwhile and on sys.path: utemplate names the
    compiled templates after their folder, relative to it, and imports
    them from there."""

    count = 0

    def __init__(self, files, folder=None):
        Templates.count += 1
        self.folder = folder or 'utemplate_test_{}'.format(Templates.count)
        self.files = files
        self.on_path = '' in sys.path

    def __enter__(self):
        self.cwd = os.getcwd()
        os.chdir(os.getenv('MICRODOT_TEST_TMP'))
        os.mkdir(self.folder)
        for name in self.files:
            with open(self.folder + '/' + name, 'w') as f:
                f.write(self.files[name])
        if not self.on_path:
            sys.path.insert(0, '')
        return self.folder

    def __exit__(self, *exc):
        remove_tree(self.folder)
        os.chdir(self.cwd)
        if not self.on_path:
            sys.path.remove('')
        for name in list(sys.modules):
            if name == self.folder or name.startswith(self.folder + '.'):
                del sys.modules[name]
        Template.loader = None


def test_render_with_arguments_and_include():
    with Templates({'page.html': PAGE, 'footer.html': FOOTER}) as folder:
        Template.initialize(folder)
        page = Template('page.html')
        assert page.name == 'page.html'
        assert page.render('Fruit', items=['apple', 'pear']) == PAGE_TEXT
        assert page.render(title='Empty') == '<h1>Empty</h1>\n<p>end</p>\n'
        # the compiled template is kept next to the source
        assert 'page_html.py' in os.listdir(folder)


def test_generate_yields_pieces():
    with Templates({'page.html': PAGE, 'footer.html': FOOTER}) as folder:
        Template.initialize(folder)
        pieces = Template('page.html').generate('Fruit', ['apple', 'pear'])
        assert not isinstance(pieces, str)
        pieces = list(pieces)
        assert len(pieces) > 3
        assert ''.join(pieces) == PAGE_TEXT


async def test_async_rendering():
    with Templates({'page.html': PAGE, 'footer.html': FOOTER}) as folder:
        Template.initialize(folder)
        page = Template('page.html')
        assert await page.render_async('Fruit', items=['apple', 'pear']) == \
            PAGE_TEXT
        pieces = []
        async for piece in page.generate_async('Fruit', ['apple', 'pear']):
            pieces.append(piece)
        assert len(pieces) > 3
        assert ''.join(pieces) == PAGE_TEXT


async def test_pages_from_handlers():
    with Templates({'page.html': PAGE, 'footer.html': FOOTER}) as folder:
        Template.initialize(folder)
        app = Microdot()
        html = {'Content-Type': 'text/html; charset=UTF-8'}

        @app.get('/render')
        async def render(request):
            return Template('page.html').render('Fruit', ['apple', 'pear']), \
                html

        @app.get('/stream')
        async def stream(request):
            return Template('page.html').generate(
                request.args.get('title'), request.args.getlist('item')), html

        @app.get('/stream-async')
        async def stream_async(request):
            return Template('page.html').generate_async('Fruit',
                                                        ['apple', 'pear'])

        client = TestClient(app)
        res = await client.get('/render')
        assert res.status_code == 200
        assert res.headers['Content-Type'] == 'text/html; charset=UTF-8'
        assert res.headers['Content-Length'] == str(len(PAGE_TEXT))
        assert res.text == PAGE_TEXT

        res = await client.get('/stream?title=Fruit&item=apple&item=pear')
        assert res.status_code == 200
        assert res.headers['Content-Type'] == 'text/html; charset=UTF-8'
        assert res.headers['Transfer-Encoding'] == 'chunked'
        assert 'Content-Length' not in res.headers
        assert res.text == PAGE_TEXT

        res = await client.get('/stream-async')
        assert res.headers['Transfer-Encoding'] == 'chunked'
        assert res.text == PAGE_TEXT


async def test_non_ascii_page():
    with Templates({'hi.html': '{% args name %}Grüße, {{name}}!'}) as folder:
        Template.initialize(folder)
        app = Microdot()

        @app.get('/<name>')
        async def hello(request, name):
            return Template('hi.html').generate(name)

        res = await TestClient(app).get('/J%C3%BCrgen')
        assert res.body == 'Grüße, Jürgen!'.encode()


async def test_missing_template_is_a_server_error():
    with Templates({'page.html': PAGE}) as folder:
        Template.initialize(folder)
        try:
            Template('nope.html')
            raise AssertionError('no error for a missing template')
        except OSError:
            pass
        app = Microdot()

        @app.get('/')
        async def index(request):
            return Template('nope.html').render()

        res = await TestClient(app).get('/')
        assert res.status_code == 500


def test_templates_folder_is_the_default():
    tmp = os.getenv('MICRODOT_TEST_TMP')
    if 'templates' in os.listdir(tmp):
        raise AssertionError('a templates folder is in the way in ' + tmp)
    with Templates({'default_test.html': 'in {{"templates"}}'}, 'templates'):
        Template.loader = None
        assert Template('default_test.html').render() == 'in templates'


def test_compiled_loader():
    from utemplate import compiled
    precompiled = 'def render(name):\n    yield "precompiled for "\n' \
        '    yield name\n'
    with Templates({'page_html.py': precompiled,
                    'other.html': 'not compiled'}) as folder:
        Template.initialize(folder, loader_class=compiled.Loader)
        assert Template('page.html').render('you') == 'precompiled for you'
        # this loader never compiles: templates compiled beforehand only
        try:
            Template('other.html')
            raise AssertionError('compiled.Loader compiled a template')
        except ImportError as exc:
            assert 'other_html' in str(exc)  # the error names the template
        assert 'other_html.py' not in os.listdir(folder)


def test_template_compiled_after_a_failed_import():
    with Templates({}) as folder:
        from utemplate import compiled
        Template.initialize(folder, loader_class=compiled.Loader)
        before = os.stat(folder)
        try:
            Template('late.html')
            raise AssertionError('a template that is not there was loaded')
        except ImportError as exc:
            assert 'late_html' in str(exc)
        with open(folder + '/late_html.py', 'w') as f:
            f.write('def render():\n    yield "late"\n')
        if not MICROPYTHON:
            # as on a file system whose clock is coarse: CPython's cached
            # listing of the folder looks up to date
            os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert Template('late.html').render() == 'late'
