"""The type stubs (modules/microdot/*.pyi) against the code and against apps,
with mypy (pinned in requirements.txt):

- mypy's stubtest compares each stub with the module it describes, on
  CPython: every name and signature in a stub must be the code's, with the
  same parameters, defaults and async-ness, and every public name of a
  module must be in its stub, but for the internals listed in
  tests/typing/stubtest-allowlist.txt;
- a typed app (tests/typing/usage.py) passes mypy in strict mode, and runs;
- the mistakes in tests/typing/errors.py get the errors marked there;
- every example (examples/*/main.py) passes mypy.

CPython only: the stubs are for type checkers and editors, never loaded by
an app."""
import ast
import importlib.util
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / 'modules' / 'microdot'
TYPING = ROOT / 'tests' / 'typing'
CONFIG = TYPING / 'mypy.ini'

# The functions and classes of microdot/__init__.py that apps do not use,
# so its stub leaves them out. (stubtest reads the module's __all__ as its
# public names, so it does not look for these.)
CORE_INTERNALS = {
    'Connection': "the server's side of a client connection",
    'G': 'the class of request.g, which the stub types as Any: handlers '
         'give it attributes of their own',
    'Server': "the server that run() and start_server() start",
    'add_header': 'writes a response header',
    'call': 'calls a handler or hook, sync or async',
    'const': "MicroPython's, for CPython",
    'linger': 'reads what a client still sends before closing',
    'parse_headers': 'parses a request head',
    'print_exception': "MicroPython's, for CPython",
    'reason': 'the reason phrase of a status code',
    'status_line': 'the status line of a response',
    'ticks_add': "MicroPython's, for CPython",
    'ticks_diff': "MicroPython's, for CPython",
    'ticks_ms': "MicroPython's, for CPython",
}

# Error lines of mypy's output: path:line: error: message  [code]
ERROR = re.compile(r'^(.+?):(\d+): error: .*  \[([a-z-]+)\]$')


@pytest.fixture(scope='module')
def mypy_cache(tmp_path_factory):
    """A cache for the mypy runs of this module (typeshed is read once)."""
    assert importlib.util.find_spec('mypy'), \
        'mypy is missing from ' + sys.executable + ': it is pinned in ' \
        'requirements.txt and needs Python 3.10+ (run: make test)'
    return tmp_path_factory.mktemp('mypy-cache')


def mypy(cache, paths, *options):
    """Runs mypy on `paths` with modules/ on its search path: its output,
    and its errors as {(path relative to the repository, line): {codes}}."""
    result = subprocess.run(
        [sys.executable, '-m', 'mypy', '--config-file', str(CONFIG),
         '--cache-dir', str(cache), *options, *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, MYPYPATH=str(ROOT / 'modules')))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors = {}
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            path, number, code = match.groups()
            key = pathlib.Path(path).as_posix(), int(number)
            errors.setdefault(key, set()).add(code)
    return result.stdout, errors


def test_stubs_match_the_code(mypy_cache, tmp_path):
    # stubtest type-checks the stubs it finds; a folder of the stubs alone
    # keeps it from checking the modules that have none, which are then
    # reported as "failed to find stubs" (the allowlist names those)
    assert (PACKAGE / 'py.typed').exists(), \
        'modules/microdot/py.typed is missing: type checkers read the ' \
        'stubs of packages that have it'
    stubs = tmp_path / 'microdot'
    stubs.mkdir()
    for path in [*PACKAGE.glob('*.pyi'), PACKAGE / 'py.typed']:
        shutil.copy(path, stubs)
    result = subprocess.run(
        [sys.executable, '-m', 'mypy.stubtest', 'microdot',
         '--mypy-config-file', str(CONFIG),
         '--allowlist', str(TYPING / 'stubtest-allowlist.txt')],
        cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, MYPYPATH=str(tmp_path),
                 PYTHONPATH=str(ROOT / 'modules')))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Success' in result.stdout, result.stdout


def stub_names(module):
    """The public names a stub defines at its top level."""
    path = PACKAGE / ((module.rpartition('.')[2] if '.' in module
                       else '__init__') + '.pyi')
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname for alias in node.names
                         if alias.asname == alias.name)
    return {name for name in names if not name.startswith('_')}


