"""ESP-IDF partition tables: the CSV files in boards/<BOARD>/, read and
checked, and encoded as the binary table the bootloader reads at 0x8000.

    table = read('boards/ESP32_GENERIC_C3/partitions.csv')
    problems = check(table, flash_size=4 * MB)   # [] when the table is valid
    slot = app_slot_size(table)                  # bytes an app image may use

The one reader of the format: the emulated board (hw/host.py) lays out its
flash with it, on CPython and MicroPython, and the firmware tools take it
from here for the size report and the flash offsets. The tests compare it
with an independent parser (esp-idf-defs). Not frozen: on a board, ESP-IDF
reads the table."""
import collections
import hashlib
import struct

MB = 1024 * 1024
TABLE_OFFSET = 0x8000  # where the bootloader looks for the table
TABLE_SIZE = 0x1000  # the table's flash sector
FIRST_FREE = TABLE_OFFSET + TABLE_SIZE
# ESP-IDF keeps the sector's last 1 KB for a signature
MAX_TABLE_BYTES = 0xC00
APP_ALIGN = 0x10000  # app partitions are mapped through the MMU in 64 KB pages
DATA_ALIGN = 0x1000  # one flash sector
OTADATA_SIZE = 0x2000  # two sectors, one select entry each
NVS_MIN_SIZE = 0x3000  # ESP-IDF refuses a smaller read/write NVS

TYPES = {'app': 0x00, 'data': 0x01}
SUBTYPES = {
    'app': dict({'factory': 0x00, 'test': 0x20},
                **{'ota_%d' % n: 0x10 + n for n in range(16)}),
    'data': {'ota': 0x00, 'phy': 0x01, 'nvs': 0x02, 'coredump': 0x03,
             'nvs_keys': 0x04, 'efuse': 0x05, 'undefined': 0x06,
             'fat': 0x81, 'spiffs': 0x82, 'littlefs': 0x83},
}
FLAGS = {'encrypted': 1, 'readonly': 2}

Partition = collections.namedtuple(
    'Partition', 'name type subtype offset size flags line')


class TableError(ValueError):
    """A partition table that cannot be read; the message names the file,
    the line, the field and what to write instead."""


def parse_number(text, where, field):
    """0x10000, 65536, 64K or 1M."""
    value = text.strip()
    scale = 1
    if value[-1:] in ('K', 'k'):
        scale, value = 1024, value[:-1]
    elif value[-1:] in ('M', 'm'):
        scale, value = MB, value[:-1]
    try:
        return int(value, 0) * scale
    except ValueError:
        raise TableError('{}: {} "{}" is not a number; write e.g. 0x10000, '
                         '64K or 1M'.format(where, field, text))


def read(path):
    """The partitions of a CSV file, offsets filled in as ESP-IDF does for
    empty ones (after the previous partition, aligned for its type)."""
    with open(str(path)) as f:
        lines = f.read().splitlines()
    table = []
    end = FIRST_FREE
    for number, line in enumerate(lines, 1):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        where = '{} line {}'.format(path, number)
        fields = [field.strip() for field in line.split(',')] + ['']
        if len(fields) < 6:
            raise TableError(where + ': expected "name, type, subtype, '
                             'offset, size[, flags]"')
        name, kind, subtype, offset, size, flags = fields[:6]
        if kind not in TYPES:
            raise TableError('{}: type "{}" must be app or data'.format(
                where, kind))
        known = SUBTYPES[kind]
        if subtype not in known:
            # by number: MicroPython's dicts do not keep their order
            raise TableError('{}: subtype "{}" is not one of {} for {} '
                             'partitions'.format(
                                 where, subtype,
                                 ', '.join(sorted(known, key=known.get)),
                                 kind))
        align = APP_ALIGN if kind == 'app' else DATA_ALIGN
        if offset:
            offset = parse_number(offset, where, 'offset')
        else:
            offset = (end + align - 1) // align * align
        if not size:
            raise TableError(where + ': the size is missing')
        size = parse_number(size, where, 'size')
        flag_bits = 0
        for flag in filter(None, flags.split(':')):
            if flag not in FLAGS:
                raise TableError('{}: unknown flag "{}" (known: {})'.format(
                    where, flag, ', '.join(sorted(FLAGS, key=FLAGS.get))))
            flag_bits |= FLAGS[flag]
        table.append(Partition(name, TYPES[kind], SUBTYPES[kind][subtype],
                               offset, size, flag_bits, number))
        end = offset + size
    return table


