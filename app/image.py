"""The ESP32 app image format: what an OTA update carries (the build's
micropython.bin). The header and the app descriptor are checked before
anything is written; the rest (segments, checksum, appended SHA-256) is
followed as the bytes go by, so an image is verified without holding it.

Layout: a 24-byte header (magic 0xE9, segment count, flash settings, entry
address, then chip id at offset 12 and hash_appended at offset 23); segments,
each an 8-byte header (load address, length) and its data; zero padding to a
16-byte boundary whose last byte is the checksum (XOR of all segment data,
seeded with 0xEF); then, if hash_appended, the SHA-256 of all of the above.
The first segment starts with esp_app_desc_t (magic 0xABCD5432), so the
descriptor is at offset 32."""
import hashlib
import struct

MAGIC = 0xE9
DESC_MAGIC = 0xABCD5432
HEADER_SIZE = 24
SEGMENT_HEADER_SIZE = 8
DESC_OFFSET = 32
DESC_SIZE = 256
CHECK_SIZE = DESC_OFFSET + DESC_SIZE  # what check_header() needs to see
MAX_SEGMENTS = 16  # ESP-IDF's limit
CHECKSUM_SEED = 0xEF
DIGEST_SIZE = 32

CHIPS = {0: 'ESP32', 2: 'ESP32-S2', 5: 'ESP32-C3', 9: 'ESP32-S3',
         12: 'ESP32-C2', 13: 'ESP32-C6', 16: 'ESP32-H2'}


class ImageError(ValueError):
    """The upload is not a usable app image; the message says why."""


class TooLarge(ImageError):
    """The image does not fit in the partition it is meant for."""


def chip_name(chip_id):
    return CHIPS.get(chip_id, 'unknown chip')


def text(field):
    """A NUL-padded string field of the descriptor."""
    end = field.find(b'\0')
    if end >= 0:
        field = field[:end]
    try:
        return field.decode()
    except UnicodeError:
        raise ImageError('the app descriptor holds a string that is not UTF-8')


def describe(data):
    """The app descriptor fields of an image that starts with `data` (at
    least CHECK_SIZE bytes): version, project, date, time, idf_ver. Raises
    ImageError if there is no app descriptor."""
    if len(data) < CHECK_SIZE:
        raise ImageError('the image is %d bytes, shorter than an app image '
                         'header and descriptor (%d bytes)' % (len(data),
                                                               CHECK_SIZE))
    data = bytes(data[:CHECK_SIZE])
    magic = struct.unpack_from('<I', data, DESC_OFFSET)[0]
    if magic != DESC_MAGIC:
        # a bootloader or a merged flash image also starts with 0xE9
        raise ImageError('no app descriptor at offset 32 (found 0x%08X, '
                         'expected 0xABCD5432): this is not an app image; '
                         'upload the app binary (micropython.bin), not '
                         'firmware.bin or the bootloader' % magic)
    start = DESC_OFFSET + 16  # after magic, secure_version, 2 reserved words
    return {
        'version': text(data[start:start + 32]),
        'project': text(data[start + 32:start + 64]),
        'time': text(data[start + 64:start + 80]),
        'date': text(data[start + 80:start + 96]),
        'idf_ver': text(data[start + 96:start + 128]),
    }


def check_header(data, chip_id):
    """Checks the first bytes of an upload (at least CHECK_SIZE of them, or
    all of a shorter upload) before any is written: an app image for chip
    `chip_id`. Returns the app descriptor (see describe()); raises
    ImageError with the reason."""
    if not data:
        raise ImageError('the upload is empty')
    if data[0] != MAGIC:
        raise ImageError('not an ESP32 app image: the first byte is 0x%02X, '
                         'not 0xE9' % data[0])
    if len(data) < HEADER_SIZE:
        raise ImageError('the image is %d bytes, shorter than its header'
                         % len(data))
    count = data[1]
    if count == 0 or count > MAX_SEGMENTS:
        raise ImageError('the header gives %d segments; an app image has 1 '
                         'to %d' % (count, MAX_SEGMENTS))
    image_chip = struct.unpack_from('<H', data, 12)[0]
    if image_chip != chip_id:
        raise ImageError('the image is built for %s (chip id %d), this device '
                         'is an %s (chip id %d)' % (
                             chip_name(image_chip), image_chip,
                             chip_name(chip_id), chip_id))
    if data[23] > 1:
        raise ImageError('the header\'s hash_appended byte is %d, not 0 or 1'
                         % data[23])
    return describe(data)