def test_the_core_stub_has_every_public_name():
    import microdot
    defined = {name for name, value in vars(microdot).items()
               if not name.startswith('_') and
               (inspect.isclass(value) or inspect.isroutine(value)) and
               value.__module__ == 'microdot'}
    typed = stub_names('microdot')
    assert set(microdot.__all__) <= typed
    assert sorted(defined - typed - set(CORE_INTERNALS)) == []
    # the list stays exact: an internal gone from the code or now typed
    # leaves it
    assert sorted(set(CORE_INTERNALS) - (defined - typed)) == []


def stub_parameters(module, name):
    """The parameters of function `name` ('Class.method' for a method) in
    the stub of `module`, as (name, default) pairs."""
    path = PACKAGE / ((module.rpartition('.')[2] if '.' in module
                       else '__init__') + '.pyi')
    body = ast.parse(path.read_text()).body
    *classes, function = name.split('.')
    for class_name in classes:
        body = next(node.body for node in body
                    if isinstance(node, ast.ClassDef) and
                    node.name == class_name)
    node = next(node for node in body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name == function)
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = [inspect.Parameter.empty] * (
        len(positional) - len(args.defaults)) + args.defaults
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs,
                                                       args.kw_defaults))
    return [(arg.arg, inspect.Parameter.empty if default is None or
             default is inspect.Parameter.empty
             else ast.literal_eval(default)) for arg, default in pairs]


def parameters(function):
    return [(p.name, p.default)
            for p in inspect.signature(function).parameters.values()]


def test_forwarded_parameters():
    # where the code hands *args and **kwargs on to another function,
    # stubtest can't see the parameters: the stub must have that function's
    from microdot import Response, cookies, files, streams
    assert stub_parameters('microdot', 'Request.create') == \
        parameters(streams.create_request)
    set_cookie = parameters(cookies.set_cookie)
    assert stub_parameters('microdot', 'Response.set_cookie')[1:] == \
        set_cookie[1:]
    # delete_cookie() sets the expiry itself
    assert stub_parameters('microdot', 'Response.delete_cookie')[2:] == [
        p for p in set_cookie[3:] if p[0] not in ('expires', 'max_age')]
    for name in ('send_file', 'Response.send_file'):
        assert stub_parameters('microdot', name) == \
            parameters(files.FileResponse)
    # sse_response()'s further arguments go to Response, after the body
    assert stub_parameters('microdot.sse', 'sse_response')[2:] == \
        parameters(Response)[1:]


def test_a_typed_app_passes(mypy_cache):
    output, errors = mypy(mypy_cache, [TYPING / 'usage.py'])
    assert errors == {}, output


def test_the_typed_app_runs():
    # what it was checked for holds on CPython
    result = subprocess.run(
        [sys.executable, str(TYPING / 'usage.py')], capture_output=True,
        text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / 'modules')))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'all requests answered as typed' in result.stdout


def test_mistakes_get_errors(mypy_cache):
    path = TYPING / 'errors.py'
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        codes = line.partition('  # E: ')[2]
        if codes:
            expected['tests/typing/errors.py', number] = set(codes.split())
    assert len(expected) >= 15  # the file has them all
    output, errors = mypy(mypy_cache, [path])
    assert errors == expected, output


def test_the_examples_pass(mypy_cache):
    # The examples have no annotations (they are apps for a device): inside
    # their functions the request is untyped, so a check there would judge
    # the example's own data, not the framework's types; for the same
    # reason their empty lists and dicts need no annotation. What they
    # import, the objects they make and the decorators they apply are
    # checked. One run each: they are all module `main`.
    examples = sorted((ROOT / 'examples').glob('*/main.py'))
    assert examples, 'no examples/*/main.py'
    failed = []
    for path in examples:
        output, errors = mypy(
            mypy_cache, [path], '--allow-untyped-defs',
            '--allow-incomplete-defs', '--allow-untyped-calls',
            '--no-check-untyped-defs', '--disable-error-code',
            'var-annotated')
        if errors:
            failed.append(output)
    assert failed == []
