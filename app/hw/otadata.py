"""ESP-IDF's otadata partition: which OTA slot boots, and in what state.

Two 4 KB sectors hold one esp_ota_select_entry_t each: ota_seq (uint32),
seq_label (20 bytes, unused), ota_state (uint32), crc (uint32, CRC-32 of
ota_seq alone). The usable entry with the highest ota_seq wins, and boots
slot (ota_seq - 1) % number of slots. Both backends read it (MicroPython has
no call for an image's state); the host one also writes it, as ESP-IDF's
esp_ota_set_boot_partition() and its bootloader do."""
import binascii
import struct

ENTRY_FORMAT = '<I20sII'
ENTRY_SIZE = 32
BLANK = 0xFFFFFFFF  # erased flash

NEW = 0
PENDING_VERIFY = 1
VALID = 2
INVALID = 3
ABORTED = 4
UNDEFINED = 0xFFFFFFFF

STATE_NAMES = {NEW: 'new', PENDING_VERIFY: 'pending-verify', VALID: 'valid',
               INVALID: 'invalid', ABORTED: 'aborted', UNDEFINED: 'undefined'}


def crc(seq):
    # ESP-IDF: esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4), which is zlib's
    # CRC-32 continued from 0xFFFFFFFF
    return binascii.crc32(struct.pack('<I', seq), 0xFFFFFFFF) & 0xFFFFFFFF


def pack(seq, state):
    return struct.pack(ENTRY_FORMAT, seq, b'\xff' * 20, state, crc(seq))


class Entry:
    def __init__(self, data):
        self.seq, _, self.state, self.crc = struct.unpack(ENTRY_FORMAT, data)

    def crc_ok(self):
        return self.seq != BLANK and self.crc == crc(self.seq)

    def usable(self):
        """What ESP-IDF's bootloader_common_ota_select_valid() accepts."""
        return self.crc_ok() and self.state not in (INVALID, ABORTED)

    def slot(self, slots):
        return (self.seq - 1) % slots


def read(partition):
    """The two entries of an otadata partition (esp32.Partition API)."""
    entries = []
    for sector in (0, 1):
        data = bytearray(ENTRY_SIZE)
        partition.readblocks(sector, data)
        entries.append(Entry(data))
    return entries


def active(entries):
    """The index of the entry that decides the boot slot, or -1 if none is
    usable (the bootloader then boots the first OTA slot)."""
    best = -1
    for index in (0, 1):
        if entries[index].usable() and \
                (best < 0 or entries[index].seq > entries[best].seq):
            best = index
    return best


def state_of(entries, slot, slots):
    """The state of the image in OTA slot `slot` (0, 1, ...) as ESP-IDF's
    esp_ota_get_state_partition() reports it: from the entry with a valid
    CRC that selects the slot, UNDEFINED if there is none."""
    found = None
    for entry in entries:
        if entry.crc_ok() and entry.slot(slots) == slot and \
                (found is None or entry.seq > found.seq):
            found = entry
    return UNDEFINED if found is None else found.state