XOR_PIECE = 256  # bytes taken as one integer by xor_bytes()


def xor_bytes(data):
    """The XOR of all bytes of `data`: each 256-byte piece taken as one big
    integer, XORed together, then folded in halves down to a byte. A few
    bignum operations per piece, where a loop per byte would take seconds
    per megabyte on the board; and no allocation larger than a piece, which
    a fragmented heap still has."""
    view = memoryview(data)
    value = 0
    for start in range(0, len(view), XOR_PIECE):
        value ^= int.from_bytes(view[start:start + XOR_PIECE], 'little')
    width = 8 * XOR_PIECE
    while width > 8:
        width //= 2
        value = (value ^ (value >> width)) & ((1 << width) - 1)
    return value


# What Verifier expects next
HEADER, SEGMENT_HEADER, SEGMENT_DATA, CHECKSUM, DIGEST, END = range(6)


class Verifier:
    """Follows an app image fed in pieces, in order: feed() raises
    ImageError as soon as something is wrong (a segment runs past `limit`
    bytes, the checksum or appended hash does not match, bytes follow the
    end), finish() when the upload has ended before the image did. The
    caller checks the header with check_header() first."""

    def __init__(self, limit):
        self.limit = limit
        self.size = 0  # bytes fed so far
        self.stage = HEADER
        self.want = HEADER_SIZE  # bytes of the field being collected
        self.field = b''
        self.segments_left = 0
        self.data_left = 0
        self.checksum = CHECKSUM_SEED
        self.hash_appended = False
        self.digest = hashlib.sha256()  # of the image before its hash

    def feed(self, data):
        view = memoryview(data)
        while len(view):
            if self.stage == END:
                raise ImageError('%d bytes follow the end of the image'
                                 % len(view))
            if self.stage == SEGMENT_DATA:
                size = min(len(view), self.data_left)
                piece = view[:size]
                self.checksum ^= xor_bytes(piece)
                self.digest.update(piece)
                self.size += size
                self.data_left -= size
                if self.data_left == 0:
                    self.next_segment()
            else:
                # a fixed-size field, which may arrive in pieces
                size = min(len(view), self.want - len(self.field))
                self.field += bytes(view[:size])
                self.size += size
                if len(self.field) == self.want:
                    field = self.field
                    self.field = b''
                    if self.stage != DIGEST:
                        self.digest.update(field)
                    self.end_of_field(field)
            view = view[size:]

    def end_of_field(self, field):
        if self.stage == HEADER:
            self.segments_left = field[1]
            self.hash_appended = field[23] == 1
            self.next_segment()
        elif self.stage == SEGMENT_HEADER:
            address, length = struct.unpack('<II', field)
            end = self.size + length
            if end > self.limit:
                raise TooLarge('segment at 0x%08X of %d bytes ends at byte %d '
                               'of the image, past the %d bytes of the slot'
                               % (address, length, end, self.limit))
            self.data_left = length
            self.stage = SEGMENT_DATA
            if length == 0:
                self.next_segment()
        elif self.stage == CHECKSUM:
            if field[-1] != self.checksum:
                raise ImageError('checksum mismatch: the image says 0x%02X, '
                                 'its data gives 0x%02X (the image is '
                                 'corrupted)' % (field[-1], self.checksum))
            if self.hash_appended:
                self.stage = DIGEST
                self.want = DIGEST_SIZE
            else:
                self.stage = END
        elif self.stage == DIGEST:
            if field != self.digest.digest():
                raise ImageError('the SHA-256 appended to the image does not '
                                 'match its contents (the image is corrupted)')
            self.stage = END

    def next_segment(self):
        """After the header or a segment's data: another segment header,
        or the padding to a 16-byte boundary that ends with the checksum."""
        if self.segments_left:
            self.segments_left -= 1
            self.stage = SEGMENT_HEADER
            self.want = SEGMENT_HEADER_SIZE
        else:
            self.stage = CHECKSUM
            self.want = 16 - self.size % 16

    def wanted(self):
        """How many more bytes the image has at least (0 at its end)."""
        if self.stage == END:
            return 0
        if self.stage == SEGMENT_DATA:
            return self.data_left
        return self.want - len(self.field)

    def finish(self):
        if self.stage != END:
            raise ImageError('the image is truncated: the upload ended after '
                             '%d bytes, in the middle of the image'
                             % self.size)
