"""The board in tests/app/test_improv.py's pseudo-terminal test, run by the
MicroPython unix port with improv.mpy on MICROPYPATH: improv.serve() on
the console (stdin and stdout, a pty in raw mode) wired as on the board,
next to an app that keeps printing to the same console."""
import asyncio

import improv
from improv_checks import Device


class Chatty(Device):
    async def connect(self, ssid, password):
        print('Wi-Fi: joining "{}"'.format(ssid))
        return await Device.connect(self, ssid, password)


async def chatter():
    count = 0
    while True:
        count += 1
        print('app: uptime tick {}'.format(count))
        await asyncio.sleep(0.05)


async def main():
    print('firmware 1.2.0 (microdot-esp) on ESP32-C3, improv from ' +
          improv.__file__)
    asyncio.create_task(chatter())
    await improv.serve(*improv.console(), Chatty())


try:
    asyncio.run(main())
except KeyboardInterrupt:  # as app/main.py: Ctrl-C ends the app
    print('app: stopped by Ctrl-C')
