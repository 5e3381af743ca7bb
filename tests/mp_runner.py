"""Runs the top-level tests of one test module on the MicroPython unix port
and prints a marker line per test (tests/runtimes.py reads them). The
callers (tests/test_micropython.py for the framework's tests,
tests/app/on_micropython.py for the app's) put the compiled .mpy files
first on MICROPYPATH, then the test folders; the runner stops if one of the
named modules came from elsewhere than its .mpy file.

    micropython mp_runner.py TEST_MODULE MODULE...
"""
import asyncio
import sys

for name in sys.argv[2:]:
    compiled = __import__(name)
    if not compiled.__file__.endswith('.mpy'):
        print('@@ERROR', name, 'was imported from', compiled.__file__,
              'instead of its compiled .mpy file')
        sys.exit(1)


async def _probe():
    pass


coroutine_type = type(_probe())

module = __import__(sys.argv[1])
for name in sorted(dir(module)):
    if not name.startswith('test_'):
        continue
    asyncio.new_event_loop()  # no task of an earlier test runs on
    try:
        result = getattr(module, name)()
        if type(result) is coroutine_type:
            asyncio.run(result)
        print('@@PASS', name)
    except Exception as exc:
        print('@@FAIL', name)
        sys.print_exception(exc)
print('@@DONE')
