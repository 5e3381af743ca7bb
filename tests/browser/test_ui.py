"""The device's web UI in a real browser: Playwright drives Debian's Chromium,
headless, against the emulated device on loopback.

Chromium is /usr/bin/chromium (Debian's package `chromium`), or the file
named by $CHROMIUM. Playwright's own browser downloads are not used.
"""
import gzip
import hashlib
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from support import free_port  # tests/framework/support.py

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
WEB = ROOT / 'app' / 'web'
LAUNCHER = ROOT / 'tools' / 'device.py'
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
TOKEN = 'browser-test-token'
BOOT_TIMEOUT = 60  # seconds for the device to print its address
HEALTH_TIMEOUT = 10  # seconds a new image has to pass its health check
WAIT_MS = 30000  # the longest a UI change may take (a reboot included)

expect.set_options(timeout=WAIT_MS)


# --- test images -------------------------------------------------------------

def c_string(text, size):
    data = text.encode()
    assert len(data) < size, text + ' does not fit in %d bytes' % size
    return data + bytes(size - len(data))


def app_image(version, chip_id=5, project='browser-test', payload=64 * 1024):
    """An ESP32 app image (ESP32-C3 by default) as ESP-IDF's bootloader reads
    it: image header, extended header, a DROM segment that starts with the
    esp_app_desc_t, an IROM segment, the XOR checksum and the appended
    SHA-256."""
    descriptor = (struct.pack('<IIII', 0xABCD5432, 0, 0, 0) +
                  c_string(version, 32) + c_string(project, 32) +
                  c_string('12:00:00', 16) + c_string('Jan  1 2026', 16) +
                  c_string('v5.5.1', 32) + bytes(32) + bytes(80))
    assert len(descriptor) == 256
    # made-up code bytes, different for each version like real firmware
    filler = hashlib.sha256(version.encode()).digest() * (payload // 32)
    segments = [(0x3C000020, descriptor + filler[:payload // 2]),
                (0x42000020, filler[payload // 2:])]
    image = bytearray(struct.pack('<BBBBI', 0xE9, len(segments), 2, 0x20,
                                  0x42000020))
    # extended header: wp pin, drive settings, chip id, revisions, hash flag
    image += struct.pack('<B3sHBHH4sB', 0xEE, bytes(3), chip_id, 0, 0, 0xFFFF,
                         bytes(4), 1)
    checksum = 0xEF
    for address, data in segments:
        assert len(data) % 4 == 0
        image += struct.pack('<II', address, len(data)) + data
        for byte in data:
            checksum ^= byte
    image += bytes(15 - len(image) % 16) + bytes([checksum])
    image += hashlib.sha256(image).digest()
    return bytes(image)


def test_app_image_reads_back_with_esptool(tmp_path):
    """The images above, checked by an independent reader."""
    from esptool.bin_image import LoadFirmwareImage
    path = tmp_path / 'app.bin'
    path.write_bytes(app_image('9.8.7'))
    loaded = LoadFirmwareImage('esp32c3', str(path))
    assert loaded.chip_id == 5
    assert loaded.checksum == loaded.calculate_checksum()
    assert loaded.append_digest and loaded.stored_digest == loaded.calc_digest
    descriptor = loaded.segments[0].data
    assert struct.unpack_from('<I', descriptor)[0] == 0xABCD5432
    assert descriptor[16:21] == b'9.8.7'


# --- the device --------------------------------------------------------------

class Device:
    """The emulated device started by its launcher (tools/device.py, which
    starts it again after each reset), its console read like a serial port:
    every line is kept in `console`."""

    def __init__(self, provisioned=True):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.state_dir = pathlib.Path(tempfile.mkdtemp(prefix='ui-device-'))
        self.console = []
        env = dict(os.environ, HTTP_PORT=str(self.port),
                   STATE_DIR=str(self.state_dir), OTA_TOKEN=TOKEN,
                   HEALTH_TIMEOUT=str(HEALTH_TIMEOUT), DNS_PORT='0')
        if not provisioned:
            # fresh from the factory: set-up mode, and its own new token
            del env['OTA_TOKEN']
            env['PROVISIONED'] = '0'
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER)], env=env, cwd=str(ROOT),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self.read_console, daemon=True)
        self.reader.start()

    def read_console(self):
        for line in self.process.stdout:
            self.console.append(line.rstrip('\n'))

    def expect_console(self, pattern, start=0, timeout=BOOT_TIMEOUT):
        """Waits for a console line matching `pattern` after line `start`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.console[start:]:
                if re.search(pattern, line):
                    return line
            if self.process.poll() is not None:
                break  # the launcher has stopped: no more lines come
            time.sleep(0.05)
        raise AssertionError('no console line matching %r; console:\n%s' % (
            pattern, '\n'.join(self.console[-40:])))

    def status(self):
        with urllib.request.urlopen(self.url + '/api/status', timeout=5) as r:
            return json.load(r)

    def post(self, path, body, token):
        request = urllib.request.Request(
            self.url + path, data=body, method='POST', headers={
                'Content-Type': 'application/octet-stream',
                'Authorization': 'Bearer ' + token})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def stop(self):
        self.process.terminate()  # the launcher stops the device with it
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(5)
        shutil.rmtree(str(self.state_dir), ignore_errors=True)


@pytest.fixture(scope='module')
def device():
    assert LAUNCHER.exists(), 'the device launcher %s is missing' % LAUNCHER
    dev = Device()
    try:
        dev.expect_console(r'IPv4 address: \S+')
        yield dev
    finally:
        dev.stop()


# --- the browser -------------------------------------------------------------

@pytest.fixture(scope='module')
def browser():
    assert os.path.exists(CHROMIUM), (
        CHROMIUM + ' is missing: install Debian\'s Chromium '
        '(apt-get install -y chromium) or set CHROMIUM to its path')
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=['--no-sandbox'])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, device):
    context = browser.new_context(viewport={'width': 390, 'height': 844})
    tab = context.new_page()
    tab.errors = []
    tab.on('pageerror', lambda error: tab.errors.append(str(error)))
    tab.on('console', lambda message: message.type == 'error' and
           tab.errors.append(message.text))
    tab.requests = []  # the URLs asked for, in order
    tab.network = []  # requests, answers and failures, for failure messages
    tab.on('request', lambda request: (
        tab.requests.append(request.url),
        tab.network.append(request.method + ' ' + request.url)))
    tab.on('response', lambda response: tab.network.append(
        '%d %s' % (response.status, response.url)))
    tab.on('requestfailed', lambda request: tab.network.append(
        'failed %s %s' % (request.url, request.failure)))
    console_mark = len(device.console)
    yield tab
    context.close()
    # shown by pytest when the test failed: what the device and page said
    print('device console:\n' + '\n'.join(device.console[console_mark:]))
    print('page network:\n' + '\n'.join(tab.network))


def no_errors(tab):
    # a request refused while the device restarts is logged by Chromium as
    # a console error; scripts errors are what this looks for
    return [error for error in tab.errors
            if 'Failed to load resource' not in error and
            'net::ERR_' not in error]


def record_texts(page, element_id):
    """From now on, keeps every text the element shows as it changes;
    texts_seen() gives them."""
    page.evaluate("""(id) => {
        window.textsSeen = window.textsSeen || {};
        const seen = window.textsSeen[id] = [];
        const element = document.getElementById(id);
        new MutationObserver(() => seen.push(element.textContent))
          .observe(element, {childList: true, characterData: true,
                             subtree: true});
    }""", element_id)


def texts_seen(page, element_id):
    return page.evaluate('(id) => window.textsSeen[id]', element_id)


def open_ui(page, device):
    page.goto(device.url + '/')
    expect(page.locator('#conn')).to_have_text('Live')


# --- tests -------------------------------------------------------------------

def test_assets_fit_the_size_budget():
    total = 0
    for name in ('index.html', 'app.css', 'app.js'):
        total += len(gzip.compress((WEB / name).read_bytes(), 9))
    assert total < 20 * 1024, 'the UI is %d bytes gzipped' % total


def test_ui_loads_and_shows_the_status(page, device):
    status = device.status()
    open_ui(page, device)
    expect(page.locator('#version')).to_have_text(status['version'])
    expect(page.locator('#framework')).to_have_text(
        'microdot-esp ' + status['framework'])
    expect(page.locator('#partition')).to_have_text(status['partition'])
    expect(page.locator('#ota-state')).to_have_text(status['ota_state'])
    expect(page.locator('#chip')).to_have_text(status['chip'])
    expect(page.locator('#hostname')).to_have_text(status['hostname'])
    expect(page.locator('h1')).to_have_text(status['hostname'])
    expect(page).to_have_title(re.compile(re.escape(status['hostname'])))
    expect(page.locator('#uptime')).to_have_text(
        re.compile(r'^(\d+ d )?(\d+ h )?(\d+ min )?(\d+ s)?$'))
    expect(page.locator('#heap')).to_have_text(re.compile(r'^\d+\.\d KiB$'))
    if status['wifi_rssi'] is None:
        expect(page.locator('#rssi')).to_have_text('not connected')
    else:
        expect(page.locator('#rssi')).to_have_text(
            re.compile(r'^%d dBm \(\w+\)$' % status['wifi_rssi']))
    # the style sheet was loaded and applies (a card background)
    assert page.locator('section').first.evaluate(
        'element => getComputedStyle(element).borderRadius') != '0px'
    assert no_errors(page) == []


def test_status_values_arrive_over_sse(page, device):
    open_ui(page, device)
    uptime = page.locator('#uptime')
    expect(uptime).not_to_have_text('–')
    first = uptime.inner_text()
    expect(uptime).not_to_have_text(first)
    # the change came from the event stream: no polling happened
    status_requests = [url for url in page.requests if '/api/status' in url]
    event_requests = [url for url in page.requests if '/api/events' in url]
    network = '\n'.join(page.network)
    assert len(status_requests) == 1, network  # the first paint only
    assert len(event_requests) == 1, network
    assert no_errors(page) == []


def record_connection_states(page):
    """Keeps every state the connection indicator goes through, however
    briefly, in window.connectionStates."""
    page.evaluate("""() => {
        window.connectionStates = [];
        const indicator = document.getElementById('conn');
        new MutationObserver(() => window.connectionStates.push(
            indicator.dataset.state)).observe(indicator, {attributes: true});
    }""")


def test_connection_loss_is_shown_and_recovers(page, device):
    open_ui(page, device)
    record_connection_states(page)
    console_mark = len(device.console)
    # the device goes away (a reboot asked for by someone else) and comes back
    assert device.post('/api/reboot', b'', TOKEN) == (200, {'rebooting': True})
    device.expect_console(r'IPv4 address: \S+', console_mark)
    expect(page.locator('#conn')).to_have_text('Live')
    states = page.evaluate('window.connectionStates')
    assert 'lost' in states, states
    assert states[-1] == 'live', states
    assert no_errors(page) == []


def test_polling_takes_over_without_the_event_stream(page, device):
    # a proxy or an old browser that cannot keep the stream open
    page.route('**/api/events', lambda route: route.abort())
    page.goto(device.url + '/')
    expect(page.locator('#conn')).to_have_text('Connected (polling)')
    uptime = page.locator('#uptime')
    expect(uptime).not_to_have_text('–')
    expect(uptime).not_to_have_text(uptime.inner_text())
    assert len([url for url in page.requests if '/api/status' in url]) > 1
    assert no_errors(page) == []


def choose_image(page, image, name='firmware.bin'):
    page.locator('#image').set_input_files({
        'name': name, 'mimeType': 'application/octet-stream',
        'buffer': image})


def test_wrong_token_shows_the_error(page, device):
    before = device.status()
    image = app_image('7.7.7-wrong-token')
    # the reason the device gives, as the UI must show it
    code, answer = device.post('/api/ota', image, 'not-the-token')
    assert code == 401 and answer['error']
    # a token remembered from earlier, no longer the device's
    page.goto(device.url + '/')
    page.evaluate("localStorage.setItem('ota-token', 'not-the-token')")
    open_ui(page, device)
    expect(page.get_by_label('OTA token')).to_have_value('not-the-token')
    choose_image(page, image)
    page.get_by_role('button', name='Upload and install').click()
    result = page.locator('#result')
    expect(result).to_have_text(
        'Update refused: %s (HTTP 401)' % answer['error'])
    expect(result).to_have_class(re.compile(r'\berr\b'))
    upload = page.get_by_role('button', name='Upload and install')
    expect(upload).to_be_enabled()
    # the refused token is forgotten
    assert page.evaluate("localStorage.getItem('ota-token')") is None
    after = device.status()
    assert (after['version'], after['partition']) == \
        (before['version'], before['partition'])
    assert no_errors(page) == []


def test_an_image_for_another_chip_is_refused(page, device):
    before = device.status()
    image = app_image('7.7.7-s3', chip_id=9)
    code, answer = device.post('/api/ota', image, TOKEN)
    assert code == 400 and answer['error']
    open_ui(page, device)
    page.get_by_label('OTA token').fill(TOKEN)
    choose_image(page, image)
    # told before the upload, from the image's header
    expect(page.locator('#image-info')).to_have_text(
        'browser-test 7.7.7-s3 for ESP32-S3, %s: this device is ESP32-C3, '
        'it will refuse the image.' % kib(len(image)))
    page.get_by_role('button', name='Upload and install').click()
    expect(page.locator('#result')).to_have_text(
        'Update refused: %s (HTTP 400)' % answer['error'])
    after = device.status()
    assert (after['version'], after['partition']) == \
        (before['version'], before['partition'])
    assert no_errors(page) == []


def kib(count):
    """A size as the UI writes it."""
    return '%.1f KiB' % (count / 1024)


def test_upload_shows_progress_and_the_new_version(page, device):
    before = device.status()
    # a version that differs from the running one, whatever that is
    version = 'ui-' + hashlib.sha256(
        before['version'].encode()).hexdigest()[:8]
    image = app_image(version, payload=256 * 1024)
    size = kib(len(image))
    open_ui(page, device)
    record_texts(page, 'progress-text')
    # a slow link, so that the upload takes several progress events
    session = page.context.new_cdp_session(page)
    session.send('Network.enable')
    session.send('Network.emulateNetworkConditions', {
        'offline': False, 'latency': 0, 'downloadThroughput': -1,
        'uploadThroughput': 128 * 1024})
    page.get_by_label('OTA token').fill(TOKEN)
    choose_image(page, image)
    expect(page.locator('#image-info')).to_have_text(
        'browser-test %s for ESP32-C3, %s' % (version, size))
    console_mark = len(device.console)
    with page.expect_request('**/api/ota') as upload:
        page.get_by_role('button', name='Upload and install').click()
    # the raw image, the token, and the hash (http://127.0.0.1 is a secure
    # context, so crypto.subtle is there)
    headers = upload.value.headers
    assert upload.value.method == 'POST'
    assert headers['content-type'] == 'application/octet-stream'
    assert headers['authorization'] == 'Bearer ' + TOKEN
    assert headers['x-ota-sha256'] == hashlib.sha256(image).hexdigest()
    expect(page.locator('#progress-text')).to_have_text(
        '100 %% · %s of %s' % (size, size))
    expect(page.locator('#progress')).to_have_js_property('value', 100)
    seen = texts_seen(page, 'progress-text')
    between = [text for text in seen if not text.startswith(('0 %', '100 %'))]
    assert between, seen  # progress moved in steps, not straight to the end
    session.send('Network.emulateNetworkConditions', {
        'offline': False, 'latency': 0, 'downloadThroughput': -1,
        'uploadThroughput': -1})
    result = page.locator('#result')
    # the device restarted (a new boot on its console) on the new version
    expect(result).to_have_text(
        'Update complete: version %s runs from %s (valid).' % (
            version, before['next_partition']))
    expect(result).to_have_class(re.compile(r'\bok\b'))
    device.expect_console(r'IPv4 address: \S+', console_mark)
    expect(page.locator('#version')).to_have_text(version)
    expect(page.locator('#partition')).to_have_text(before['next_partition'])
    expect(page.locator('#ota-state')).to_have_text('valid')
    expect(page.locator('#conn')).to_have_text('Live')
    assert page.evaluate("localStorage.getItem('ota-token')") == TOKEN
    after = device.status()
    assert after['version'] == version
    assert after['partition'] == before['next_partition']
    assert no_errors(page) == []


def test_reboot_button(page, device):
    before = device.status()
    open_ui(page, device)
    page.get_by_label('OTA token').fill(TOKEN)
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()
    page.on('dialog', answer)
    console_mark = len(device.console)
    page.get_by_role('button', name='Reboot…').click()
    expect(page.locator('#reboot-result')).to_have_text(
        'The device is back, running %s from %s.' % (before['version'],
                                                      before['partition']))
    assert len(questions) == 1 and questions[0].startswith('Reboot ')
    device.expect_console(r'IPv4 address: \S+', console_mark)
    expect(page.locator('#conn')).to_have_text('Live')
    assert no_errors(page) == []


def test_a_restart_with_no_time_offline_is_seen(page, device):
    """A restart quicker than the poll: the device never stops answering,
    and its uptime is past the one the page saw before. Only the boot_id
    tells; here the reboot and the new boot are played by the page's
    network, the device itself runs on."""
    reboots = []

    def status(route):
        answer = json.loads(route.fetch().text())
        answer['uptime_s'] += 1000 * len(reboots)  # never goes back
        if reboots:
            answer['boot_id'] = 'after'
        route.fulfill(json=answer)
    page.route('**/api/events', lambda route: route.abort())  # polling
    page.route('**/api/status', status)
    page.route('**/api/reboot', lambda route: (
        reboots.append(route.request),
        route.fulfill(json={'rebooting': True})))
    before = device.status()
    page.goto(device.url + '/')
    expect(page.locator('#conn')).to_have_text('Connected (polling)')
    page.get_by_label('OTA token').fill(TOKEN)
    page.once('dialog', lambda dialog: dialog.accept())
    page.get_by_role('button', name='Reboot…').click()
    expect(page.locator('#reboot-result')).to_have_text(
        'The device is back, running %s from %s.' % (before['version'],
                                                      before['partition']))
    assert len(reboots) == 1
    assert no_errors(page) == []


def test_a_failed_health_check_is_reported_as_a_rollback(page, device):
    before = device.status()
    assert before['ota_state'] != 'pending-verify', before
    version = 'ui-bad-' + before['version'][-8:]
    # the host backend's switch: the next boot's health check fails
    (device.state_dir / 'fail-next-health-check').write_bytes(b'')
    open_ui(page, device)
    page.get_by_label('OTA token').fill(TOKEN)
    choose_image(page, app_image(version))
    console_mark = len(device.console)
    page.get_by_role('button', name='Upload and install').click()
    # on trial first (unless that boot came and went between two polls),
    # then the device resets and the bootloader goes back to the old image
    result = page.locator('#result')
    expect(result).to_have_text(re.compile(
        r'Rolled back: the device runs %s again|The device restarted on '
        r'version %s, not %s: the update was rolled back' % (
            re.escape(before['version']), re.escape(before['version']),
            re.escape(version))), timeout=WAIT_MS + HEALTH_TIMEOUT * 1000)
    expect(result).to_have_class(re.compile(r'\berr\b'))
    device.expect_console('rolling back', console_mark)
    expect(page.locator('#version')).to_have_text(before['version'])
    expect(page.locator('#partition')).to_have_text(before['partition'])
    assert device.status()['version'] == before['version']
    assert no_errors(page) == []
