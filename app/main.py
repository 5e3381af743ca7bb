"""The device application: reads the config, joins Wi-Fi, serves the web UI
and API, and confirms a newly installed firmware image once it has shown
it works. The boot log on the console:

    firmware 1.2.0 (microdot-esp) on ESP32-C3, partition ota_1, pending-verify
    Wi-Fi: connected to "home", RSSI -52 dBm
    IPv4 address: 192.168.1.23
    HTTP server on http://192.168.1.23:80/ (http://microdot-esp.local/)
    health check passed: ota_1 confirmed, no rollback

A new image boots in pending-verify state. It is confirmed
(mark_app_valid_cancel_rollback) when Wi-Fi is up and the server answers
its own status request; if that has not happened within HEALTH_TIMEOUT
seconds, or the app crashes, the device resets and the bootloader goes
back to the previous image.

With no config, or a network it cannot join, a board with a radio goes
into set-up mode (setup_mode(): its own access point, the set-up page,
Improv on the console) until it is given one."""
import asyncio
import errno
import gc
import json
import sys

import config
import hw
from logs import log, log_exception

hw.boot()  # on the host: the bootloader's slot choice, before anything else

import api  # noqa: E402
import ota  # noqa: E402

HEALTH_TIMEOUT = int(hw.setting('HEALTH_TIMEOUT') or 60)  # seconds
# tries to join the configured network before set-up mode (host: settable)
WIFI_ATTEMPTS = int(hw.setting('WIFI_ATTEMPTS') or 5)
SELF_CHECK_TIMEOUT = 5  # seconds for the server to answer itself
PORT_RETRY = 5  # seconds between tries while the HTTP port is taken
MICROPYTHON = sys.implementation.name == 'micropython'


def load_config():
    """The device config from its filesystem (never frozen into the
    image), and why there is none when there is none."""
    found, reason = config.load(hw.CONFIG_PATH, hw.NETWORK == 'Wi-Fi')
    if found is None:
        return None, reason
    token = hw.setting('OTA_TOKEN')
    if token:
        found['ota_token'] = token
    if not found.get('ota_token'):
        log('config: no ota_token in {}: updates are refused'.format(
            hw.CONFIG_PATH))
    return found, None


async def join_wifi(config):
    ssid = config.get('wifi_ssid')
    hostname = config.get('hostname') or 'microdot-esp'
    for attempt in range(1, WIFI_ATTEMPTS + 1):
        try:
            address = await hw.connect_wifi(ssid, config.get('wifi_password',
                                                             ''), hostname)
            if hw.NETWORK == 'Wi-Fi':
                log('Wi-Fi: connected to "{}", RSSI {} dBm'.format(
                    ssid, hw.wifi_rssi()))
            else:
                log('{}: connected'.format(hw.NETWORK))
            return address
        except OSError as exc:
            log('{}: attempt {} of {} failed: {}'.format(
                hw.NETWORK, attempt, WIFI_ATTEMPTS, exc))
            await asyncio.sleep(2 * attempt)
    return None


async def server_answers(address, version):
    """The health check's own request: GET /api/status must answer 200
    with the running version."""
    reader, writer = await asyncio.open_connection(address, hw.HTTP_PORT)
    try:
        writer.write(b'GET /api/status HTTP/1.1\r\nHost: self\r\n'
                     b'Connection: close\r\n\r\n')
        await writer.drain()
        answer = b''
        while True:
            data = await reader.read(512)
            if not data:
                break
            answer += data
        head, _, body = answer.partition(b'\r\n\r\n')
        if not head.startswith(b'HTTP/1.1 200 '):
            return False
        return json.loads(body).get('version') == version
    finally:
        writer.close()
        await writer.wait_closed()


async def health_check(address, version):
    """Confirms a pending image once it is healthy; resets if it is not
    within HEALTH_TIMEOUT seconds (the bootloader then rolls back)."""
    sabotaged = hw.health_check_sabotaged()
    pending = hw.ota_state() == 'pending-verify'
    started = hw.ticks_ms()
    while hw.ticks_diff(hw.ticks_ms(), started) < HEALTH_TIMEOUT * 1000:
        healthy = False
        if not sabotaged and hw.wifi_connected():
            try:
                healthy = await asyncio.wait_for(
                    server_answers(address, version), SELF_CHECK_TIMEOUT)
            except Exception as exc:  # any failure is just "not healthy"
                log('health check: {!r}'.format(exc))
        if healthy:
            label = hw.Partition(hw.Partition.RUNNING).info()[4]
            if pending:
                hw.Partition.mark_app_valid_cancel_rollback()
                log('health check passed: {} confirmed, no rollback'.format(
                    label))
            else:
                log('health check passed')
            return
        await asyncio.sleep(1)
    if pending:
        log('health check failed for {} s: resetting; the bootloader rolls '
            'back to the previous image'.format(HEALTH_TIMEOUT))
        hw.reset()
    log('health check failed for {} s (the image is not pending, so it '
        'stays)'.format(HEALTH_TIMEOUT))


