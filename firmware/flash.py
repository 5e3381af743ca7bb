"""Flashes a built firmware onto a board over USB, then shows its console
until it prints its address; or erases the whole flash.

    python firmware/flash.py flash --board ESP32_GENERIC_C3 --port /dev/ttyACM0
    python firmware/flash.py erase --board ESP32_GENERIC_C3 --port /dev/ttyACM0
    (make flash / make erase, with BOARD=, PORT=, BAUD=)

flash writes build/firmware/<BOARD>/firmware.bin (made by make firmware) at
offset 0 with esptool, resets the board, then prints the console (115200
baud) until the app's "IPv4 address: ..." line, or gives up after
--timeout seconds. Needs esptool and pyserial (requirements.txt)."""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
CONSOLE_BAUD = 115200
READY = 'IPv4 address:'
NO_CONFIG = 'config.json is missing'
sys.path.insert(0, str(HERE))
import boards  # noqa: E402


def fail(message):
    sys.exit('firmware/flash.py: error: ' + message)


def firmware_of(board):
    folder = ROOT / 'build' / 'firmware' / board
    info_file = folder / 'flash.json'
    if not info_file.is_file() or not (folder / 'firmware.bin').is_file():
        fail('{} has no firmware: build it with `make firmware BOARD={}`'
             .format(folder, board))
    return folder, json.loads(info_file.read_text())


def esptool(args, port, baud, chip):
    command = [sys.executable, '-m', 'esptool', '--chip', chip, '--port',
               port, '--baud', str(baud)] + args
    print('$ ' + ' '.join(command), flush=True)
    try:
        result = subprocess.run(command)
    except FileNotFoundError:
        fail('cannot run ' + sys.executable)
    if result.returncode != 0:
        fail('esptool failed (exit code {}). Is the board on {}? Some boards '
             'need BOOT held while you press RESET to take a new firmware; '
             'on Linux your user needs the dialout group.'.format(
                 result.returncode, port))


def open_serial(port, deadline):
    """The console port, opened without toggling DTR/RTS (which would hold
    the chip in reset or in its bootloader); waits for a USB port that
    comes back after the reset."""
    try:
        import serial
    except ImportError:
        fail('pyserial is missing: pip install -r requirements.txt')
    while True:
        console = serial.Serial()
        console.port = port
        console.baudrate = CONSOLE_BAUD
        console.timeout = 0.5
        console.dtr = False
        console.rts = False
        try:
            console.open()
            return console
        except (serial.SerialException, OSError) as exc:
            if time.monotonic() > deadline:
                fail('cannot open {}: {}'.format(port, exc))
            time.sleep(0.5)


def watch_console(port, timeout):
    """Prints the console until READY; returns the address or None."""
    deadline = time.monotonic() + timeout
    console = open_serial(port, deadline)
    print('--- console of {} (until "{}", {} s at most)'.format(
        port, READY, timeout), flush=True)
    missing_config = False
    pending = b''
    try:
        while time.monotonic() < deadline:
            try:
                pending += console.read(256)
            except OSError:  # the USB port went away during a reset
                console.close()
                console = open_serial(port, deadline)
                continue
            while b'\n' in pending:
                line, _, pending = pending.partition(b'\n')
                text = line.decode('utf-8', 'replace').rstrip('\r')
                print(text, flush=True)
                if NO_CONFIG in text:
                    missing_config = True
                if READY in text:
                    return text.split(READY, 1)[1].strip()
    finally:
        console.close()
    print('--- no "{}" within {} s'.format(READY, timeout))
    if missing_config:
        print('--- the board has no /config.json: write one (see README, "Build '
              'and flash your board") and upload it with\n    mpremote connect '
              '{} cp config.json :config.json + reset'.format(port))
    return None


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('action', choices=('flash', 'erase', 'console'))
    parser.add_argument('--board', default=os.environ.get('BOARD') or
                        'ESP32_GENERIC_C3')
    parser.add_argument('--port', default=os.environ.get('PORT'),
                        help='the serial port, e.g. /dev/ttyACM0 or COM5')
    parser.add_argument('--baud', type=int, default=460800,
                        help='flashing speed (default 460800; try 115200 on '
                        'a poor cable)')
    parser.add_argument('--timeout', type=float, default=60,
                        help='seconds to wait for the address (default 60)')
    args = parser.parse_args()
    if not args.port:
        fail('which serial port? e.g. make {} PORT=/dev/ttyACM0 (Linux: '
             'ls /dev/ttyACM* /dev/ttyUSB*; macOS: ls /dev/cu.usb*)'.format(
                 args.action))
    if args.action == 'erase':
        chip = boards.get(args.board).target  # stops on an unknown board
        esptool(['erase-flash'], args.port, args.baud, chip)
        print('erased: flash a firmware with `make flash BOARD={} PORT={}`'
              .format(args.board, args.port))
        return
    if args.action == 'flash':
        folder, info = firmware_of(args.board)
        print('flashing {} {} to {}'.format(args.board, info['version'],
                                            args.port), flush=True)
        esptool(['write-flash', info['merged']['offset'],
                 str(folder / info['merged']['file'])],
                args.port, args.baud, info['chip'])
    address = watch_console(args.port, args.timeout)
    if address is None:
        sys.exit(1)
    print('--- the device is at http://{}/'.format(address))


if __name__ == '__main__':
    main()
