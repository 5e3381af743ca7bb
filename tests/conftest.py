"""pytest set-up: framework tests import `microdot` from modules/, and async
test functions run in a fresh event loop (the tests also run on MicroPython,
so they use no fixtures)."""
import asyncio
import inspect
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'modules'))
sys.path.insert(0, str(ROOT / 'tests' / 'framework'))


def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name]
                for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None
