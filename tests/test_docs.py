"""The documentation site (docs/, `make docs`): it builds with Sphinx with
warnings as errors, every page is there, and the API reference has every
public method of the framework's public classes with its docstring. A copy
of the docs with broken references must fail to build, so that -W is known
to bite. Runs on CPython only (Sphinx imports the framework there)."""
import ast
import html
import importlib
import inspect
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import readme

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / 'docs'

PAGES = {  # page -> its title
    'index': 'microdot-esp',
    'tutorial': 'Tutorial: from nothing to a flashed device',
    'framework': 'Framework guide',
    'device': 'Device guide',
    'hil': 'Hardware-in-loop tests',
    'migration': 'Migrating from Microdot',
    'api': 'API reference',
}

# The public classes, as the API reference (docs/api.md) documents them:
# each of their own public methods needs a docstring, and the reference
# must show it.
CORE = ['microdot.Microdot', 'microdot.Request', 'microdot.Response']
CLASSES = CORE + [
    'microdot.URLPattern', 'microdot.HTTPException',
    'microdot.urlencoded.MultiDict', 'microdot.headers.NoCaseDict',
    'microdot.websocket.WebSocket', 'microdot.sse.SSE',
    'microdot.cors.CORS', 'microdot.csrf.CSRF',
    'microdot.auth.BaseAuth', 'microdot.auth.BasicAuth',
    'microdot.auth.TokenAuth',
    'microdot.session.Session', 'microdot.session.SessionDict',
    'microdot.login.Login',
    'microdot.multipart.FormDataIter', 'microdot.multipart.FileUpload',
    'microdot.utemplate.Template', 'microdot.jinja.Template',
    'microdot.asgi.Microdot', 'microdot.wsgi.Microdot',
    'microdot.test_client.TestClient', 'microdot.test_client.TestResponse',
]
FUNCTIONS = [
    'microdot.abort', 'microdot.websocket.with_websocket',
    'microdot.websocket.websocket_upgrade', 'microdot.sse.with_sse',
    'microdot.sse.sse_response', 'microdot.auth.compare_digest',
    'microdot.session.with_session', 'microdot.multipart.with_form_data',
]


def sphinx_build(source, out):
    """Runs `sphinx-build -W --keep-going -b html`, as `make docs` does;
    returns the process (output and exit code)."""
    if sys.version_info < (3, 11):
        pytest.fail('the docs need Python 3.11+ (Sphinx 9.0.4 and '
                    'myst-parser 5.2.0 in requirements.txt); this is ' +
                    sys.version.split()[0])
    try:
        import myst_parser  # noqa: F401
        import sphinx  # noqa: F401
    except ImportError as exc:
        pytest.fail('{}: install the pinned sphinx and myst-parser from '
                    'requirements.txt (make docs does)'.format(exc))
    return subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q',
         '-b', 'html', str(source), str(out)],
        capture_output=True, text=True, cwd=str(ROOT), timeout=600)


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs')
    result = sphinx_build(DOCS, out)
    assert result.returncode == 0, \
        'the docs did not build:\n' + result.stdout + result.stderr
    return out


def dotted(name):
    """The object named `name` (a module's attribute, or a class's)."""
    module, _, attribute = name.rpartition('.')
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError:
        owner = dotted(module)
        return getattr(owner, attribute)


def public_methods(cls):
    """The names of the public methods `cls` defines itself (inherited
    ones are documented with the class that defines them)."""
    names = []
    for name, value in vars(cls).items():
        if name.startswith('_') and name != '__call__':
            continue
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        if inspect.isfunction(value):
            names.append(name)
    return names


def words(text):
    """`text` as the reader sees it: reST's backquotes gone, whitespace
    collapsed."""
    return ' '.join(text.replace('`', '').split())


def entry(page, object_id):
    """The text of the API reference's entry for `object_id`: its
    signature and its description."""
    start = page.find('id="{}"'.format(object_id))
    assert start >= 0, object_id + ' is not in the API reference'
    end = page.find('</dd>', start)
    return words(html.unescape(re.sub('<[^>]+>', '', page[start:end])))


def test_the_site_builds_without_warnings(site):
    # a build with a warning has failed already (-W); nothing is left out
    for page, title in PAGES.items():
        text = (site / (page + '.html')).read_text()
        assert '<h1>' + html.escape(title, quote=False) in text, page


def test_no_page_is_left_out_of_the_sources():
    pages = {path.stem for path in DOCS.glob('*.md')}
    assert pages == set(PAGES), 'docs/*.md and PAGES differ'


@pytest.mark.parametrize('name', CORE)
def test_no_public_method_of_the_core_lacks_a_docstring(name):
    cls = dotted(name)
    missing = [method for method in public_methods(cls)
               if not inspect.getdoc(getattr(cls, method))]
    assert not missing, '{} methods without a docstring: {}'.format(
        name, ', '.join(missing))


@pytest.mark.parametrize('name', CLASSES + FUNCTIONS)
def test_the_public_api_has_docstrings(name):
    obj = dotted(name)
    assert inspect.getdoc(obj), name + ' has no docstring'
    if inspect.isclass(obj):
        missing = [method for method in public_methods(obj)
                   if not inspect.getdoc(getattr(obj, method))]
        assert not missing, '{} methods without a docstring: {}'.format(
            name, ', '.join(missing))


