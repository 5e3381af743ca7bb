"""The real board: ESP32-C3 or ESP32-S3 running MicroPython's esp32 port.
Everything here is a thin call into esp32, network and machine; the
bootloader has already chosen the slot (and rolled back if needed)."""
import asyncio
import gc
import os

import esp32
import machine
import network

Partition = esp32.Partition

_machine = os.uname().machine  # e.g. "ESP32C3 module with ESP32C3"
if 'ESP32S3' in _machine:
    CHIP, CHIP_ID = 'ESP32-S3', 9
elif 'ESP32C3' in _machine:
    CHIP, CHIP_ID = 'ESP32-C3', 5
else:
    raise ImportError('unsupported chip: ' + _machine)

HTTP_HOST = '0.0.0.0'
HTTP_PORT = 80
CONFIG_PATH = '/config.json'  # on the vfs partition, never frozen
WEB_DIR = '/web'  # the gzipped UI files

wlan = network.WLAN(network.WLAN.IF_STA)


def boot():
    pass  # the ROM and the ESP-IDF bootloader did it


async def connect_wifi(ssid, password, hostname, timeout_ms=15000):
    """Joins the network; returns the IPv4 address, or raises OSError."""
    network.hostname(hostname)
    wlan.active(True)
    if not wlan.isconnected():
        wlan.connect(ssid, password)
        waited = 0
        while not wlan.isconnected():
            if waited >= timeout_ms:
                wlan.disconnect()
                raise OSError('Wi-Fi: no connection to "{}" (status {})'
                              .format(ssid, wlan.status()))
            await asyncio.sleep_ms(100)
            waited += 100
    return wlan.ifconfig()[0]


def wifi_connected():
    return wlan.isconnected()


def wifi_rssi():
    if not wlan.isconnected():
        return None
    return wlan.status('rssi')


def free_heap():
    return gc.mem_free()


def health_check_sabotaged():
    return False  # only the host emulation offers a forced failure


def setting(name):
    return None  # no environment on the board: the config file decides


def reset():
    machine.reset()
