"""The real board: an ESP32-C3 or ESP32-S3 running MicroPython's esp32 port.
Everything here is a thin call into esp32, network and machine; the
bootloader has already chosen the slot (and rolled back if needed).

The QEMU variant of the C3 image (boards/ESP32_GENERIC_C3/
mpconfigvariant_QEMU.cmake) has no Wi-Fi but QEMU's emulated Ethernet,
through the openeth module; the network is joined through it there."""
import asyncio
import gc
from time import ticks_ms, ticks_diff  # noqa: F401 (hw's interface)

import esp32
import machine
import network

import image

try:
    import openeth  # only in the QEMU variant
except ImportError:
    openeth = None

Partition = esp32.Partition

HTTP_HOST = '0.0.0.0'
HTTP_PORT = 80
DNS_PORT = 53
CONFIG_PATH = '/config.json'  # on the vfs partition, never frozen
WEB_DIR = '/web'  # the gzipped UI files
NETWORK = 'Wi-Fi' if openeth is None else 'Ethernet'


def running_chip_id():
    """The chip id in the running image's header: the bootloader only
    starts an image built for this chip, so it is this chip's."""
    header = bytearray(image.HEADER_SIZE)
    Partition(Partition.RUNNING).readblocks(0, header)
    return header[12] | header[13] << 8


CHIP_ID = running_chip_id()
CHIP = image.chip_name(CHIP_ID)

# made at import, as joining happens once per boot; never on the QEMU
# variant, whose emulated chip has no radio
wlan = network.WLAN(network.WLAN.IF_STA) if openeth is None else None
access_point = network.WLAN(network.WLAN.IF_AP) if wlan else None
# the station MAC is the chip's base MAC, which unique_id() gives where
# there is no radio
mac = wlan.config('mac') if wlan else machine.unique_id()
MAC_SUFFIX = '%02x%02x' % (mac[-2], mac[-1])


def boot():
    pass  # the ROM and the ESP-IDF bootloader did it


async def wait_connected(interface, timeout_ms):
    """True once `interface` has an address, False after timeout_ms."""
    waited = 0
    while not interface.isconnected():
        if waited >= timeout_ms:
            return False
        await asyncio.sleep_ms(100)
        waited += 100
    return True


async def connect_wifi(ssid, password, hostname, timeout_ms=15000):
    """Joins the network; returns the IPv4 address, or raises OSError."""
    network.hostname(hostname)
    if openeth is not None:
        openeth.active(True)
        if not await wait_connected(openeth, timeout_ms):
            raise OSError('Ethernet: no address from DHCP')
        return openeth.ifconfig()[0]
    wlan.active(True)
    if not wlan.isconnected():
        wlan.connect(ssid, password)
        if not await wait_connected(wlan, timeout_ms):
            wlan.disconnect()
            raise OSError('Wi-Fi: no connection to "{}" (status {})'
                          .format(ssid, wlan.status()))
    return wlan.ifconfig()[0]


def radio_scan():
    """(ssid, rssi, secured) of each access point heard; [] without a
    radio."""
    if wlan is None:
        return []
    wlan.active(True)  # scans need the station interface up
    found = []
    for ssid, _, _, rssi, security, hidden in wlan.scan():
        try:
            ssid = '' if hidden else ssid.decode()
        except ValueError:  # not UTF-8: no config could name it
            continue
        found.append((ssid, rssi, security != network.WLAN.SEC_OPEN))
    return found


def start_access_point(essid):
    """Opens an access point without a password; returns its address."""
    if access_point is None:
        raise OSError('no Wi-Fi radio on this image')
    # ESP-IDF takes the AP's settings once the interface is up
    access_point.active(True)
    access_point.config(essid=essid, security=network.WLAN.SEC_OPEN)
    return access_point.ipconfig('addr4')[0]


def stop_access_point():
    if access_point is not None:
        access_point.active(False)


def wifi_connected():
    return (openeth or wlan).isconnected()


def wifi_rssi():
    if wlan is None or not wlan.isconnected():
        return None
    return wlan.status('rssi')


def free_heap():
    """The heap free after a collection (without one the figure says more
    about when the last one ran)."""
    gc.collect()
    return gc.mem_free()


def health_check_sabotaged():
    return False  # only the host emulation offers a forced failure


def setting(name):
    return None  # no environment on the board: the config file decides


def reset():
    machine.reset()


def port_in_use():
    pass  # the last run's socket is still closing: the app tries again
