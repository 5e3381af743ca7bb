"""The board behind one small interface. On an ESP32 the real backend
(hw/esp32.py) is used, anywhere else the host emulation (hw/host.py).

    CHIP, CHIP_ID          "ESP32-C3", 5 (the image header's chip id)
    Partition              esp32.Partition (or the emulated one)
    boot()                 host: the bootloader's slot choice and rollback
    NETWORK                "Wi-Fi", or "Ethernet" on the QEMU image
    connect_wifi(ssid, password, hostname)   async; the IPv4 address, or
                           OSError when the join fails
    wifi_connected(), wifi_rssi()            RSSI in dBm, or None
    scan()                 [(ssid, rssi, secured)]: the networks in range,
                           strongest first, one entry per SSID, hidden ones
                           left out
    start_access_point(essid)  opens an access point without a password;
                           its IPv4 address (board: 192.168.4.1)
    stop_access_point()
    MAC_SUFFIX             "a1b2": the last 4 hex digits of the station MAC
    DNS_PORT               where the set-up DNS responder listens
    free_heap(), reset()   reset() does not return
    port_in_use()          the HTTP port is taken: host: stops; board: returns
    health_check_sabotaged()  host: True once if a test asked for it
    setting(name)          host: an environment override, e.g. OTA_TOKEN
    ticks_ms(), ticks_diff(a, b)   a millisecond clock for intervals
                           (MicroPython's time module's; host: on CPython too)
    CONFIG_PATH, WEB_DIR, HTTP_HOST, HTTP_PORT
"""
import sys

# (not `import esp32` to find out: the name would then be this package's
# attribute, and `from hw import esp32` would give that module instead of
# hw/esp32.py)
if sys.platform == 'esp32':
    from hw import esp32 as board
else:
    from hw import host as board

from hw import otadata

CHIP = board.CHIP
CHIP_ID = board.CHIP_ID
Partition = board.Partition
boot = board.boot
NETWORK = board.NETWORK
connect_wifi = board.connect_wifi
wifi_connected = board.wifi_connected
wifi_rssi = board.wifi_rssi
start_access_point = board.start_access_point
stop_access_point = board.stop_access_point
MAC_SUFFIX = board.MAC_SUFFIX
DNS_PORT = board.DNS_PORT
free_heap = board.free_heap
reset = board.reset
port_in_use = board.port_in_use
health_check_sabotaged = board.health_check_sabotaged
setting = board.setting
CONFIG_PATH = board.CONFIG_PATH
WEB_DIR = board.WEB_DIR
HTTP_HOST = board.HTTP_HOST
HTTP_PORT = board.HTTP_PORT
ticks_ms = board.ticks_ms
ticks_diff = board.ticks_diff


def scan():
    best = {}
    # the radio reports each access point: a network with several has
    # several entries; a hidden one has no name
    for ssid, rssi, secured in board.radio_scan():
        if ssid and (ssid not in best or rssi > best[ssid][1]):
            best[ssid] = (ssid, rssi, secured)
    return sorted(best.values(), key=lambda found: (-found[1], found[0]))


def ota_slot_count():
    return len([part for part in Partition.find(Partition.TYPE_APP)
                if 0x10 <= part.info()[1] < 0x20])


def ota_state():
    """The state of the running image: "valid", "pending-verify", ...,
    "undefined" (no otadata entry for it: the first image after flashing)."""
    running = Partition(Partition.RUNNING)
    slot = running.info()[1] - 0x10  # subtypes: ota_0 0x10, ota_1 0x11
    entries = otadata.read(Partition.find(Partition.TYPE_DATA, 0x00)[0])
    state = otadata.state_of(entries, slot, ota_slot_count())
    return otadata.STATE_NAMES.get(state, 'undefined')
