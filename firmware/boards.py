"""The boards this project builds for, and their facts, from the registry
boards/boards.json (one line per board) and the board folders beside it.

    boards.names()                     # ['ESP32_GENERIC_C3', ...]
    board = boards.get('ESP32_GENERIC_C3')
    board.target, board.chip_id        # 'esp32c3', 5 (the image header's id)
    board.flash_size                   # bytes
    board.frozen_budget                # most .mpy bytes the frozen set may take
    board.generic_image, board.generic_image_source
    board.folder                       # boards/ESP32_GENERIC_C3
    board.variants                     # ['QEMU']: its mpconfigvariant_*.cmake

Adding a board is one folder (boards/<NAME>/, after the existing ones) and
one line in boards/boards.json. The same file is read by
boards/firmware.cmake (the ESP-IDF target, the flash size), by the emulated
board (app/hw/host.py), by the tests and by CI's build matrix."""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDER = ROOT / 'boards'
REGISTRY = FOLDER / 'boards.json'
FIELDS = ('target', 'chip_id', 'flash_mb', 'frozen_budget', 'generic_image',
          'generic_image_source')


class Board:
    def __init__(self, name, facts):
        self.name = name
        self.target = facts['target']
        self.chip_id = facts['chip_id']
        self.flash_size = facts['flash_mb'] * 1024 * 1024
        self.frozen_budget = facts['frozen_budget']
        self.generic_image = facts['generic_image']
        self.generic_image_source = facts['generic_image_source']
        self.folder = FOLDER / name

    @property
    def variants(self):
        """The board's variants (BOARD_VARIANT=...), from its folder."""
        prefix = 'mpconfigvariant_'
        return sorted(path.stem[len(prefix):] for path in
                      self.folder.glob(prefix + '*.cmake'))

    def __repr__(self):
        return 'Board({})'.format(self.name)


def read(path=REGISTRY):
    """{name: Board} from the registry; a line that lacks a fact stops with
    the file, the board and the field."""
    try:
        entries = json.loads(pathlib.Path(path).read_text())
    except ValueError as exc:
        raise SystemExit('{} is not valid JSON: {}'.format(path, exc))
    found = {}
    for name, facts in entries.items():
        missing = [field for field in FIELDS if field not in facts]
        if missing:
            raise SystemExit('{}: board {} lacks {}'.format(
                path, name, ', '.join(missing)))
        found[name] = Board(name, facts)
    return found


def names():
    return sorted(read())


def get(name):
    """The Board called `name`; stops with the list of boards if there is
    none, or if its folder is missing."""
    registry = read()
    if name not in registry:
        raise SystemExit('no board {}: boards/boards.json lists {}'.format(
            name, ', '.join(sorted(registry))))
    board = registry[name]
    if not (board.folder / 'mpconfigboard.cmake').is_file():
        raise SystemExit('board {} is in boards/boards.json but boards/{}/ '
                         'has no mpconfigboard.cmake'.format(name, name))
    return board


def builds():
    """Every board and variant the firmware pipeline builds, for CI's
    matrix: [{"board": ..., "variant": ""}, ...]."""
    return [{'board': name, 'variant': variant}
            for name in names()
            for variant in [''] + get(name).variants]


def main():
    import argparse
    parser = argparse.ArgumentParser(description='The board registry, for '
                                     'shell scripts and CI.')
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument('--builds', action='store_true', help='every board '
                      'and variant, as JSON (CI\'s build matrix)')
    what.add_argument('--target', metavar='BOARD', help='the ESP-IDF target '
                      'of BOARD (esp32c3)')
    args = parser.parse_args()
    if args.builds:
        print(json.dumps(builds()))
    else:
        print(get(args.target).target)


if __name__ == '__main__':
    main()
