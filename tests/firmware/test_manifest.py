"""The frozen manifests: our evaluator's semantics (on manifests made here),
then each board's manifest evaluated: every path it names exists, the
port's default manifest is included, the framework extensions frozen are
the board's list (and the README's), and nothing frozen imports a
framework module that is left out. The README's lists of what every image
freezes and of the core modules are the manifest's."""
import ast
import os
import pathlib
import re

import pytest

from firmware_paths import BOARDS, ROOT
import frozen
import manifest_eval
import readme

CORE = {'__init__', 'body', 'chunked', 'urlencoded', 'segments', 'cookies',
        'files', 'streaming', 'streams', 'errors', 'vary', 'headers',
        'subapps', 'microdot'}
NEVER_FROZEN = {'jinja', 'asgi', 'wsgi', 'test_client', 'utemplate'}
APP = {'main.py', 'api.py', 'ota.py', 'image.py', 'config.py', 'logs.py',
       'setup.py', 'captive_dns.py', 'improv.py', 'hw/__init__.py',
       'hw/esp32.py', 'hw/otadata.py'}
PORT_MANIFEST = 'include $(PORT_DIR)/boards/manifest.py'


def write(path, text=''):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- the evaluator -------------------------------------------------------

def test_freeze_module_package_semantics(tmp_path):
    for name in ('lib/a.py', 'lib/pkg/__init__.py', 'lib/pkg/b.py',
                 'lib/pkg/notes.txt', 'src/one.py', 'src/two.py',
                 'pk/p/__init__.py', 'pk/p/x.py', 'pk/p/y.py'):
        write(tmp_path / name)
    manifest = write(tmp_path / 'manifest.py', '\n'.join([
        'freeze("lib")',                       # everything under lib/
        'freeze("src", "one.py")',             # one file
        'freeze("src", ("two.py",), opt=3)',   # a list, with an opt level
        'module("one.py", base_path="src")',
        'package("p", files=["x.py"], base_path="pk")',
        'package("p", base_path="pk")',
    ]))
    result = manifest_eval.evaluate(manifest)
    targets = [f.target for f in result.files]
    assert targets == ['a.py', 'pkg/__init__.py', 'pkg/b.py', 'one.py',
                       'two.py', 'one.py', 'p/x.py', 'p/__init__.py',
                       'p/x.py', 'p/y.py']
    assert [f.opt for f in result.files][4] == 3
    assert all(os.path.isabs(f.source) and os.path.isfile(f.source)
               for f in result.files)
    assert result.external == []


def test_include_options_and_paths_relative_to_each_manifest(tmp_path):
    write(tmp_path / 'sub' / 'code' / 'm.py')
    write(tmp_path / 'sub' / 'manifest.py', '\n'.join([
        'options.defaults(name="m.py", extra=None)',
        'freeze("code", options.name)',
        'assert options.extra is None and options.unknown is None',
        'import os',
        'assert os.path.basename(os.getcwd()) == "sub"',
    ]))
    top = write(tmp_path / 'top.py', 'include("sub")\ninclude("sub/manifest.py")')
    result = manifest_eval.evaluate(top)
    assert [f.target for f in result.files] == ['m.py']  # run once
    assert result.manifests == [str(top), str(tmp_path / 'sub' / 'manifest.py')]

    write(tmp_path / 'sub2' / 'code' / 'other.py')
    write(tmp_path / 'sub2' / 'manifest.py', 'freeze("code", options.name)')
    top = write(tmp_path / 'top2.py', 'include("sub2", name="other.py")')
    assert [f.target for f in manifest_eval.evaluate(top).files] == ['other.py']


def test_path_variables_and_external_references(tmp_path):
    write(tmp_path / 'board' / 'b.py')
    manifest = write(tmp_path / 'manifest.py', '\n'.join([
        'include("$(PORT_DIR)/boards/manifest.py")',
        'require("mip")',
        'freeze("$(MPY_DIR)/extmod/asyncio")',
        'freeze("$(BOARD_DIR)", "b.py")',
    ]))
    result = manifest_eval.evaluate(manifest,
                                    {'BOARD_DIR': tmp_path / 'board'})
    assert result.external == ['include $(PORT_DIR)/boards/manifest.py',
                               'require mip', 'freeze $(MPY_DIR)/extmod/asyncio']
    assert [f.target for f in result.files] == ['b.py']


