"""The boards' partition tables: valid for ESP-IDF (aligned, no overlap,
inside the flash), laid out for OTA (two equal slots, otadata, the
filesystem MicroPython mounts), read the same by ESP-IDF's own table tool
(gen_esp32part, packaged as esp-idf-defs) as by ours, down to the binary
table; and each app slot leaves room over the generic MicroPython image."""

import pytest

from firmware_paths import BOARDS, ROOT
import boards
from app_formats import partition_table
import sizes

MB = partition_table.MB
FLASH = {name: boards.get(name).flash_size for name in BOARDS}


def csv_path(board):
    return ROOT / 'boards' / board / 'partitions.csv'


def esp_idf_defs():
    try:
        import esp_idf_defs.partitions as defs
    except ImportError as exc:
        pytest.fail('esp-idf-defs is missing ({}): pip install -r '
                    'requirements.txt'.format(exc))
    return defs


@pytest.mark.parametrize('board', BOARDS)
def test_table_is_valid_and_laid_out_for_ota(board):
    table = partition_table.read(csv_path(board))
    assert partition_table.check(table, FLASH[board], str(csv_path(board))) == []
    for part in table:
        align = 0x10000 if part.type == 0 else 0x1000
        assert part.offset % align == 0, part
    ordered = sorted(table, key=lambda part: part.offset)
    assert ordered[0].offset >= 0x9000  # after the bootloader and the table
    for before, after in zip(ordered, ordered[1:]):
        assert before.offset + before.size <= after.offset
    assert ordered[-1].offset + ordered[-1].size <= FLASH[board]

    slots = partition_table.ota_slots(table)
    assert [part.name for part in slots] == ['ota_0', 'ota_1']
    assert slots[0].size == slots[1].size
    assert slots[0].offset == 0x10000  # where the build puts the app
    assert not [p for p in table if p.type == 0 and p.subtype == 0x00], \
        'a factory app would boot instead of the OTA slots after an erase'
    otadata = partition_table.find(table, 'otadata')
    assert (otadata.type, otadata.subtype, otadata.size) == (1, 0x00, 0x2000)
    assert partition_table.find(table, 'nvs').size >= 0x3000
    vfs = partition_table.find(table, 'vfs')  # MicroPython mounts it at /
    assert (vfs.type, vfs.subtype) == (1, 0x81)


@pytest.mark.parametrize('board', BOARDS)
def test_esp_idf_reads_the_same_table(board):
    defs = esp_idf_defs()
    text = csv_path(board).read_text()
    theirs = defs.PartitionTable.from_csv(text)
    theirs.verify(partition_table_offset=partition_table.TABLE_OFFSET)
    theirs.verify_size_fits(FLASH[board])
    ours = partition_table.read(csv_path(board))
    assert [(p.name, p.type, p.subtype, p.offset, p.size) for p in theirs] == \
        [(p.name, p.type, p.subtype, p.offset, p.size) for p in ours]
    # the binary table the bootloader reads, encoded by each side
    assert partition_table.encode(ours) == theirs.to_binary()
    back = defs.PartitionTable.from_binary(partition_table.encode(ours))
    assert [(p.name, p.offset, p.size) for p in back] == \
        [(p.name, p.offset, p.size) for p in ours]


@pytest.mark.parametrize('board', BOARDS)
def test_app_slot_leaves_headroom(board):
    """The slot holds the generic image (boards/boards.json says how big
    and where that figure comes from), the frozen set's whole budget, and a
    margin for MicroPython and ESP-IDF to grow."""
    slot = partition_table.app_slot_size(partition_table.read(csv_path(board)))
    facts = boards.get(board)
    assert facts.generic_image_source
    assert slot - facts.generic_image >= \
        facts.frozen_budget + sizes.GROWTH_MARGIN, \
        '{}: slot {:,} B, generic image {:,} B'.format(
            board, slot, facts.generic_image)


BROKEN = {
    'overlap': ('nvs, data, nvs, 0x9000, 0x6000\n'
                'otadata, data, ota, 0xd000, 0x2000\n', 'overlaps'),
    'misaligned app': ('ota_0, app, ota_0, 0x18000, 0x100000\n'
                       'otadata, data, ota, 0x9000, 0x2000\n',
                       'not a multiple of 0x10000'),
    'past the flash': ('otadata, data, ota, 0x9000, 0x2000\n'
                       'ota_0, app, ota_0, 0x10000, 0x400000\n',
                       'past the 4 MB flash'),
    'small otadata': ('otadata, data, ota, 0x9000, 0x1000\n'
                      'ota_0, app, ota_0, 0x10000, 0x100000\n',
                      'otadata must be 0x2000'),
    'no otadata': ('ota_0, app, ota_0, 0x10000, 0x100000\n',
                   'need an otadata partition'),
    'in the table': ('nvs, data, nvs, 0x8000, 0x6000\n',
                     'inside the bootloader or the partition table'),
}


@pytest.mark.parametrize('case', sorted(BROKEN))
def test_broken_tables_are_refused_with_a_reason(case, tmp_path):
    text, reason = BROKEN[case]
    path = tmp_path / 'partitions.csv'
    path.write_text('# Name, Type, SubType, Offset, Size\n' + text)
    problems = partition_table.check(partition_table.read(path), 4 * MB, str(path))
    assert any(reason in problem for problem in problems), problems
    assert all(str(path) in problem for problem in problems)


def test_unreadable_lines_name_the_file_line_and_field(tmp_path):
    path = tmp_path / 'partitions.csv'
    for line, message in (('nvs, data, nvs, 0x9000, lots', 'size "lots"'),
                          ('x, code, nvs, 0x9000, 0x1000', 'type "code"'),
                          ('x, app, nvs, 0x10000, 0x1000', 'subtype "nvs"')):
        path.write_text('# comment\n' + line + '\n')
        with pytest.raises(partition_table.TableError) as caught:
            partition_table.read(path)
        assert '{} line 2'.format(path) in str(caught.value)
        assert message in str(caught.value)
