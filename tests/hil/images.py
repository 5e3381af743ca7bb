"""Test data made by the tests: ESP32 app images built with esptool's own
image classes, and a reading of a device's flash that shares no code with
the app (esptool's image loader, this file's otadata parser, the csv module
for the partition table). The flash is read through a function, as a real
board's is read piece by piece over its serial port."""
import csv
import random
import struct
import zlib

from esptool.bin_image import (ELFSection, ESP32C3FirmwareImage,
                               ESP32S3FirmwareImage, LoadFirmwareImage)
from esptool.util import FatalError

CHIPS = {'esp32c3': ESP32C3FirmwareImage, 'esp32s3': ESP32S3FirmwareImage}
IRAM = {'esp32c3': 0x40380000, 'esp32s3': 0x40370000}
DROM = 0x3C000020  # flash-mapped data, where the app descriptor goes
IROM = 0x42000020  # flash-mapped code
APP_DESC_MAGIC = 0xABCD5432


def app_desc(version, project='test-app'):
    """esp_app_desc_t, 256 bytes, as ESP-IDF 5 lays it out."""
    return struct.pack('<IIII32s32s16s16s32s32sHHB3x72x', APP_DESC_MAGIC, 0,
                       0, 0, version.encode(), project.encode(), b'12:00:00',
                       b'Nov 22 2026', b'v5.5.1', bytes(32), 0, 99, 16)


def app_image(version, chip='esp32c3', code_size=64 * 1024,
              project='test-app'):
    """A valid app image (segment layout as ESP-IDF builds it, checksum,
    appended SHA-256), its content seeded by the version."""
    rng = random.Random(version + chip)
    image = CHIPS[chip]()
    image.entrypoint = IRAM[chip] + 0x80
    image.flash_mode = 2  # DIO
    image.flash_size_freq = 0x20  # 4 MB, 40 MHz
    image.segments = [
        ELFSection(b'.flash.appdesc', DROM,
                   app_desc(version, project) + rng.randbytes(4096), 0),
        ELFSection(b'.flash.text', IROM, rng.randbytes(code_size), 0),
        ELFSection(b'.iram0.text', IRAM[chip], rng.randbytes(6000), 0),
    ]
    return image.save(None)


def corrupted(data):
    """One bit flipped in the middle of the code: header and descriptor
    intact, so only the checksum and hashes can tell."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


def bad_magic(data):
    return b'\xE8' + data[1:]


def without_app_desc(data):
    """What a bootloader image or a merged firmware.bin looks like at
    offset 32: no app descriptor magic."""
    return data[:32] + b'\0\0\0\0' + data[36:]


def descriptor(data):
    """(version, project) from the app descriptor at offset 32."""
    magic, = struct.unpack_from('<I', data, 32)
    assert magic == APP_DESC_MAGIC
    return (data[48:80].split(b'\0')[0].decode(),
            data[80:112].split(b'\0')[0].decode())


def describe(data, chip='esp32c3'):
    """esptool's reading of an image: (version, image object), or raises
    FatalError/struct.error for what it cannot load."""
    image = LoadFirmwareImage(chip, bytes(data))
    return descriptor(data)[0], image


def valid_image_version(data, chip='esp32c3'):
    """The version of the app image at the start of `data` if esptool finds
    it complete and intact (checksum, appended hash), else None."""
    try:
        version, image = describe(data, chip)
    except (FatalError, struct.error, AssertionError, UnicodeError):
        return None
    if image.checksum != image.calculate_checksum():
        return None
    if image.append_digest and image.stored_digest != image.calc_digest:
        return None
    return version


# --- the flash file ---------------------------------------------------------

STATE_NAMES = {0: 'new', 1: 'pending-verify', 2: 'valid', 3: 'invalid',
               4: 'aborted', 0xFFFFFFFF: 'undefined'}


def partition_table(path):
    """label -> (offset, size), from an ESP-IDF partition CSV file."""
    table = {}
    with open(path, newline='') as f:
        for row in csv.reader(f):
            if not row or row[0].strip().startswith('#'):
                continue
            label = row[0].strip()
            table[label] = (int(row[3].strip(), 16), int(row[4].strip(), 16))
    return table


class OtaEntry:
    def __init__(self, sector, raw):
        self.sector = sector
        self.seq, self.label, self.state, self.crc = \
            struct.unpack('<I20sII', raw)

    def crc_ok(self):
        # esp_rom_crc32_le(UINT32_MAX, &seq, 4) == zlib's crc32 seeded so
        return self.seq != 0xFFFFFFFF and \
            self.crc == zlib.crc32(struct.pack('<I', self.seq), 0xFFFFFFFF)

    def usable(self):
        return self.crc_ok() and self.state not in (3, 4)

    @property
    def slot(self):
        return 'ota_%d' % ((self.seq - 1) % 2)

    @property
    def state_name(self):
        return STATE_NAMES.get(self.state, hex(self.state))

    def __repr__(self):
        return 'OtaEntry(sector={}, seq={}, {}, {})'.format(
            self.sector, self.seq, self.slot, self.state_name)


class Flash:
    """What a bootloader would find in a device's flash; `read(offset,
    size)` gives its bytes."""

    def __init__(self, read, table, chip='esp32c3'):
        self.read = read
        self.table = table
        self.chip = chip
        offset = table['otadata'][0]
        otadata = read(offset, 8192)
        self.sectors = [otadata[:4096], otadata[4096:]]
        self.entries = [OtaEntry(i, self.sectors[i][:32]) for i in (0, 1)]

    def slot(self, label):
        offset, size = self.table[label]
        return self.read(offset, size)

    def version(self, label):
        return valid_image_version(self.slot(label), self.chip)

    def written_entries(self):
        """The otadata entries that are not erased flash."""
        return [entry for entry in self.entries
                if self.sectors[entry.sector] != b'\xff' * 4096]

    def boot_slot(self):
        """ESP-IDF's choice: the usable entry with the highest sequence,
        ota_0 if there is none."""
        usable = [entry for entry in self.entries if entry.usable()]
        if not usable:
            return 'ota_0'
        return max(usable, key=lambda entry: entry.seq).slot

    def state_of(self, label):
        """esp_ota_get_state_partition(): from the entry with a good CRC
        that selects the slot."""
        found = [entry for entry in self.entries
                 if entry.crc_ok() and entry.slot == label]
        if not found:
            return 'undefined'
        return max(found, key=lambda entry: entry.seq).state_name
