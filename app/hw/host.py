"""The board emulated on a host computer, for the MicroPython unix port and
CPython: what the app needs of esp32, network and machine.

The flash is a file, STATE_DIR/flash.bin, laid out by the board's
partitions.csv. Partition objects have the esp32.Partition API subset the
app uses, and set_boot() and mark_app_valid_cancel_rollback() write otadata
as ESP-IDF does. boot() plays the bootloader: it picks the OTA slot from
otadata, marks an image that was left pending-verify as aborted (rollback),
and checks the image before running it. A reset ends the process with
RESET_EXIT_CODE; the launcher (tools/device.py) then starts it again, which
is the next boot.

The Wi-Fi networks in range are the file STATE_DIR/networks.json, a list
of {"ssid", "password", "rssi"} (and "hidden": true for one that does not
broadcast its name); the first start writes one open network there,
"host-network", which its config.json names. scan() lists them (secured:
a password is set), connect_wifi() joins only with an SSID and password
that one of them has. The access point is only a state and console lines:
its address is the loopback one the server listens on.

Settings come from the environment: STATE_DIR (default "state"), BOARD
(a board of boards/boards.json, whose facts it takes: ESP32_GENERIC_C3
or ESP32_GENERIC_S3), BOARDS_DIR (the repository's boards/ folder, with
that registry and boards/<BOARD>/partitions.csv; by default found from
this file), HTTP_PORT (8080), DNS_PORT (5353: 53 needs root), OTA_TOKEN
(overrides the config), FIRMWARE_VERSION (of the image put in ota_0 on
the first start), PROVISIONED (0: the first start writes no config.json,
so the board starts as one fresh from the factory)."""
import hashlib
import json
import os
import struct
import sys

try:
    from time import ticks_ms, ticks_diff  # the MicroPython unix port
