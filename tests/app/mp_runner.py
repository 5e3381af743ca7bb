"""Runs the top-level tests of one tests/app module on the MicroPython unix
port and prints a marker line per test (see tests/runtimes.py). Started
by tests/app/on_micropython.py with the app modules compiled to .mpy
first on the path; it stops if one of them came from elsewhere.

    micropython mp_runner.py TEST_MODULE APP_MODULE...
"""
import asyncio
import sys

for name in sys.argv[2:]:
    app_module = __import__(name)
    if not app_module.__file__.endswith('.mpy'):
        print('@@ERROR', name, 'was imported from', app_module.__file__,
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
