"""Microdot 2.7.0's own test suite, from its sdist (tests/microdot_suite/
sdist.py), run against modules/microdot on CPython and on MicroPython from
the .mpy files that get frozen. Each of Microdot's tests is a pytest item:
`microdot_suite[cpython-test_microdot.TestMicrodot.test_get_request]`.

Microdot's own `skipIf` decides which tests apply to a runtime, as it does
in Microdot's CI; on MicroPython the modules are those its
tests/__init__.py runs there. The deviations below, where this framework
is deliberately different, are strict expected failures: each must fail,
and the README's migration section lists each with its reason."""
import ast
import os
import subprocess
import sys

import pytest

import readme
from runtimes import MICROPYTHON, ROOT, marker_results

SUITE = ROOT / 'tests' / 'microdot_suite'
sys.path.insert(0, str(SUITE))
import sdist  # noqa: E402

FILES = ('Files go out with Content-Length, ETag and Accept-Ranges, for '
         'revalidation (304) and byte ranges (206); Microdot sends the '
         'Content-Type alone and ends the body by closing')
NO_CONTENT = ('A 204 goes out as "204 No Content" without Content-Length '
              'or Content-Type (RFC 9110 8.6: no Content-Length in a 204; '
              'there is no content to type); Microdot sends "204 N/A" with '
              'both')
DICT_OF_SUBCLASS = ('dict(request.form): MicroPython\'s dict() reads only '
                    'real dicts as mappings and a dict subclass as pairs '
                    '(py/objdict.c, dict_update), which no framework code can '
                    'change; request.form.copy() gives the same dict on both '
                    'runtimes')

# (runtime, module.Class.test): why ours differs. The README's migration
# section lists them (test_readme_lists_the_deviations).
DEVIATIONS = {}
for runtime in ('cpython', 'micropython'):
    DEVIATIONS[runtime, 'test_response.TestResponse.test_create_from_none'] = \
        NO_CONTENT
    DEVIATIONS[runtime, 'test_response.TestResponse.test_send_file'] = FILES
    DEVIATIONS[runtime,
               'test_response.TestResponse.test_send_file_small_buffer'] = FILES
for test in ('test_simple_form', 'test_form_with_files'):
    DEVIATIONS['micropython', 'test_multipart.TestMultipart.' + test] = \
        DICT_OF_SUBCLASS


class Implementation:
    def __init__(self, name):
        self.name = name


class FakeSys:
    def __init__(self, name):
        self.implementation = Implementation(name)


def skipped_on(decorators, runtime):
    """Whether a unittest.skipIf among `decorators` skips on `runtime`."""
    for decorator in decorators:
        if isinstance(decorator, ast.Call) and \
                ast.unparse(decorator.func).endswith('skipIf'):
            condition = ast.Expression(decorator.args[0])
            if eval(compile(condition, 'skipIf', 'eval'),
                    {'sys': FakeSys(runtime)}):
                return True
    return False


def micropython_modules(tests):
    """The modules Microdot's tests/__init__.py runs on MicroPython."""
    tree = ast.parse((tests / '__init__.py').read_text())
    return {node.module.split('.')[1] for node in tree.body
            if isinstance(node, ast.ImportFrom)}


def collect(runtime):
    tests = sdist.unpacked() / 'tests'
    modules = sorted(path.stem for path in tests.glob('test_*.py'))
    if runtime == 'micropython':
        modules = [m for m in modules if m in micropython_modules(tests)]
    for module in modules:
        tree = ast.parse((tests / (module + '.py')).read_text())
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or \
                    skipped_on(node.decorator_list, runtime):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and \
                        item.name.startswith('test_') and \
                        not skipped_on(item.decorator_list, runtime):
                    yield runtime, module, node.name + '.' + item.name


def params():
    for runtime, module, test in list(collect('cpython')) + \
            list(collect('micropython')):
        marks = ()
        reason = DEVIATIONS.get((runtime, module + '.' + test))
        if reason:
            marks = pytest.mark.xfail(strict=True, reason=reason)
        yield pytest.param(runtime, module, test, marks=marks,
                           id='{}-{}.{}'.format(runtime, module, test))


@pytest.fixture(scope='session')
def suite_dir(tmp_path_factory):
    """A folder where `tests` is Microdot's suite without its
    tests/__init__.py (which imports every module, so that one module that
    cannot load would fail them all): links to the cached files."""
    source = sdist.unpacked() / 'tests'
    root = tmp_path_factory.mktemp('microdot-suite')
    (root / 'tests').mkdir()
    (root / 'tests' / '__init__.py').write_text('')
    for path in source.iterdir():
        if path.name != '__init__.py':
            (root / 'tests' / path.name).symlink_to(path)
    return root


_results = {}


def results_of(runtime, module, suite_dir, mpy_build):
    key = runtime, module
    if key not in _results:
        if runtime == 'cpython':
            command = [sys.executable, str(SUITE / 'runner.py'), module]
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                [str(ROOT / 'modules'), str(suite_dir)]))
        else:
            command = [MICROPYTHON, '-X', 'heapsize=8M',
                       str(SUITE / 'runner.py'), module]
            env = dict(os.environ, MICROPYPATH=':'.join(
                [str(mpy_build), str(SUITE / 'mp'), str(suite_dir),
                 '.frozen']))
        proc = subprocess.run(command, capture_output=True, text=True,
                              timeout=300, env=env, cwd=str(suite_dir))
        results = marker_results(proc.stdout)
        results['@@output'] = proc.stdout + proc.stderr
        _results[key] = results
    return _results[key]


@pytest.fixture
def mpy_build_if_needed(request, runtime):
    if runtime == 'micropython':
        return request.getfixturevalue('mpy_build')
    return None


@pytest.mark.parametrize('runtime,module,test', list(params()))
def test_microdot_suite(runtime, module, test, suite_dir,
                        mpy_build_if_needed):
    results = results_of(runtime, module, suite_dir, mpy_build_if_needed)
    assert test in results, 'no result; the runner printed:\n' + \
        results['@@output'][-3000:]
    assert results[test] == 'PASS', results[test]


def test_readme_lists_the_deviations():
    """The README's migration section names each deviation, with its
    runtimes, and no more than five per runtime."""
    section = readme.marked('deviations')
    listed = set()
    for line in section.splitlines():
        if line.startswith('| `'):
            name, runtimes = [cell.strip(' `') for cell in
                              line.strip('|').split('|')[:2]]
            for runtime in runtimes.split(', '):
                listed.add((runtime.lower().replace(' ', ''), name))
    assert listed == set(DEVIATIONS)
    for runtime in ('cpython', 'micropython'):
        assert sum(r == runtime for r, _ in DEVIATIONS) <= 5