@pytest.mark.parametrize('name', CLASSES + FUNCTIONS)
def test_the_api_reference_shows_each_docstring(site, name):
    page = (site / 'api.html').read_text()
    obj = dotted(name)
    targets = [name]
    if inspect.isclass(obj):
        targets += [name + '.' + method for method in public_methods(obj)]
    for target in targets:
        doc = words(inspect.getdoc(dotted(target)))
        assert doc in entry(page, target), \
            'the API reference lacks the docstring of ' + target


def test_the_api_reference_documents_the_framework_of_this_repository(site):
    # not Microdot's package of the same import name, which .venv has too
    import microdot
    page = (site / 'api.html').read_text()
    assert str(ROOT / 'modules') in microdot.__file__
    assert 'microdot-esp ' + microdot.__version__ in page


def test_the_migration_guide_lists_each_deviation(site):
    # the table is included from the README, where the suite's test
    # checks it against the expected failures
    page = (site / 'migration.html').read_text()
    section = readme.marked('deviations')
    names = re.findall(r'^\| `([^`]+)`', section, re.MULTILINE)
    assert names
    for name in names:
        assert name in page


def test_internal_links_point_at_pages_and_anchors(site):
    # MyST checks links when it builds; this checks it made them links
    page = (site / 'tutorial.html').read_text()
    assert 'href="device.html#the-firmware-image"' in page
    assert 'href="hil.html"' in page


def test_every_python_example_compiles():
    for path in sorted(DOCS.glob('*.md')):
        blocks = re.findall(r'^```python\n(.*?)^```', path.read_text(),
                            re.MULTILINE | re.DOTALL)
        for number, block in enumerate(blocks, 1):
            try:
                ast.parse(block)
            except SyntaxError as exc:
                pytest.fail('{} example {}: {}'.format(path.name, number,
                                                       exc))


def test_a_warning_fails_the_build(tmp_path):
    # a copy of the docs with a link to no page and a reference to no
    # method; modules/ and the README are where conf.py and the migration
    # guide look for them
    shutil.copytree(str(DOCS), str(tmp_path / 'docs'))
    (tmp_path / 'modules').symlink_to(ROOT / 'modules')
    (tmp_path / 'README.md').symlink_to(ROOT / 'README.md')
    with open(str(tmp_path / 'docs' / 'framework.md'), 'a') as f:
        f.write('\nSee [the missing page](nosuchpage.md) and '
                '{py:meth}`microdot.Microdot.nosuchmethod`.\n')
    result = sphinx_build(tmp_path / 'docs', tmp_path / 'out')
    output = result.stdout + result.stderr
    assert result.returncode != 0, 'the broken docs built:\n' + output
    assert 'nosuchpage' in output
    assert 'microdot.Microdot.nosuchmethod' in output


def test_the_docs_state_the_python_floor_of_pyproject():
    """Every "CPython 3.N" in the README, the docs and the changelog is
    pyproject.toml's requires-python (tools/check_python.py holds to it)."""
    floor = re.search(r'requires-python = ">=(3\.\d+)"',
                      (ROOT / 'pyproject.toml').read_text()).group(1)
    pages = [ROOT / 'README.md', ROOT / 'CHANGELOG.md'] + \
        sorted((ROOT / 'docs').glob('*.md'))
    stated = {}
    for page in pages:
        for version in re.findall(r'CPython (?:>= )?(3\.\d+)',
                                  page.read_text()):
            stated.setdefault(version, []).append(page.name)
    assert list(stated) == [floor], \
        'pyproject.toml requires Python >= {}; the pages say {}'.format(
            floor, stated)


def status_fields():
    """The keys of the dict app/api.py's status() returns."""
    tree = ast.parse((ROOT / 'app' / 'api.py').read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == 'status':
            returned = [each.value for each in ast.walk(node)
                        if isinstance(each, ast.Return)]
            return [key.value for key in returned[0].keys]
    raise AssertionError('app/api.py has no status()')


def routes(path):
    """'METHOD /path' of each route an app module declares."""
    found = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        if isinstance(node, ast.Call) and \
                getattr(node.func, 'attr', '') in ('get', 'post', 'route') \
                and getattr(node.func.value, 'id', '') == 'app':
            url = node.args[0].value
            methods = [node.func.attr.upper()]
            for keyword in node.keywords:
                if keyword.arg == 'methods':
                    methods = ast.literal_eval(keyword.value)
            found.update('{} {}'.format(method, url) for method in methods)
    return found


def test_the_device_api_table_is_the_apps(site):
    """The README's table (which the device guide includes) lists every
    route of the app and of set-up mode, and the status fields
    status() returns."""
    table = readme.marked('device-api')
    listed = set(re.findall(r'`((?:GET|POST) /[^`]*)`', table))
    # the UI's files, and set-up mode's redirect of every other path
    expected = (routes('app/api.py') | routes('app/setup.py')) - {
        'GET /static/<path:name>', 'GET /<path:path>', 'HEAD /<path:path>',
        'POST /<path:path>'}
    assert listed == expected, 'README.md, "Device API": the app has ' + \
        ', '.join(sorted(expected))
    row = [line for line in table.splitlines()
           if line.startswith('| `GET /api/status` |')][0]
    # the field names, without what the parentheses say of their values
    described = re.sub(r'\([^)]*\)', '', row.split('|')[2])
    assert re.findall(r'`(\w+)`', described) == status_fields(), \
        'README.md, GET /api/status returns {}'.format(status_fields())
    page = (site / 'device.html').read_text()
    assert 'next_partition' in page and '/api/factory-reset' in page
