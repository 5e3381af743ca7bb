"""The framework as a pip package (pyproject.toml, distribution
microdot-esp, import name microdot). `python -m build` makes the sdist and,
from it, the wheel, out of a copy of the repository (setuptools writes
build/ and an .egg-info folder into the tree it builds). The wheel holds
modules/microdot/ with its stubs and nothing else; installed into a fresh
virtual environment without network, it serves examples/hello/main.py. The
sdist installs with pip too, which fetches the pinned setuptools from PyPI
for its build, as on a user's machine."""
import ast
import email.parser
import http.client
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from extensions.adapter_app import wait_for_port
from support import free_port

try:
    import tomllib
except ImportError:  # Python 3.10: tomli comes with build
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / 'modules' / 'microdot'
HELLO = ROOT / 'examples' / 'hello' / 'main.py'
PYPROJECT = tomllib.loads((ROOT / 'pyproject.toml').read_text())
DIST = 'microdot_esp'

# What a fresh environment prints about the framework it imports: the
# version, where Microdot comes from, and the environment's site-packages.
WHERE = '''
import sys, sysconfig
from microdot import Microdot
import microdot
print(microdot.__version__)
print(sys.modules[Microdot.__module__].__file__)
print(sysconfig.get_paths()['purelib'])
'''

# The hello example's app on a loopback port, run from a folder that holds
# a copy of its main.py and nothing else
LAUNCH = '''
import microdot
import main
print(microdot.__file__, flush=True)
main.app.run(host='127.0.0.1', port={port})
'''


def source_version():
    """microdot.__version__ as modules/microdot/__init__.py assigns it."""
    tree = ast.parse((PACKAGE / '__init__.py').read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and \
                [target.id for target in node.targets] == ['__version__']:
            return ast.literal_eval(node.value)
    raise AssertionError('modules/microdot/__init__.py assigns no '
                         '__version__')


def package_files():
    """The files of modules/microdot/ that the package is made of: the
    modules, their stubs, and py.typed."""
    return {path.name for path in PACKAGE.iterdir() if path.is_file() and
            (path.suffix in ('.py', '.pyi') or path.name == 'py.typed')}


def run(command, cwd, timeout=300):
    """Runs `command` with no PYTHONPATH (nothing of the repository on
    sys.path); fails with its output if it fails."""
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1')
    env.pop('PYTHONPATH', None)
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)
    assert done.returncode == 0, '{} failed:\n{}'.format(
        ' '.join(str(part) for part in command), done.stdout)
    return done.stdout


def copy_sources(target):
    """The repository's files, as git sees them (tracked and new, not
    ignored), copied to `target`."""
    assert shutil.which('git'), 'git is missing: it lists the repository ' \
        'files the package is built from'
    names = run(['git', 'ls-files', '-z', '--cached', '--others',
                 '--exclude-standard'], ROOT).split('\0')
    for name in names:
        source = ROOT / name
        if name and source.is_file():  # not one deleted in the work tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def make_venv(folder):
    """A fresh virtual environment in `folder`; its python. It has no pip
    of its own (ensurepip takes seconds): pip() installs into it."""
    run([sys.executable, '-m', 'venv', '--without-pip', folder],
        folder.parent)
    return folder / 'bin' / 'python'


def pip(python, *args):
    """Runs this environment's pip for the environment of `python`."""
    return run([sys.executable, '-m', 'pip', '--python', python] +
               list(args), python.parent)


def where(python, cwd):
    """(version, Microdot's module file, site-packages) in `python`'s
    environment."""
    version, module, purelib = run([python, '-c', WHERE], cwd).split('\n')[:3]
    return version, pathlib.Path(module), pathlib.Path(purelib)


@pytest.fixture(scope='module')
def dists(tmp_path_factory):
    """{'sdist': path, 'wheel': path}, built by `python -m build` from a
    copy of the repository, with the setuptools of this environment (the
    pin of pyproject.toml, which test_build_backend_is_the_pinned_one
    checks): no network needed."""
    assert importlib.util.find_spec('build'), 'the build package is ' \
        'missing from ' + sys.prefix + ' (pip install -r requirements.txt)'
    folder = tmp_path_factory.mktemp('pip')
    source = folder / 'source'
    copy_sources(source)
    run([sys.executable, '-m', 'build', '--no-isolation', '--outdir',
         folder / 'dist', source], folder)
    version = source_version()
    found = {'sdist': folder / 'dist' / '{}-{}.tar.gz'.format(DIST, version),
             'wheel': folder / 'dist' / '{}-{}-py3-none-any.whl'.format(
                 DIST, version)}
    assert sorted((folder / 'dist').iterdir()) == sorted(found.values())
    return found


@pytest.fixture(scope='module')
def wheel_venv(dists, tmp_path_factory):
    """The python of a fresh virtual environment with the wheel installed
    (no index: the framework depends on nothing)."""
    python = make_venv(tmp_path_factory.mktemp('wheel') / 'venv')
    pip(python, 'install', '--no-index', dists['wheel'])
    return python


