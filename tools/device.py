"""Runs the device application (app/) on this computer as an emulated
ESP32-C3: under the MicroPython unix port, with the framework compiled to
.mpy as it is frozen into firmware. The console shows the same boot log as
the board's serial port. When the app resets the board (after an update,
a failed health check, POST /api/reboot) it exits with code 75 and is
started again: that is the next boot, where the emulated bootloader picks
the slot and rolls back an image that was not confirmed.

    python tools/device.py [--state DIR] [--port N] [--board NAME]
                           [--cpython] [--mpy DIR] [--heap SIZE]

Environment: HTTP_PORT (8080), STATE_DIR (state/: the flash file,
config.json, the gzipped web files), OTA_TOKEN (overrides the config's
ota_token), BOARD (ESP32_GENERIC_C3), HEALTH_TIMEOUT (seconds, 60),
FIRMWARE_VERSION (of the image put in ota_0 when the flash is created).
"""
import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT / 'firmware'))
import build  # noqa: E402  (firmware/build.py: the image's version)
import build_mpy  # noqa: E402
import webassets_gen  # noqa: E402  (the firmware's packing of the web UI)

RESET_EXIT_CODE = 75  # app/hw/host.py's reset()
MICROPYTHON = pathlib.Path(sys.executable).parent / 'micropython'


def say(message):
    print('--- ' + message, flush=True)


def firmware_version():
    """The version of the image the emulated board starts with: the one
    firmware/build.py would put in a real image (FIRMWARE_VERSION, else
    git describe), or a placeholder outside a git checkout."""
    try:
        return build.project_version()
    except build.Failure:
        return '0.1.0-host'


def token_hint(state):
    """Where the OTA token is, for the console on every start: uploads
    need it (tools/ota_client.py --token, the web UI asks for it)."""
    if os.environ.get('OTA_TOKEN'):
        return 'OTA token: the one in $OTA_TOKEN'
    config = state / 'config.json'
    try:
        with open(str(config)) as f:
            token = json.load(f).get('ota_token')
    except (OSError, ValueError, AttributeError):
        token = None
    if token:
        return 'OTA token: {} ("ota_token" in {})'.format(token, config)
    return 'OTA token: made on first boot, as "ota_token" in {} (the ' \
        'console shows it then)'.format(config)


def compress_web(source, target):
    """Puts each file of the web UI into `target`, with a gzipped copy
    beside it (as the firmware packs it), for clients with and without
    gzip. The copies keep the source's modification time, so their ETags
    change only when the file does."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        stat = path.stat()
        data = path.read_bytes()
        for out, content in ((target / path.name, data),
                             (target / (path.name + '.gz'),
                              webassets_gen.compress(data))):
            if out.exists() and out.stat().st_mtime == stat.st_mtime:
                continue
            out.write_bytes(content)
            os.utime(out, (stat.st_mtime, stat.st_mtime))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--state', default=os.environ.get('STATE_DIR') or
                        str(ROOT / 'state'), help='folder of the device state: flash.bin, '
                        'config.json (default: $STATE_DIR or state/)')
    parser.add_argument('--port', type=int,
                        default=int(os.environ.get('HTTP_PORT') or 8080),
                        help='HTTP port on 127.0.0.1 (default: $HTTP_PORT '
                        'or 8080)')
    parser.add_argument('--board', default=os.environ.get('BOARD') or
                        'ESP32_GENERIC_C3', help='a board of boards/boards.json '
                        '(default ESP32_GENERIC_C3); its boards/<name>/'
                        'partitions.csv lays out the flash')
    parser.add_argument('--cpython', action='store_true',
                        help='run the app under this CPython instead')
    parser.add_argument('--mpy', help='use the framework .mpy files already '
                        'compiled in this folder (default: compile them into '
                        'the state folder)')
    parser.add_argument('--heap', default='256K',
                        help='MicroPython heap size, about what the C3 has')
    args = parser.parse_args()

    state = pathlib.Path(args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    compress_web(ROOT / 'app' / 'web', state / 'web')
    env = dict(os.environ, STATE_DIR=str(state), HTTP_PORT=str(args.port),
               BOARD=args.board, WEB_DIR=str(state / 'web'),
               BOARDS_DIR=str(ROOT / 'boards'))
    env.setdefault('FIRMWARE_VERSION', firmware_version())
    main_py = str(ROOT / 'app' / 'main.py')
    if args.cpython:
        env['PYTHONPATH'] = str(ROOT / 'modules')
        command = [sys.executable, '-u', main_py]
    else:
        if not MICROPYTHON.exists():
            sys.exit('{} is missing: run `make test` or `pip install -r '
                     'requirements.txt` in .venv first'.format(MICROPYTHON))
        # compiled for each state folder: devices running side by side do
        # not rebuild each other's files
        mpy = pathlib.Path(args.mpy) if args.mpy else \
            build_mpy.build(state / 'mpy')
        # .frozen last: the unix port's asyncio lives there
        env['MICROPYPATH'] = '{}:.frozen'.format(mpy)
        command = [str(MICROPYTHON), '-X', 'heapsize=' + args.heap, main_py]

    say('emulated {}: state in {}, http://127.0.0.1:{}/'.format(
        args.board, state, args.port))
    say(token_hint(state))

    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)  # the device goes with the launcher
    while True:
        child = subprocess.Popen(command, env=env, cwd=str(ROOT))
        try:
            code = child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            child.wait()
            return 130
        if code != RESET_EXIT_CODE:
            say('device stopped (exit code {})'.format(code))
            return code
        say('reset: booting again')


if __name__ == '__main__':
    sys.exit(main())