async def listen(app):
    """Serves HTTP until the server closes. Returns the OSError that kept
    it from starting rather than raising it: asyncio would report a task
    that fails before anyone awaits it."""
    try:
        await app.start_server(hw.HTTP_HOST, hw.HTTP_PORT)
    except OSError as exc:
        return exc


async def start_server(app):
    """The HTTP server's task, once it listens. While its port is taken it
    says so and, on a board (where the socket of the last run may still be
    closing), tries again; the emulated board stops (another program has
    the port)."""
    while True:
        app.server = None
        server = asyncio.create_task(listen(app))
        while not server.done():
            if app.server is not None and app.server.server is not None:
                return server
            await asyncio.sleep(0.01)
        error = await server
        if error.errno != errno.EADDRINUSE:
            raise error
        log('HTTP server: port {} is in use'.format(hw.HTTP_PORT))
        hw.port_in_use()
        await asyncio.sleep(PORT_RETRY)


async def setup_mode(firmware, reason, settings, hostname):
    """No network to join: the board opens its own access point, sends
    every DNS name to itself and serves the set-up page (app/setup.py),
    which saves the config and restarts into it. The page that flashed
    the board may send the network over the USB console instead (Improv).
    Loaded only now: a board that joins its network needs none of it."""
    import captive_dns
    import improv
    import setup
    essid = '{}-{}'.format(hostname, hw.MAC_SUFFIX)
    networks = hw.scan()
    address = hw.start_access_point(essid)
    setup.start(essid, address, networks, hostname, firmware['version'])
    log('set-up mode: {}'.format(reason))
    log('set-up mode: join the Wi-Fi network "{}" and open http://{}/ '
        '({} networks in range)'.format(essid, address, len(networks)))
    dns = asyncio.create_task(captive_dns.serve(address, hw.DNS_PORT))
    if MICROPYTHON:  # Improv on the USB console
        board = setup.Board(firmware['version'], hostname, settings)
        asyncio.create_task(improv.serve(*improv.console(), board))
    server = await start_server(setup.app)
    log('HTTP server on http://{}:{}/ (set-up)'.format(address,
                                                      hw.HTTP_PORT))
    try:
        await server
    finally:
        dns.cancel()
        hw.stop_access_point()


async def console_setup(firmware, settings, hostname):
    """No radio for an access point (the QEMU image): the network can be
    given over the USB console (Improv) on MicroPython, else at the REPL,
    where Ctrl-C leads."""
    if not MICROPYTHON:
        return
    import improv
    import setup
    log('set-up: waiting for the network over the USB console (Improv), '
        'or Ctrl-C for the REPL')
    await improv.serve(*improv.console(),
                       setup.Board(firmware['version'], hostname, settings))


async def main():
    firmware = ota.running_image()
    running = hw.Partition(hw.Partition.RUNNING).info()[4]
    state = hw.ota_state()
    log('firmware {} ({}) on {}, partition {}, {}'.format(
        firmware['version'], firmware['project'], hw.CHIP, running, state))
    settings, reason = load_config()
    hostname = (settings or {}).get('hostname') or 'microdot-esp'
    address = None
    if settings is not None:
        address = await join_wifi(settings)
        if address is None:
            reason = 'could not join "{}"'.format(settings.get('wifi_ssid'))
    if address is None:
        log(reason)
        if state == 'pending-verify':
            hw.reset()  # an image that cannot run here is rolled back
        if hw.NETWORK != 'Wi-Fi':
            await console_setup(firmware, settings, hostname)
            return
        await setup_mode(firmware, reason, settings, hostname)
        return
    api.setup(settings.get('ota_token'), hostname, firmware)
    gc.collect()
    server = await start_server(api.app)
    # test harnesses (and ESP-IDF's) wait for this line
    log('IPv4 address: ' + address)
    log('HTTP server on http://{}:{}/ (http://{}.local/)'.format(
        address, hw.HTTP_PORT, hostname))
    await health_check(address, firmware['version'])
    await server


def run():
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        # a crash resets the device: a new image that crashes is then
        # rolled back, an old one starts afresh
        log_exception(exc)
        log('fatal error: resetting')
        hw.reset()


run()
