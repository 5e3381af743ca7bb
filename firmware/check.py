"""Checks a built firmware folder (build/firmware/<BOARD>/, or a CI artifact
unpacked elsewhere): both images are there, the app image is a valid
ESP32 app image for the board's chip, it carries the version in
version.txt, it fits the app slot, and the merged image holds the same app
at the ota_0 offset.

    python3 firmware/check.py ESP32_GENERIC_C3 [--variant QEMU] [--dir FOLDER]

Uses esptool (ESP-IDF's Python has it) to read the images."""
import argparse
import hashlib
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import boards  # noqa: E402
import build  # noqa: E402
from app_formats import image, partition_table  # noqa: E402


def problems(board, folder):
    """Everything wrong with the folder, as sentences; [] if it is good."""
    found = []
    needed = ['firmware.bin', 'micropython.bin', 'flash.json', 'version.txt',
              'size-report.md']
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        return ['{} lacks {}: run `make firmware BOARD={}`'.format(
            folder, ', '.join(missing), board)]
    info = json.loads((folder / 'flash.json').read_text())
    version = (folder / 'version.txt').read_text().strip()
    app = (folder / 'micropython.bin').read_bytes()
    merged = (folder / 'firmware.bin').read_bytes()
    facts = boards.get(board)
    mcu = facts.target
    if info.get('chip') != mcu:
        found.append('flash.json says chip {}, boards/boards.json {}'.format(
            info.get('chip'), mcu))
    try:
        described = image.check_header(app[:image.CHECK_SIZE], facts.chip_id)
    except image.ImageError as exc:
        found.append('micropython.bin: {}'.format(exc))
    else:
        if described['version'] != version:
            found.append('the app descriptor says "{}", version.txt "{}"'
                         .format(described['version'], version))
    table = partition_table.read(facts.folder / 'partitions.csv')
    slot = partition_table.app_slot_size(table)
    if len(app) > slot:
        found.append('micropython.bin is {:,} B, the app slot {:,} B'.format(
            len(app), slot))
    offset = partition_table.ota_slots(table)[0].offset
    if hashlib.sha256(merged[offset:offset + len(app)]).digest() != \
            hashlib.sha256(app).digest():
        found.append('firmware.bin does not hold micropython.bin at ota_0 '
                     '(0x{:x})'.format(offset))
    if merged[:1] != b'\xe9':
        found.append('firmware.bin does not start with the bootloader image')
    # esptool's own reading of the app image: segments, checksum, SHA-256
    result = subprocess.run([sys.executable, '-m', 'esptool', '--chip', mcu,
                             'image-info', str(folder / 'micropython.bin')],
                            capture_output=True, text=True)
    if result.returncode != 0:  # esptool 4.x spells it image_info
        result = subprocess.run([sys.executable, '-m', 'esptool', '--chip',
                                 mcu, 'image_info',
                                 str(folder / 'micropython.bin')],
                                capture_output=True, text=True)
    text = result.stdout + result.stderr
    if result.returncode != 0 or 'invalid' in text.lower():
        found.append('esptool image-info rejects micropython.bin:\n' + text)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('board')
    parser.add_argument('--variant', help='a variant of the board (its '
                        'mpconfigvariant_<VARIANT>.cmake), e.g. QEMU')
    parser.add_argument('--dir', help='the folder to check (default: '
                        'build/firmware/<BOARD>[-<VARIANT>])')
    args = parser.parse_args()
    board = boards.get(args.board)
    folder = pathlib.Path(args.dir) if args.dir else \
        build.output_dir(board, args.variant)
    found = problems(args.board, folder)
    for problem in found:
        print('check: ' + problem, file=sys.stderr)
    if found:
        sys.exit(1)
    print('check: {} is a good {} firmware ({})'.format(
        folder, args.board, (folder / 'version.txt').read_text().strip()))


if __name__ == '__main__':
    main()