except ImportError:  # CPython
    from time import monotonic

    def ticks_ms():
        return int(monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b

import config
from config import exists
import image
import partition_table
from hw import otadata

RESET_EXIT_CODE = 75  # tells the launcher to start the device again
BLOCK_SIZE = 4096
ERR_OTA_VALIDATE_FAILED = -5379  # OSError of esp32.Partition.set_boot()


def getenv(name, default=None):
    value = os.getenv(name)
    return default if value is None or value == '' else value


def join(*parts):
    return '/'.join(parts)


def boards_dir():
    """BOARDS_DIR, else the repository's boards/ folder: app/hw/host.py is
    two folders below the repository."""
    path = __file__
    for _ in range(3):
        path = path.rpartition('/')[0] or '.'
    return getenv('BOARDS_DIR', join(path, 'boards'))


def board_facts(name):
    """The line of boards/boards.json for board `name`."""
    with open(join(boards_dir(), 'boards.json')) as f:
        registry = json.load(f)
    if name not in registry:
        raise SystemExit('BOARD={} is not in boards/boards.json; use one '
                         'of: {}'.format(name, ', '.join(sorted(registry))))
    return registry[name]


STATE_DIR = getenv('STATE_DIR', 'state')
BOARD = getenv('BOARD', 'ESP32_GENERIC_C3')
FACTS = board_facts(BOARD)
CHIP_ID = FACTS['chip_id']
CHIP = image.chip_name(CHIP_ID)
FLASH_SIZE = FACTS['flash_mb'] * 1024 * 1024
FLASH_PATH = join(STATE_DIR, 'flash.bin')
HEALTH_FLAG = join(STATE_DIR, 'fail-next-health-check')
HTTP_HOST = '127.0.0.1'
NETWORK = 'Wi-Fi'
HTTP_PORT = int(getenv('HTTP_PORT', '8080'))
WEB_DIR = getenv('WEB_DIR', join(STATE_DIR, 'web'))
CONFIG_PATH = join(STATE_DIR, 'config.json')
NETWORKS_PATH = join(STATE_DIR, 'networks.json')
DNS_PORT = int(getenv('DNS_PORT', '5353'))
# the same state folder is the same board: a hash of its path (as given;
# tools/device.py gives it absolute) stands for the MAC burnt into a chip
MAC_SUFFIX = ''.join('%02x' % byte for byte in
                     hashlib.sha256(STATE_DIR.encode()).digest()[:2])


def log(message):
    print('I (host) ' + message)


# --- the partition table ---------------------------------------------------

TABLE_PATH = join(boards_dir(), BOARD, 'partitions.csv')


def read_table():
    """The board's partition table, checked as the firmware build checks
    it: a table the build would refuse stops the emulated board too."""
    try:
        table = partition_table.read(TABLE_PATH)
    except partition_table.TableError as exc:
        raise SystemExit(str(exc))
    problems = partition_table.check(table, FLASH_SIZE, TABLE_PATH)
    if problems:
        raise SystemExit('\n'.join(problems))
    return table


TABLE = None  # read by boot(): partition_table.Partition entries
running_label = None  # the slot boot() chose


# --- the flash -------------------------------------------------------------

flash_file = None


def flash():
    global flash_file
    if flash_file is None:
        flash_file = open(FLASH_PATH, 'r+b')
    return flash_file


def flash_read(address, buf):
    f = flash()
    f.seek(address)
    data = f.read(len(buf))
    buf[:len(data)] = data


def flash_write(address, data):
    """Programs flash: as on NOR flash, a write only clears bits, so what
    was not erased first comes out as old AND new."""
    f = flash()
    f.seek(address)
    old = f.read(len(data))
    if old != b'\xff' * len(data):
        data = bytes(a & b for a, b in zip(old, data))
    f.seek(address)
    f.write(data)
    f.flush()


def flash_erase(address, size):
    f = flash()
    f.seek(address)
    f.write(b'\xff' * size)
    f.flush()


class Partition:
    """esp32.Partition, on the emulated flash."""

    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0
    TYPE_DATA = 1

    def __init__(self, id):
        if id == Partition.RUNNING:
            id = running_label
        elif id == Partition.BOOT:
            id = boot_label()
        try:
            self.entry = partition_table.find(TABLE, id)
        except KeyError:
            raise ValueError('no partition labelled {}'.format(id))

    def __repr__(self):
        entry = self.entry
        return '<Partition type={}, subtype={}, address={}, size={}, ' \
            'label={}, encrypted=False>'.format(entry.type, entry.subtype,
                                                entry.offset, entry.size,
                                                entry.name)

    @classmethod
    def find(cls, type=TYPE_APP, subtype=0xff, label=None):
        return [cls(entry.name) for entry in TABLE
                if entry.type == type and subtype in (0xff, entry.subtype)
                and label in (None, entry.name)]

    def info(self):
        entry = self.entry
        return (entry.type, entry.subtype, entry.offset, entry.size,
                entry.name, False)

    def flash_address(self, block, length, offset):
        """The flash address of `length` bytes at `offset` in `block`;
        OSError EINVAL if they are not all inside the partition."""
        start = block * BLOCK_SIZE + offset
        if start < 0 or start + length > self.entry.size:
            raise OSError(22, 'access past the end of partition ' +
                          self.entry.name)
        return self.entry.offset + start

    def readblocks(self, block, buf, offset=0):
        flash_read(self.flash_address(block, len(buf), offset), buf)

    def writeblocks(self, block, buf, offset=None):
        """Without `offset` the blocks are erased first, as the real
        method does; with it the caller must have erased them."""
        address = self.flash_address(block, len(buf), offset or 0)
        if offset is None:
            erase = (len(buf) + BLOCK_SIZE - 1) // BLOCK_SIZE * BLOCK_SIZE
            flash_erase(self.flash_address(block, erase, 0), erase)
        flash_write(address, bytes(buf))

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.entry.size // BLOCK_SIZE
        if op == 5:  # block size
            return BLOCK_SIZE
        if op == 6:  # erase a block
            flash_erase(self.flash_address(arg, BLOCK_SIZE, 0), BLOCK_SIZE)
            return 0
        return None

    def get_next_update(self):
        """The OTA slot after the running one, as ESP-IDF's
        esp_ota_get_next_update_partition() chooses it."""
        slots = ota_slots()
        for index, entry in enumerate(slots):
            if entry.name == running_label:
                return Partition(slots[(index + 1) % len(slots)].name)
        return Partition(slots[0].name)

    def set_boot(self):
        """Makes this slot boot next, once its image has been checked
        (esp_ota_set_boot_partition(): checksum, hash, chip)."""
        if verify_slot(self.entry) is None:
            raise OSError(ERR_OTA_VALIDATE_FAILED)
        select_slot(self.entry.subtype - 0x10)

    @classmethod
    def mark_app_valid_cancel_rollback(cls):
        """Confirms the running image if it is pending verification."""
        part = otadata_partition()
        entries = otadata.read(part)
        index = otadata.active(entries)
        if index < 0:
            return
        entry = entries[index]
        running = Partition(running_label).info()[1] - 0x10
        if entry.slot(len(ota_slots())) == running and \
                entry.state == otadata.PENDING_VERIFY:
            write_entry(part, index, entry.seq, otadata.VALID)


def ota_slots():
    return partition_table.ota_slots(TABLE)


def otadata_partition():
    found = Partition.find(Partition.TYPE_DATA, 0x00)
    if not found:
        raise OSError(2, 'the partition table has no otadata partition')
    return found[0]


def write_entry(part, index, seq, state):
    part.ioctl(6, index)
    part.writeblocks(index, otadata.pack(seq, state), 0)


def select_slot(slot):
    """esp_rewrite_ota_data(): the entry that boots `slot` next, state NEW
    (rollback is enabled), in the sector that is not the active one, with
    the lowest sequence number from the active one's on that selects
    `slot`."""
    part = otadata_partition()
    entries = otadata.read(part)
    count = len(ota_slots())
    index = otadata.active(entries)
    if index < 0:
        write_entry(part, 0, slot + 1, otadata.NEW)
        return
    seq = (slot + 1) % count
    while seq < entries[index].seq:
        seq += count
    write_entry(part, 1 - index, seq, otadata.NEW)


def boot_label():
    """The slot the bootloader would choose now (Partition.BOOT)."""
    entries = otadata.read(otadata_partition())
    index = otadata.active(entries)
    slots = ota_slots()
    if index < 0:
        return slots[0].name
    return slots[entries[index].slot(len(slots))].name


def verify_slot(entry):
    """Reads the image in a slot and checks it (header, chip, segments,
    checksum, appended hash); returns its descriptor, or None."""
    offset, size = entry.offset, entry.size
    buf = bytearray(BLOCK_SIZE)
    view = memoryview(buf)
    flash_read(offset, buf)
    try:
        desc = image.check_header(buf, CHIP_ID)
        verifier = image.Verifier(size)
        position = 0
        # read only as far as the image goes: after it comes old data or
        # erased flash
        while verifier.wanted():
            length = min(BLOCK_SIZE, verifier.wanted(), size - position)
            if length == 0:
                raise image.ImageError('the image runs past the end of the '
                                       'slot')
            flash_read(offset + position, view[:length])
            verifier.feed(view[:length])
            position += length
        return desc
    except image.ImageError as exc:
        log('{}: no valid app image: {}'.format(entry.name, exc))
        return None


# --- first start and boot --------------------------------------------------

def make_image(version, chip_id=None, project='microdot-esp'):
    """A small valid app image with `version` in its descriptor, standing
    for the firmware flashed over USB before the first start."""
    if chip_id is None:
        chip_id = CHIP_ID
    desc = struct.pack('<IIII32s32s16s16s32s32s', image.DESC_MAGIC, 0, 0, 0,
                       version.encode(), project.encode(), b'00:00:00',
                       b'host', b'host', b'\0' * 32)
    desc += b'\0' * (image.DESC_SIZE - len(desc))
    segments = [(0x3C000020, desc + b'\0' * 256),
                (0x40380000, b'\x13\x00\x00\x00' * 512)]  # RISC-V nops
    out = bytearray(struct.pack('<BBBBI', image.MAGIC, len(segments), 2, 0x20,
                                0x40380000))
    # wp_pin disabled, drive settings, chip id, revisions, hash_appended
    out += struct.pack('<BBBBHBHH4sB', 0xEE, 0, 0, 0, chip_id, 0, 0, 0xFFFF,
                       b'\0' * 4, 1)
    checksum = image.CHECKSUM_SEED
    for address, data in segments:
        out += struct.pack('<II', address, len(data))
        out += data
        checksum ^= image.xor_bytes(data)
    out += b'\0' * (15 - len(out) % 16)
    out.append(checksum)
    out += hashlib.sha256(out).digest()
    return bytes(out)


def first_start():
    """A blank device: erased flash with an image in ota_0 (as `esptool
    write_flash` leaves it; otadata stays erased) and, unless PROVISIONED
    is 0, a config file naming the emulated network, which it writes when
    missing. Only then: a config erased later (a factory reset) stays
    erased."""
    if not exists(STATE_DIR):
        os.mkdir(STATE_DIR)
    if not exists(FLASH_PATH):
        version = getenv('FIRMWARE_VERSION', '0.1.0-host')
        with open(FLASH_PATH, 'wb') as f:
            chunk = b'\xff' * 0x10000
            for _ in range(FLASH_SIZE // len(chunk)):
                f.write(chunk)
        Partition(ota_slots()[0].name).writeblocks(0, make_image(version))
        log('new flash {} ({} MB), image {} written to {}'.format(
            FLASH_PATH, FLASH_SIZE // 0x100000, version, ota_slots()[0].name))
        if not exists(CONFIG_PATH) and getenv('PROVISIONED') != '0':
            token = config.new_token()
            config.save(CONFIG_PATH, {
                'wifi_ssid': 'host-network', 'wifi_password': '',
                'hostname': 'microdot-esp', 'ota_token': token})
            log('new config {} (OTA token {})'.format(CONFIG_PATH, token))
    if not exists(NETWORKS_PATH):
        with open(NETWORKS_PATH, 'w') as f:
            json.dump([{'ssid': 'host-network', 'password': '',
                        'rssi': -52}], f)
        log('new emulated Wi-Fi networks in range: {}'.format(NETWORKS_PATH))


def boot():
    """The bootloader: chooses and checks the image to run."""
    global TABLE, running_label, sabotaged
    TABLE = read_table()
    first_start()
    if exists(HEALTH_FLAG):
        os.remove(HEALTH_FLAG)
        sabotaged = True
        log('this boot\'s health check will fail ({} was there)'.format(
            HEALTH_FLAG))
    log('{} on {} MB of emulated flash, partitions from {}'.format(
        CHIP, FLASH_SIZE // 0x100000, TABLE_PATH))
    part = otadata_partition()
    entries = otadata.read(part)
    slots = ota_slots()
    # both entries erased (or garbled): the state `esptool write-flash`
    # leaves; once an image boots, its slot gets the first entry
    initial = not (entries[0].crc_ok() or entries[1].crc_ok())
    for index in (0, 1):
        if entries[index].state == otadata.PENDING_VERIFY:
            # the image booted last time and was never confirmed
            label = slots[entries[index].slot(len(slots))].name
            log('otadata[{}]: the image in {} was not confirmed: marked '
                'aborted, rolling back'.format(index, label))
            write_entry(part, index, entries[index].seq, otadata.ABORTED)
    entries = otadata.read(part)
    index = otadata.active(entries)
    chosen = 0 if index < 0 else entries[index].slot(len(slots))
    # the chosen slot first, then the others, as the bootloader tries them
    for slot in [chosen] + [s for s in range(len(slots)) if s != chosen]:
        desc = verify_slot(slots[slot])
        if desc is not None:
            break
    else:
        log('no bootable app image in any OTA slot')
        sys.exit(1)
    if index >= 0 and slot == chosen and \
            entries[index].state == otadata.NEW:
        write_entry(part, index, entries[index].seq, otadata.PENDING_VERIFY)
    if initial:
        # ESP-IDF's bootloader (set_actual_ota_seq()) records the slot it
        # boots from a blank otadata as confirmed
        write_entry(part, 0, slot + 1, otadata.VALID)
        log('set actual ota_seq={} in otadata[0]'.format(slot + 1))
    running_label = slots[slot].name
    log('loaded app from partition {} at offset 0x{:x}'.format(
        running_label, slots[slot].offset))


# --- the rest of the board -------------------------------------------------

joined = None  # the network of networks.json the board is on
access_point = None  # the essid while the access point is open


def networks():
    """The entries of networks.json, checked; none if it is missing."""
    try:
        with open(NETWORKS_PATH) as f:
            text = f.read()
    except OSError:
        return []
    try:
        found = json.loads(text)
    except ValueError:
        raise ValueError(NETWORKS_PATH + ' is not valid JSON')
    if not isinstance(found, list):
        raise ValueError(NETWORKS_PATH + ' must hold a list of networks')
    for number, entry in enumerate(found, 1):
        if not (isinstance(entry, dict) and
                isinstance(entry.get('ssid'), str) and
                isinstance(entry.get('password'), str) and
                isinstance(entry.get('rssi'), int) and
                isinstance(entry.get('hidden', False), bool)):
            raise ValueError(
                '{}: network {} must be {{"ssid": "<name>", "password": '
                '"<or empty: open>", "rssi": <dBm, e.g. -52>}}, with '
                '"hidden": true if it is'.format(NETWORKS_PATH, number))
    return found


def radio_scan():
    """(ssid, rssi, secured) of each network of networks.json, a hidden one
    without its name, as a radio hears them."""
    return [('' if entry.get('hidden') else entry['ssid'], entry['rssi'],
             entry['password'] != '') for entry in networks()]


async def connect_wifi(ssid, password, hostname):
    """Joins a network of networks.json, if the SSID and password are one's;
    the host's loopback address is the board's on it."""
    global joined
    joined = None
    named = [entry for entry in networks() if entry['ssid'] == ssid]
    if not named:
        raise OSError('Wi-Fi: no connection to "{}" (no such network in {})'
                      .format(ssid, NETWORKS_PATH))
    right = [entry for entry in named if entry['password'] == password]
    if not right:
        raise OSError('Wi-Fi: no connection to "{}" (wrong password: not '
                      'the one in {})'.format(ssid, NETWORKS_PATH))
    joined = max(right, key=lambda entry: entry['rssi'])
    return HTTP_HOST


def wifi_connected():
    return joined is not None


def wifi_rssi():
    return None if joined is None else joined['rssi']


def start_access_point(essid):
    """Opens the emulated access point: the server's own address is its."""
    global access_point
    access_point = essid
    log('wifi: access point "{}" open, no password, address {}'.format(
        essid, HTTP_HOST))
    return HTTP_HOST


def stop_access_point():
    global access_point
    if access_point is not None:
        log('wifi: access point "{}" closed'.format(access_point))
        access_point = None


def free_heap():
    """The heap free after a collection (without one the figure says more
    about when the last one ran); 0 on CPython, which has no such heap."""
    import gc
    gc.collect()
    try:
        return gc.mem_free()
    except AttributeError:  # CPython
        return 0


sabotaged = False  # this boot's health check is to fail


def health_check_sabotaged():
    """True if the file STATE_DIR/fail-next-health-check was there at boot
    (boot() removes it): lets tests make a new image fail its health
    check."""
    return sabotaged


def setting(name):
    """An override from the environment (OTA_TOKEN)."""
    return getenv(name)


def port_in_use():
    """Another program has the HTTP port: waiting would not help, and a
    reset would only start again into the same."""
    raise SystemExit('the emulated board stops: choose another port '
                     '(HTTP_PORT=... or --port)')


def reset():
    """Ends the process at once, as a reset ends the firmware: the flash
    file is written through, nothing else needs saving."""
    log('reset')
    if flash_file is not None:
        flash_file.close()
    if hasattr(os, '_exit'):  # CPython: not through asyncio's task cleanup
        sys.stdout.flush()
        os._exit(RESET_EXIT_CODE)
    sys.exit(RESET_EXIT_CODE)
