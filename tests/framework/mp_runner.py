"""Runs one framework test module on MicroPython and prints a marker line per
test. Started by tests/test_micropython.py with the compiled .mpy framework
first on the path.

    micropython mp_runner.py MODULE
"""
import asyncio
import sys

import microdot

if not microdot.__file__.endswith('.mpy'):
    print('@@ERROR microdot was imported from', microdot.__file__,
          'instead of the compiled .mpy files')
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