def check(table, flash_size, path='the table'):
    """Everything wrong with a table, as sentences naming the partition and
    the fix; an empty list for a valid one."""
    problems = []
    names = [part.name for part in table]
    for part in table:
        where = '{} line {} ({})'.format(path, part.line, part.name)
        if names.count(part.name) > 1:
            problems.append(where + ': the name is used twice')
        if not part.name or len(part.name.encode()) > 16:
            problems.append(where + ': a name has 1 to 16 characters')
        align = APP_ALIGN if part.type == TYPES['app'] else DATA_ALIGN
        if part.offset % align:
            problems.append('{}: offset 0x{:x} is not a multiple of 0x{:x}'
                            .format(where, part.offset, align))
        if part.type == TYPES['app'] and part.size % DATA_ALIGN:
            problems.append('{}: an app partition size must be a multiple of '
                            '0x1000, not 0x{:x}'.format(where, part.size))
        if part.size <= 0:
            problems.append(where + ': the size must be positive')
        if part.offset < FIRST_FREE:
            problems.append('{}: offset 0x{:x} is inside the bootloader or '
                            'the partition table; start at 0x{:x} or later'
                            .format(where, part.offset, FIRST_FREE))
        if part.offset + part.size > flash_size:
            problems.append('{}: ends at 0x{:x}, past the {} MB flash'.format(
                where, part.offset + part.size, flash_size // MB))
        if part.type == TYPES['data'] and part.subtype == 0x00 and \
                part.size != OTADATA_SIZE:
            problems.append('{}: otadata must be 0x2000 bytes, not 0x{:x}'
                            .format(where, part.size))
        if part.type == TYPES['data'] and part.subtype == 0x02 and \
                part.size < NVS_MIN_SIZE and \
                not part.flags & FLAGS['readonly']:
            problems.append('{}: a read/write nvs partition needs at least '
                            '0x3000 bytes'.format(where))
    ordered = sorted(table, key=lambda part: part.offset)
    for before, after in zip(ordered, ordered[1:]):
        if after.offset < before.offset + before.size:
            problems.append('{} line {} ({}) at 0x{:x} overlaps {} '
                            '(0x{:x}-0x{:x})'.format(
                                path, after.line, after.name, after.offset,
                                before.name, before.offset,
                                before.offset + before.size - 1))
    otadata = [part for part in table
               if part.type == TYPES['data'] and part.subtype == 0x00]
    if len(otadata) > 1:
        problems.append(path + ': more than one otadata partition')
    if ota_slots(table) and not otadata:
        problems.append(path + ': OTA slots need an otadata partition '
                        '(data, ota, size 0x2000)')
    if len(encode_entries(table)) + 32 > MAX_TABLE_BYTES:
        problems.append(path + ': too many partitions for the 3 KB table')
    return problems


def ota_slots(table):
    """The OTA app partitions, ota_0 first."""
    return sorted([part for part in table if part.type == TYPES['app'] and
                   0x10 <= part.subtype < 0x20], key=lambda part: part.subtype)


def app_slot_size(table):
    """The bytes an app image may use: the smallest app partition (an OTA
    update goes to either slot)."""
    apps = [part.size for part in table if part.type == TYPES['app']]
    if not apps:
        raise TableError('the table has no app partition')
    return min(apps)


def find(table, name):
    """The partition called `name`; KeyError if there is none."""
    for part in table:
        if part.name == name:
            return part
    raise KeyError('no partition named ' + name)


def encode_entries(table):
    out = b''
    for part in table:
        out += struct.pack('<2sBBII16sI', b'\xaa\x50', part.type, part.subtype,
                           part.offset, part.size, part.name.encode(),
                           part.flags)
    return out


def encode(table):
    """The binary table: 32-byte entries (magic 0xAA 0x50, type, subtype,
    offset, size, name, flags), an MD5 entry over them (0xEB 0xEB, 14 bytes
    0xFF, the digest), padded with 0xFF to 3 KB."""
    entries = encode_entries(table)
    out = entries + b'\xeb\xeb' + b'\xff' * 14 + hashlib.md5(entries).digest()
    return out + b'\xff' * (MAX_TABLE_BYTES - len(out))
