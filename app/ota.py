"""OTA updates: an app image arriving over HTTP is checked, written to the
next OTA slot block by block as it arrives, verified, and made the boot
image. Until set_boot() succeeds nothing tells the bootloader about the new
slot, so a failed or interrupted upload leaves the running image booting."""
import binascii
import hashlib

from microdot import HTTPException

import hw
from logs import log
import image

BLOCK_SIZE = 4096  # one flash sector, written at once
READ_SIZE = 1024  # asked of the client at a time: no large allocations
# An upload must bring at least a block in every window of this many
# seconds: a client sending a byte now and then would hold the update (and
# its lock) for ever, each read within the server's stall timeout.
RATE_WINDOW = 10

busy = False  # an update is running (the app serves one task at a time)
# The block buffer, made once: on a heap fragmented by a long uptime there
# may be no 4 KB in one piece when an update comes.
block = bytearray(BLOCK_SIZE)


class UpdateError(Exception):
    """Ends an upload with an HTTP status and a reason for the client."""

    def __init__(self, status, reason):
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


def hexdigest(digest):
    return binascii.hexlify(digest).decode()


def refuse_early(length, expected_sha):
    """The checks that need no body: returns the target partition or raises
    UpdateError. `length` is None for a chunked upload."""
    if busy:
        raise UpdateError(409, 'another update is in progress')
    if hw.ota_state() == 'pending-verify':
        # ESP-IDF refuses too (esp_ota_begin): confirm or roll back first
        raise UpdateError(409, 'the running firmware has not passed its '
                          'health check yet; try again in a minute')
    if expected_sha is not None:
        expected_sha = expected_sha.strip().lower()
        if len(expected_sha) != 64 or expected_sha.strip('0123456789abcdef'):
            raise UpdateError(400, 'X-OTA-SHA256 must be 64 hex digits, the '
                              'SHA-256 of the image')
    target = hw.Partition(hw.Partition.RUNNING).get_next_update()
    size = target.info()[3]
    if length is not None and length > size:
        raise UpdateError(413, 'the image is %d bytes, the %s slot holds %d'
                          % (length, target.info()[4], size))
    return target


async def read_some(stream, size):
    try:
        return await stream.read(size)
    except EOFError:
        raise UpdateError(400, 'the upload ended early (connection closed)')
    except HTTPException as exc:
        # 408 from the server: nothing arrived for its request_timeout;
        # else a malformed or too long chunked body
        raise UpdateError(exc.status_code, exc.reason)


async def update(stream, length, expected_sha=None):
    """One update, from the checks that need no body to set_boot(); returns
    the new image's descriptor or raises UpdateError."""
    global busy
    target = refuse_early(length, expected_sha)
    busy = True
    try:
        log('OTA: receiving an image for {}'.format(target.info()[4]))
        return await receive(stream, target, expected_sha)
    finally:
        busy = False


async def receive(stream, target, expected_sha=None):
    """Streams an image from `stream` into partition `target`, then makes
    it the boot partition. Returns the app descriptor of the new image;
    raises UpdateError (status and reason) if anything is wrong."""
    slot_size = target.info()[3]
    label = target.info()[4]
    view = memoryview(block)
    verifier = image.Verifier(slot_size)
    upload_hash = hashlib.sha256()
    desc = None
    index = 0  # the next block of the partition to write
    filled = 0
    total = 0
    window_start = hw.ticks_ms()
    window_total = 0
    while True:
        data = await read_some(stream, min(READ_SIZE, BLOCK_SIZE - filled))
        end = not data
        if hw.ticks_diff(hw.ticks_ms(), window_start) >= RATE_WINDOW * 1000:
            if total - window_total < BLOCK_SIZE and not end:
                raise UpdateError(408, 'the upload is too slow: %d bytes in '
                                  'the last %d seconds, a device needs at '
                                  'least %d' % (total - window_total,
                                                RATE_WINDOW, BLOCK_SIZE))
            window_start = hw.ticks_ms()
            window_total = total
        if data:
            total += len(data)
            if total > slot_size:
                raise UpdateError(413, 'the image is larger than the %d bytes '
                                  'of the %s slot' % (slot_size, label))
            view[filled:filled + len(data)] = data
            filled += len(data)
        if filled < BLOCK_SIZE and not end:
            continue
        if desc is None:
            # the first block: checked before anything is written
            desc = checked(image.check_header, view[:filled], hw.CHIP_ID)
        if filled:
            checked(verifier.feed, view[:filled])
            upload_hash.update(view[:filled])
            if filled < BLOCK_SIZE:
                view[filled:] = b'\xff' * (BLOCK_SIZE - filled)  # erased
            target.writeblocks(index, block)
            index += 1
            filled = 0
        if end:
            break
    checked(verifier.finish)
    if expected_sha is not None:
        actual = hexdigest(upload_hash.digest())
        if actual != expected_sha.strip().lower():
            raise UpdateError(400, 'SHA-256 mismatch: the upload hashes to '
                              '%s, X-OTA-SHA256 says %s (corrupted in '
                              'transit?)' % (actual, expected_sha))
    try:
        target.set_boot()  # ESP-IDF reads the image back and checks it
    except OSError as exc:
        raise UpdateError(500, 'the image written to %s failed ESP-IDF\'s '
                          'verification (%s); the boot partition is '
                          'unchanged' % (label, exc))
    return desc


def checked(function, *args):
    """Calls an image check; its ImageError becomes a 400 (413 for an image
    too large for the slot)."""
    try:
        return function(*args)
    except image.TooLarge as exc:
        raise UpdateError(413, str(exc))
    except image.ImageError as exc:
        raise UpdateError(400, 'invalid image: ' + str(exc))


def running_image():
    """The descriptor of the running image (version, project, ...), or
    placeholders if it cannot be read."""
    head = bytearray(image.CHECK_SIZE)
    hw.Partition(hw.Partition.RUNNING).readblocks(0, head)
    try:
        return image.describe(head)
    except image.ImageError:
        return {'version': 'unknown', 'project': 'unknown'}
