"""The device application: reads the config, joins Wi-Fi, serves the web UI
and API, and confirms a newly installed firmware image once it has shown
it works. The boot log on the console:

    firmware 1.2.0 (microdot-esp) on ESP32-C3, partition ota_1, pending-verify
    Wi-Fi: connected to "home", RSSI -52 dBm
    IPv4 address: 192.168.1.23
    HTTP server on http://192.168.1.23:80/
    health check passed: ota_1 confirmed, no rollback

A new image boots in pending-verify state. It is confirmed
(mark_app_valid_cancel_rollback) when Wi-Fi is up and the server answers
its own status request; if that has not happened within HEALTH_TIMEOUT
seconds, or the app crashes, the device resets and the bootloader goes
back to the previous image."""
import asyncio
import errno
import gc
import json
import sys

import hw

hw.boot()  # on the host: the bootloader's slot choice, before anything else

import api  # noqa: E402
import ota  # noqa: E402

HEALTH_TIMEOUT = int(hw.setting('HEALTH_TIMEOUT') or 60)  # seconds
WIFI_ATTEMPTS = 5
SELF_CHECK_TIMEOUT = 5  # seconds for the server to answer itself
PORT_RETRY = 5  # seconds between tries while the HTTP port is taken


def load_config():
    """The device config from its filesystem (never frozen into the
    image): wifi_ssid, wifi_password, hostname, ota_token."""
    path = hw.CONFIG_PATH
    try:
        with open(path) as f:
            config = json.load(f)
    except OSError:
        print('config: {} is missing; create it with wifi_ssid, '
              'wifi_password, hostname and ota_token'.format(path))
        return None
    except ValueError:
        print('config: {} is not valid JSON'.format(path))
        return None
    if not isinstance(config, dict) or (hw.NETWORK == 'Wi-Fi' and
                                        not config.get('wifi_ssid')):
        print('config: {} needs a JSON object with at least "wifi_ssid"'
              .format(path))
        return None
    token = hw.setting('OTA_TOKEN')
    if token:
        config['ota_token'] = token
    if not config.get('ota_token'):
        print('config: no ota_token in {}: updates are refused'.format(path))
    return config


async def join_wifi(config):
    ssid = config.get('wifi_ssid')
    hostname = config.get('hostname') or 'microdot-esp'
    for attempt in range(1, WIFI_ATTEMPTS + 1):
        try:
            address = await hw.connect_wifi(ssid, config.get('wifi_password',
                                                             ''), hostname)
            if hw.NETWORK == 'Wi-Fi':
                print('Wi-Fi: connected to "{}", RSSI {} dBm'.format(
                    ssid, hw.wifi_rssi()))
            else:
                print('{}: connected'.format(hw.NETWORK))
            return address
        except OSError as exc:
            print('{}: attempt {} of {} failed: {}'.format(
                hw.NETWORK, attempt, WIFI_ATTEMPTS, exc))
            await asyncio.sleep(2 * attempt)
    print('{}: giving up; resetting to try again'.format(hw.NETWORK))
    hw.reset()


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
    started = api.ticks_ms()
    while api.ticks_diff(api.ticks_ms(), started) < HEALTH_TIMEOUT * 1000:
        healthy = False
        if not sabotaged and hw.wifi_connected():
            try:
                healthy = await asyncio.wait_for(
                    server_answers(address, version), SELF_CHECK_TIMEOUT)
            except Exception as exc:  # any failure is just "not healthy"
                print('health check: {!r}'.format(exc))
        if healthy:
            label = hw.Partition(hw.Partition.RUNNING).info()[4]
            if pending:
                hw.Partition.mark_app_valid_cancel_rollback()
                print('health check passed: {} confirmed, no rollback'.format(
                    label))
            else:
                print('health check passed')
            return
        await asyncio.sleep(1)
    if pending:
        print('health check failed for {} s: resetting; the bootloader rolls '
              'back to the previous image'.format(HEALTH_TIMEOUT))
        hw.reset()
    print('health check failed for {} s (the image is not pending, so it '
          'stays)'.format(HEALTH_TIMEOUT))


async def listen():
    """Serves HTTP until the server closes. Returns the OSError that kept
    it from starting rather than raising it: asyncio would report a task
    that fails before anyone awaits it."""
    try:
        await api.app.start_server(hw.HTTP_HOST, hw.HTTP_PORT)
    except OSError as exc:
        return exc


async def start_server():
    """The HTTP server's task, once it listens. While its port is taken it
    says so and, on a board (where the socket of the last run may still be
    closing), tries again; the emulated board stops (another program has
    the port)."""
    while True:
        api.app.server = None
        server = asyncio.create_task(listen())
        while not server.done():
            if api.app.server is not None and \
                    api.app.server.server is not None:
                return server
            await asyncio.sleep(0.01)
        error = await server
        if error.errno != errno.EADDRINUSE:
            raise error
        print('HTTP server: port {} is in use'.format(hw.HTTP_PORT))
        hw.port_in_use()
        await asyncio.sleep(PORT_RETRY)


async def main():
    firmware = ota.running_image()
    running = hw.Partition(hw.Partition.RUNNING).info()[4]
    state = hw.ota_state()
    print('firmware {} ({}) on {}, partition {}, {}'.format(
        firmware['version'], firmware['project'], hw.CHIP, running, state))
    config = load_config()
    if config is None:
        if state == 'pending-verify':
            hw.reset()  # an image that cannot run here is rolled back
        return  # nothing to serve: stay at the REPL to fix the config
    address = await join_wifi(config)
    api.setup(config.get('ota_token'), config.get('hostname') or
              'microdot-esp', firmware)
    gc.collect()
    server = await start_server()
    # test harnesses (and ESP-IDF's) wait for this line
    print('IPv4 address: ' + address)
    print('HTTP server on http://{}:{}/'.format(address, hw.HTTP_PORT))
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
        if hasattr(sys, 'print_exception'):
            sys.print_exception(exc)
        else:
            import traceback
            traceback.print_exc()
        print('fatal error: resetting')
        hw.reset()


run()