def test_build_backend_is_the_pinned_one():
    # the wheel is built here with this environment's setuptools; pip
    # builds the sdist elsewhere with the one pyproject.toml names
    import setuptools
    pins = PYPROJECT['build-system']['requires']
    assert pins == ['setuptools==' + setuptools.__version__], \
        'pyproject.toml builds with {}, {} has setuptools {} ' \
        '(requirements.txt must pin the same)'.format(
            pins, sys.prefix, setuptools.__version__)


def test_wheel_holds_the_microdot_package_and_nothing_else(dists):
    with zipfile.ZipFile(dists['wheel']) as wheel:
        names = set(wheel.namelist())
    info = '{}-{}.dist-info/'.format(DIST, source_version())
    assert {name for name in names if not name.startswith(info)} == \
        {'microdot/' + name for name in package_files()}
    assert {name for name in names if name.startswith(info)} == \
        {info + name for name in ('METADATA', 'WHEEL', 'RECORD',
                                  'top_level.txt', 'licenses/LICENSE')}


def test_wheel_metadata(dists):
    with zipfile.ZipFile(dists['wheel']) as wheel:
        info = '{}-{}.dist-info/'.format(DIST, source_version())
        metadata = email.parser.Parser().parsestr(
            wheel.read(info + 'METADATA').decode())
        top_level = wheel.read(info + 'top_level.txt').decode().split()
    assert metadata['Name'] == 'microdot-esp'
    assert metadata['Version'] == source_version()
    assert metadata['License-Expression'] == 'MIT'
    assert metadata['License-File'] == 'LICENSE'
    assert metadata['Requires-Python'] == '>=3.11'
    assert metadata['Description-Content-Type'] == 'text/markdown'
    assert top_level == ['microdot']
    assert sorted(metadata.get_all('Provides-Extra')) == \
        ['asgi', 'jinja', 'wsgi']
    # the framework itself needs nothing: each requirement is an extra's
    requirements = metadata.get_all('Requires-Dist')
    assert requirements
    for requirement in requirements:
        assert '; extra ==' in requirement, requirement
    names = {requirement.split('>=')[0] for requirement in requirements}
    assert names == {'Jinja2', 'uvicorn', 'websockets', 'gunicorn'}


def test_syntax_is_of_the_oldest_python_the_package_allows(dists):
    # ast knows the grammar of older versions: a match statement or an
    # except* would break the Requires-Python promise
    oldest = tuple(int(part) for part in
                   PYPROJECT['project']['requires-python'][2:].split('.'))
    with zipfile.ZipFile(dists['wheel']) as wheel:
        for name in wheel.namelist():
            if name.endswith('.py'):
                ast.parse(wheel.read(name), name, feature_version=oldest)


def test_sdist_holds_the_sources_the_wheel_is_built_from(dists):
    top = '{}-{}/'.format(DIST, source_version())
    with tarfile.open(dists['sdist']) as sdist:
        names = {member.name[len(top):] for member in sdist.getmembers()
                 if member.isfile()}
    assert {name for name in names if name.startswith('modules/microdot/')} \
        == {'modules/microdot/' + name for name in package_files()}
    rest = {name for name in names if not name.startswith(
        ('modules/microdot/', 'modules/microdot_esp.egg-info/'))}
    assert rest == {'PKG-INFO', 'setup.cfg', 'pyproject.toml', 'README.md',
                    'LICENSE', 'MANIFEST.in'}


def test_installed_wheel_is_the_one_imported(wheel_venv, tmp_path):
    version, module, purelib = where(wheel_venv, tmp_path)
    assert version == source_version()
    assert module == purelib / 'microdot' / '__init__.py'
    assert ROOT not in module.parents


def test_installed_wheel_serves_the_hello_example(wheel_venv, tmp_path):
    assert HELLO.is_file(), 'examples/hello/main.py is missing'
    shutil.copy(HELLO, tmp_path / 'main.py')
    port = free_port()
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    server = subprocess.Popen(
        [str(wheel_venv), '-c', LAUNCH.format(port=port)], cwd=tmp_path,
        env=env, stdout=subprocess.PIPE, text=True)
    try:
        framework = pathlib.Path(server.stdout.readline().strip())
        assert wheel_venv.parent.parent in framework.parents, framework
        wait_for_port(server, port)
        for path, text in (('/', 'Hello, world!'),
                           ('/hello/Ada', 'Hello, Ada!')):
            client = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
            client.request('GET', path)
            reply = client.getresponse()
            assert (reply.status, reply.read().decode()) == (200, text)
            client.close()
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()


def test_sdist_installs_with_pip(dists, tmp_path):
    # pip builds it in an isolated environment with the setuptools of
    # pyproject.toml, which it downloads: this one needs PyPI
    python = make_venv(tmp_path / 'venv')
    pip(python, 'install', dists['sdist'])
    version, module, purelib = where(python, tmp_path)
    assert version == source_version()
    assert module == purelib / 'microdot' / '__init__.py'
    installed = {path.name for path in (purelib / 'microdot').iterdir()
                 if path.is_file()}
    assert installed == package_files()
