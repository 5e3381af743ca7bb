"""The app's image and otadata code (app/image.py, app/hw/otadata.py) against
images built by esptool and ESP-IDF's own numbers. These run in-process on
CPython; the hardware-in-loop tests run the same code on MicroPython."""
import random

import pytest

import image
from images import app_image, bad_magic, corrupted, without_app_desc
from hw import otadata

V2 = app_image('2.0.0')


def feed_all(data, piece, limit=0x1E0000):
    verifier = image.Verifier(limit)
    for start in range(0, len(data), piece):
        verifier.feed(data[start:start + piece])
    verifier.finish()
    return verifier


def test_xor_bytes_matches_a_plain_loop():
    rng = random.Random(1)
    for size in (0, 1, 2, 3, 100, 4095, 4096, 5000):
        data = rng.randbytes(size)
        expected = 0
        for byte in data:
            expected ^= byte
        assert image.xor_bytes(data) == expected


@pytest.mark.parametrize('piece', [1, 7, 4096, 1 << 20])
def test_verifier_follows_an_esptool_image_in_any_pieces(piece):
    verifier = feed_all(V2, piece)
    assert verifier.size == len(V2)
    assert verifier.wanted() == 0


def test_header_check_reads_the_app_descriptor():
    desc = image.check_header(V2[:image.CHECK_SIZE], 5)
    assert desc['version'] == '2.0.0'
    assert desc['project'] == 'test-app'
    assert desc['idf_ver'] == 'v5.5.1'


@pytest.mark.parametrize('data,reason', [
    (bad_magic(V2), 'the first byte is 0xE8, not 0xE9'),
    (without_app_desc(V2), 'no app descriptor at offset 32'),
    (app_image('2.0.0', chip='esp32s3'), 'built for ESP32-S3 (chip id 9)'),
    (V2[:10], 'shorter than its header'),
    (V2[:100], 'shorter than an app image header and descriptor'),
    (b'', 'the upload is empty'),
])
def test_header_check_refuses(data, reason):
    with pytest.raises(image.ImageError) as error:
        image.check_header(data, 5)
    assert reason in str(error.value)


@pytest.mark.parametrize('data,reason', [
    (corrupted(V2), 'checksum mismatch'),
    (V2[:len(V2) - 1], 'truncated'),
    (V2 + b'\xff', '1 bytes follow the end of the image'),
    # the appended hash alone corrupted: the checksum still matches
    (V2[:-1] + bytes([V2[-1] ^ 0xFF]), 'SHA-256 appended to the image'),
])
def test_verifier_refuses(data, reason):
    with pytest.raises(image.ImageError) as error:
        feed_all(data, 4096)
    assert reason in str(error.value)


def test_verifier_refuses_a_segment_past_the_slot():
    with pytest.raises(image.TooLarge) as error:
        feed_all(V2, 4096, limit=len(V2) - 100)
    assert 'past the' in str(error.value)


def test_otadata_crc_is_esp_idf_s():
    # the values ESP-IDF's otatool computes for sequence numbers 1, 2, 3
    assert otadata.crc(1) == 0x4743989A
    assert otadata.crc(2) == 0x55F63774
    assert otadata.crc(3) == 0xED4A5011


def test_otadata_entries_and_choice():
    blank = otadata.Entry(b'\xff' * 32)
    valid = otadata.Entry(otadata.pack(2, otadata.VALID))
    aborted = otadata.Entry(otadata.pack(3, otadata.ABORTED))
    assert len(otadata.pack(1, otadata.NEW)) == otadata.ENTRY_SIZE
    assert not blank.usable()
    assert valid.usable() and valid.slot(2) == 1
    assert aborted.crc_ok() and not aborted.usable()
    assert otadata.active([blank, blank]) == -1
    assert otadata.active([valid, aborted]) == 0
    assert otadata.active([otadata.Entry(otadata.pack(5, otadata.NEW)),
                           valid]) == 0
    assert otadata.state_of([valid, aborted], 1, 2) == otadata.VALID
    assert otadata.state_of([valid, aborted], 0, 2) == otadata.ABORTED
    assert otadata.state_of([blank, blank], 0, 2) == otadata.UNDEFINED