def test_missing_paths_are_errors_naming_the_manifest(tmp_path):
    cases = {
        'freeze("nowhere")': 'no folder',
        'module("gone.py")': 'no file',
        'include("absent.py")': 'no manifest',
        'module("data.txt")': 'must name a .py file',
        'raise ValueError("the fix")': 'ValueError: the fix',
    }
    for code, message in cases.items():
        manifest = write(tmp_path / 'manifest.py', code)
        with pytest.raises(manifest_eval.ManifestError) as caught:
            manifest_eval.evaluate(manifest)
        assert message in str(caught.value)
        assert str(manifest) in str(caught.value)


# --- the boards ----------------------------------------------------------

def declared_extensions(board):
    """The extensions= list in boards/<board>/manifest.py, read as the
    source says it (not by running it)."""
    tree = ast.parse((ROOT / 'boards' / board / 'manifest.py').read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', '') == \
                'include':
            for keyword in node.keywords:
                if keyword.arg == 'extensions':
                    return ast.literal_eval(keyword.value)
    raise AssertionError(board + ': no include(..., extensions=[...])')


def readme_extensions():
    """board -> extensions, from the table in the README's "Build and flash
    your board" section."""
    boards = {}
    for line in readme.section('## Build and flash your board').splitlines():
        found = re.match(r'\| `(ESP32_\w+)` \|', line)
        if found:
            cells = line.split('|')
            boards[found.group(1)] = re.findall(r'`(\w+)`', cells[3])
    return boards


@pytest.mark.parametrize('board', BOARDS)
def test_board_manifest_resolves(board):
    result = frozen.evaluate(board)
    # the only thing outside this repository: the port's default manifest
    assert result.external == [PORT_MANIFEST]
    assert result.manifests == [str(ROOT / 'boards' / board / 'manifest.py'),
                                str(ROOT / 'manifest.py')]
    for each in result.files:
        assert os.path.isfile(each.source), each
        assert str(ROOT) in each.source
    targets = [f.target for f in result.files]
    assert len(targets) == len(set(targets)), 'a module is frozen twice'
    app = {t for t in targets if not t.startswith('microdot/')}
    assert app == APP | {'webassets.py'}
    assert 'hw/host.py' not in targets  # the emulated board stays out


@pytest.mark.parametrize('board', BOARDS)
def test_extensions_are_what_the_board_says(board):
    declared = declared_extensions(board)
    frozen_framework = {t[len('microdot/'):-3] for t in
                        (f.target for f in frozen.frozen_files(board))
                        if t.startswith('microdot/')}
    assert frozen_framework == CORE | set(declared)
    assert not frozen_framework & NEVER_FROZEN
    assert readme_extensions()[board] == declared
    # every framework module exists and is either core, chosen or left out
    # on purpose: a new module has to be placed by the manifest's author
    known = {p.stem for p in (ROOT / 'modules' / 'microdot').glob('*.py')}
    top = (ROOT / 'manifest.py').read_text()
    for name in known - CORE:
        assert '"%s"' % name in top, name + ' is not in manifest.py'


def test_the_board_lists():
    # the lists the firmware ships (README, "Build and flash your board")
    assert declared_extensions('ESP32_GENERIC_C3') == ['sse', 'auth']
    assert declared_extensions('ESP32_GENERIC_S3') == [
        'sse', 'auth', 'websocket', 'cors', 'session']


# --- what the README says every image freezes ----------------------------

def every_image():
    """{target: source} of what manifest.py freezes on every board (with no
    extensions): the framework core, the app, the web UI."""
    files = manifest_eval.evaluate(ROOT / 'manifest.py', extensions=[]).files
    return {f.target: f.source for f in files}


def framework(targets):
    return {t[len('microdot/'):-3] for t in targets
            if t.startswith('microdot/')}


def test_readme_says_what_every_image_freezes():
    where = 'README.md, "Build and flash your board", the paragraph ' \
        '"Every image freezes ..."'
    section = readme.section('## Build and flash your board')
    assert 'Every image freezes' in section, where + ' is missing'
    paragraph = section[section.index('Every image freezes'):]
    paragraph = ' '.join(paragraph.split('\n\n')[0].split())
    frozen_now = every_image()

    listed = re.search(r'the framework core \(([^)]*)\)', paragraph)
    assert listed, where + ': no "the framework core (`...`)"'
    core = framework(frozen_now)
    assert set(re.findall(r'`(\w+)`', listed.group(1))) == core, \
        '{}: the core is manifest.py\'s CORE: {}'.format(where, sorted(core))

    # the app's modules, frozen ones first, then after "; not" the others
    listed = re.search(r'the app \(([^;)]*);([^)]*)\)', paragraph)
    assert listed, where + ': no "the app (`...`; not `...`)"'
    app = ROOT / 'app'
    frozen_app = {t for t, source in frozen_now.items()
                  if pathlib.Path(source).is_relative_to(app)}
    others = {p.relative_to(app).as_posix() for p in app.rglob('*.py')} - \
        frozen_app
    assert set(re.findall(r'`([\w/]+\.py)`', listed.group(1))) == \
        frozen_app, '{}: manifest.py freezes from app/ {}'.format(
            where, sorted(frozen_app))
    assert set(re.findall(r'`([\w/]+\.py)`', listed.group(2))) == others, \
        '{}: after "; not", the app modules that are not frozen: {}'.format(
            where, sorted(others))

    listed = re.search(r'Never frozen: (.*?)\. ', paragraph)
    assert listed, where + ': no "Never frozen: `...`."'
    never = set(re.findall(r'`(\w+)`', listed.group(1)))
    assert never == NEVER_FROZEN, '{}: never frozen are {}'.format(
        where, sorted(NEVER_FROZEN))
    for name in never:
        with pytest.raises(manifest_eval.ManifestError) as caught:
            manifest_eval.evaluate(ROOT / 'manifest.py', extensions=[name])
        assert 'cannot be frozen' in str(caught.value)


def test_readme_module_table_is_the_core_package():
    rows = {}
    for line in readme.section('### Modules').splitlines():
        found = re.match(r'\| `(\w+)\.py` \| ([^|]*) \|', line)
        if found:
            rows[found.group(1)] = found.group(2).strip()
    # the core every image freezes, and the test client; extensions have
    # their own sections
    expected = framework(every_image()) | {'test_client'}
    assert set(rows) == expected, \
        'README.md, "### Modules": the table lists the core modules ' \
        '(manifest.py\'s CORE) and test_client, not extensions; extra {}, ' \
        'missing {}'.format(sorted(set(rows) - expected),
                            sorted(expected - set(rows)))
    # what `import microdot` loads (tests/test_lazy_modules.py: no submodule)
    assert [name for name in rows if rows[name] == 'yes'] == ['__init__']


def microdot_imports(path):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith('microdot.'):
            yield node.module.split('.', 1)[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith('microdot.'):
                    yield alias.name.split('.', 1)[1]


@pytest.mark.parametrize('board', BOARDS)
def test_frozen_set_is_closed(board):
    files = frozen.frozen_files(board)
    present = {f.target[len('microdot/'):-3] for f in files
               if f.target.startswith('microdot/')}
    for each in files:
        for needed in microdot_imports(each.source):
            assert needed in present, '{} imports microdot.{}, which {} ' \
                'does not freeze'.format(each.target, needed, board)


@pytest.mark.parametrize('extensions, message', [
    (None, 'no extension list'),
    (['jinja'], 'cannot be frozen'),
    (['test_client'], 'cannot be frozen'),
    (['graphql'], 'not a framework extension'),
    (['session'], "add 'auth'"),
    (['login', 'session'], "add 'auth'"),
])
def test_manifest_refuses_bad_lists(extensions, message):
    options = {} if extensions is None else {'extensions': extensions}
    with pytest.raises(manifest_eval.ManifestError) as caught:
        manifest_eval.evaluate(ROOT / 'manifest.py', **options)
    assert message in str(caught.value)


def test_web_assets_module_matches_the_ui():
    import gzip
    result = frozen.evaluate('ESP32_GENERIC_C3')
    source = [f.source for f in result.files if f.target == 'webassets.py'][0]
    namespace = {}
    exec(open(source).read(), namespace)
    names = sorted(p.name for p in (ROOT / 'app' / 'web').iterdir())
    assert sorted(namespace['FILES']) == names
    tags = set()
    for name, (data, etag, size) in namespace['FILES'].items():
        source = (ROOT / 'app' / 'web' / name).read_bytes()
        # (that MicroPython's deflate unpacks it with its 2 KB window is
        # tested by test_frozen_app.py, which serves it to a plain client)
        assert gzip.decompress(data) == source
        assert size == len(source)
        assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
        tags.add(etag)
    assert len(tags) == len(names)
