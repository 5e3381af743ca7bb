"""The device config: a JSON object in a file on the board's filesystem
(never frozen) with wifi_ssid, wifi_password, hostname and ota_token.

    config, reason = load(path)   reason says why config is None
    save(path, config)            whole or not at all
    erase(path)                   factory reset
    new_token()                   24 random hex digits
    exists(path)                  a file or folder is there (MicroPython
                                  has no os.path)
    check(fields)                 what is wrong with fields, or None

save() writes PATH.new and renames it over PATH. A rename that replaces a
file is atomic on LittleFS (the board's filesystem) and on POSIX (the
emulated board), so a power cut leaves the old config or the new one,
never half a file. A PATH.new left by a cut is removed by the next
load() and replaced by the next save()."""
import json
import os

FIELDS = ('wifi_ssid', 'wifi_password', 'hostname', 'ota_token')
HOST_CHARS = '-0123456789abcdefghijklmnopqrstuvwxyz'


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def discard(path):
    try:
        os.remove(path)
    except OSError:
        pass


def load(path, ssid=True):
    """(config, None), or (None, the reason) when the file is missing, not
    JSON, not an object, or (with `ssid`: the network is Wi-Fi) has no
    wifi_ssid."""
    discard(path + '.new')
    try:
        with open(path) as f:
            config = json.load(f)
    except OSError:
        return None, ('config: {} is missing; create it with wifi_ssid, '
                      'wifi_password, hostname and ota_token'.format(path))
    except ValueError:
        return None, 'config: {} is not valid JSON'.format(path)
    if not isinstance(config, dict) or ssid and not config.get('wifi_ssid'):
        return None, ('config: {} needs a JSON object with at least '
                      '"wifi_ssid"'.format(path))
    return config, None


def save(path, config):
    new = path + '.new'
    with open(new, 'w') as f:
        json.dump(config, f)
        # the new file must be whole on the disk before the rename: flush()
        # commits it on LittleFS; CPython has fsync(); esp32's os.sync()
        # flushes FAT (the unix port has neither)
        f.flush()
        if hasattr(os, 'fsync'):
            os.fsync(f.fileno())
        elif hasattr(os, 'sync'):
            os.sync()
    os.rename(new, path)


def erase(path):
    discard(path + '.new')
    discard(path)


def new_token():
    return ''.join('%02x' % byte for byte in os.urandom(12))


def check(fields):
    """The first problem with `fields` (some or all of FIELDS, as a
    settings form sends them), naming the field and the fix; None if
    there is none. A good hostname is lower-cased in `fields`."""
    for name in list(fields):
        value = fields[name]
        if name not in FIELDS:
            return '{} is not a setting; use {}'.format(name,
                                                        ', '.join(FIELDS))
        if not isinstance(value, str):
            return name + ' must be a string'
        size = len(value.encode())  # ESP-IDF's limits are in bytes
        if name == 'wifi_ssid' and not 0 < size < 33:
            return 'wifi_ssid must be 1 to 32 bytes (UTF-8), not {}'.format(
                size)
        if name == 'wifi_password' and size and not 7 < size < 64:
            return ('wifi_password must be 8 to 63 characters (WPA2), or '
                    'empty for an open network')
        if name == 'hostname':
            value = fields[name] = value.lower()
            if not 0 < size < 64 or value[0] == '-' or value[-1] == '-' or \
                    [c for c in value if c not in HOST_CHARS]:
                return ('hostname must be 1 to 63 of a-z, 0-9 and "-", not '
                        'starting or ending with "-"')
        if name == 'ota_token' and (size < 16 or
                                    [c for c in value if not '!' <= c <= '~']):
            return ('ota_token must be at least 16 characters, printable '
                    'ASCII without spaces (it travels in an HTTP header)')
    return None
