"""The web UI's Settings and Logs in Chromium (headless), against the
emulated device, with test_ui.py's browser, page and device launcher. Each
test has a device of its own: they change its hostname, Wi-Fi and token,
or erase its config."""
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from test_ui import (TOKEN, WAIT_MS, Device, browser, no_errors,  # noqa: F401
                     open_ui, page, record_texts, texts_seen)


@pytest.fixture
def device():
    dev = Device()
    try:
        dev.expect_console(r'IPv4 address: \S+')
        yield dev
    finally:
        dev.stop()


def call(device, method, path, token, body=None):
    """(status, JSON answer) of an API request with `token`."""
    request = urllib.request.Request(
        device.url + path, method=method, headers={
            'Authorization': 'Bearer ' + token,
            'Content-Type': 'application/json'},
        data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def dismissed(page, button):
    """Clicks `button` and says no to the question it asks; the questions
    asked."""
    questions = []
    page.once('dialog', lambda dialog: (questions.append(dialog.message),
                                        dialog.dismiss()))
    page.get_by_role('button', name=button).click()
    return questions


def saved_config(device):
    return json.loads((device.state_dir / 'config.json').read_text())


def enter_token(page, token):
    field = page.get_by_label('OTA token')
    field.fill(token)
    field.blur()  # "change": the settings are read with it


def open_view(page, name):
    """Opens the Settings or the Logs view (a <details>) by its heading."""
    page.locator('summary', has_text=name).click()


def asked(page):
    """The settings and logs requests the page made ('METHOD url')."""
    return [request for request in page.network
            if re.match(r'(GET|POST) \S+/api/(settings|factory|logs)',
                        request)]


def test_settings_and_logs_wait_for_the_token(page, device):
    open_ui(page, device)
    expect(page.get_by_label('Hostname')).to_be_hidden()  # a closed view
    open_view(page, 'Settings')
    expect(page.locator('#settings-result')).to_have_text(
        'Enter the OTA token above to see and change the settings.')
    expect(page.get_by_label('Hostname')).to_be_disabled()
    save = page.get_by_role('button', name='Save and restart')
    expect(save).to_be_disabled()
    dialogs = []
    page.on('dialog', lambda dialog: (dialogs.append(dialog.message),
                                      dialog.dismiss()))
    for button, result in (('New OTA token…', '#token-result'),
                           ('Factory reset…', '#reboot-result')):
        page.get_by_role('button', name=button).click()
        expect(page.locator(result)).to_have_text(
            'Enter the OTA token above first.')
    open_view(page, 'Logs')
    expect(page.locator('#logs-state')).to_have_text(
        'Enter the OTA token above first.')
    assert dialogs == [] and asked(page) == []
    # a wrong token: the device's reason, in both views
    code, answer = call(device, 'GET', '/api/settings', 'not-the-token')
    assert code == 401
    enter_token(page, 'not-the-token')
    expect(page.locator('#settings-result')).to_have_text(
        'Could not read the settings: %s (HTTP 401)' % answer['error'])
    expect(page.locator('#logs-state')).to_have_text(
        'Logs refused: %s (HTTP 401)' % answer['error'])
    expect(page.get_by_label('Hostname')).to_be_disabled()
    assert no_errors(page) == []


def test_field_errors_are_shown_beside_the_fields(page, device):
    open_ui(page, device)
    enter_token(page, TOKEN)
    assert asked(page) == []  # nothing is read for a closed view
    open_view(page, 'Settings')
    hostname = page.get_by_label('Hostname')
    ssid = page.get_by_label('Wi-Fi network (SSID)')
    expect(hostname).to_have_value('microdot-esp')
    expect(ssid).to_have_value('host-network')
    save = page.get_by_role('button', name='Save and restart')
    save.click()
    expect(page.locator('#settings-result')).to_have_text(
        'Nothing to save: no setting was changed.')
    for field, value, name, was in (
            (hostname, '-garden', 'hostname', 'microdot-esp'),
            (ssid, 'x' * 33, 'wifi_ssid', 'host-network')):
        code, answer = call(device, 'POST', '/api/settings', TOKEN,
                            {name: value})
        assert code == 400 and answer['field'] == name
        field.fill(value)
        save.click()
        expect(page.locator('#f-%s-err' % name)).to_have_text(
            answer['error'])
        expect(field).to_have_attribute('aria-invalid', 'true')
        expect(field).to_be_focused()
        expect(page.locator('#settings-result')).to_have_text(
            'Not saved: see the field marked.')
        field.fill(was)
    # the hostname's error went when the next answer came
    expect(page.locator('#f-hostname-err')).to_be_hidden()
    expect(hostname).not_to_have_attribute('aria-invalid', 'true')
    assert 'restarting' not in '\n'.join(device.console)
    assert no_errors(page) == []


def test_a_hostname_change_restarts_the_device(page, device):
    open_ui(page, device)
    open_view(page, 'Settings')
    enter_token(page, TOKEN)
    hostname = page.get_by_label('Hostname')
    expect(hostname).to_have_value('microdot-esp')
    hostname.fill('Garden')
    console_mark = len(device.console)
    with page.expect_request('**/api/settings') as sent:
        page.get_by_role('button', name='Save and restart').click()
    assert sent.value.method == 'POST'
    assert sent.value.post_data_json == {'hostname': 'Garden'}  # nothing else
    expect(page.locator('#settings-result')).to_have_text(
        'Saved. The device is back as garden (garden.local).')
    device.expect_console('settings: hostname saved; restarting',
                          console_mark)
    device.expect_console(r'IPv4 address: \S+', console_mark)
    expect(page.locator('h1')).to_have_text('garden')
    expect(hostname).to_have_value('garden')
    assert saved_config(device)['hostname'] == 'garden'
    assert no_errors(page) == []


def test_a_new_network_is_sent_with_its_password(page, device):
    (device.state_dir / 'networks.json').write_text(json.dumps([
        {'ssid': 'host-network', 'password': '', 'rssi': -52},
        {'ssid': 'Garden Wi-Fi', 'password': 'correct horse', 'rssi': -60}]))
    open_ui(page, device)
    open_view(page, 'Settings')
    enter_token(page, TOKEN)
    ssid = page.get_by_label('Wi-Fi network (SSID)')
    expect(ssid).to_have_value('host-network')
    ssid.fill('Garden Wi-Fi')
    page.get_by_label('Wi-Fi password').fill('correct horse')
    with page.expect_request('**/api/settings') as sent:
        page.get_by_role('button', name='Save and restart').click()
    assert sent.value.post_data_json == {'wifi_ssid': 'Garden Wi-Fi',
                                         'wifi_password': 'correct horse'}
    expect(page.locator('#settings-result')).to_have_text(
        'Saved. The device is back as microdot-esp (microdot-esp.local).')
    expect(ssid).to_have_value('Garden Wi-Fi')
    expect(page.get_by_label('Wi-Fi password')).to_have_value('')
    config = saved_config(device)
    assert (config['wifi_ssid'], config['wifi_password']) == (
        'Garden Wi-Fi', 'correct horse')
    assert device.status()['wifi_rssi'] == -60  # joined
    assert no_errors(page) == []


def test_a_new_token_is_shown_once(page, device):
    page.context.grant_permissions(['clipboard-read', 'clipboard-write'],
                                   origin=device.url)
    open_ui(page, device)
    open_view(page, 'Settings')
    enter_token(page, TOKEN)
    expect(page.get_by_label('Hostname')).to_be_enabled()
    questions = dismissed(page, 'New OTA token…')
    expect(page.locator('#new-token-box')).to_be_hidden()
    assert len(questions) == 1 and 'stops working at once' in questions[0]
    assert not [request for request in asked(page) if 'token' in request]
    page.once('dialog', lambda dialog: dialog.accept())
    page.get_by_role('button', name='New OTA token…').click()
    expect(page.locator('#token-result')).to_have_text(
        'The device has a new OTA token; the old one no longer works.')
    new = page.get_by_label('The new token').input_value()
    assert re.fullmatch(r'[0-9a-f]{24}', new), new
    # the page goes on with it; the device takes it, and not the old one
    expect(page.get_by_label('OTA token', exact=True)).to_have_value(new)
    assert page.evaluate("localStorage.getItem('ota-token')") == new
    assert call(device, 'GET', '/api/settings', TOKEN)[0] == 401
    assert call(device, 'GET', '/api/settings', new)[0] == 200
    assert saved_config(device)['ota_token'] == new
    page.get_by_role('button', name='Copy').click()
    expect(page.locator('#copy-hint')).to_have_text(
        'Copied. Keep it where your tools can use it.')
    assert page.evaluate('navigator.clipboard.readText()') == new
    # shown once: not after the page is opened again
    open_ui(page, device)
    expect(page.locator('#new-token-box')).to_be_hidden()
    assert new not in page.content()
    assert no_errors(page) == []


def test_factory_reset_asks_first_then_erases(page, device):
    before = saved_config(device)
    open_ui(page, device)
    open_view(page, 'Settings')
    enter_token(page, TOKEN)
    expect(page.get_by_label('Hostname')).to_be_enabled()
    questions = dismissed(page, 'Factory reset…')
    expect(page.locator('#reboot-result')).to_be_hidden()
    assert len(questions) == 1
    assert 'restarts in set-up mode' in questions[0]
    assert 'new OTA token will be made' in questions[0]
    assert not [request for request in asked(page) if 'factory' in request]
    assert saved_config(device) == before
    console_mark = len(device.console)
    page.once('dialog', lambda dialog: dialog.accept())
    page.get_by_role('button', name='Factory reset…').click()
    expect(page.locator('#reboot-result')).to_have_text(
        'Settings erased. microdot-esp restarts in set-up mode: join its '
        'Wi-Fi access point, microdot-esp-…, to set it up again.')
    device.expect_console('factory reset: config erased', console_mark)
    device.expect_console(r'^firmware \S+', console_mark)
    # the token went with the config
    expect(page.get_by_label('OTA token', exact=True)).to_have_value('')
    assert page.evaluate("localStorage.getItem('ota-token')") is None
    expect(page.get_by_label('Hostname')).to_be_disabled()
    after = device.state_dir / 'config.json'
    assert not after.exists() or \
        saved_config(device)['ota_token'] != before['ota_token']
    assert no_errors(page) == []


ROTATED = 'settings: new OTA token saved; the old one no longer works'


def wait_for_lines(page, text, count):
    """Until the page's log holds `text` `count` times; how many it holds."""
    page.wait_for_function(
        '([text, count]) => document.getElementById("log").textContent'
        '.split(text).length > count', arg=[text, count], timeout=WAIT_MS)
    return page.locator('#log').text_content().count(text)


def test_logs_show_what_is_kept_then_live_lines(page, device):
    # a line in the buffer before the page asks for it
    code, answer = call(device, 'POST', '/api/settings/token', TOKEN)
    assert code == 200
    token = answer['ota_token']
    open_ui(page, device)
    enter_token(page, token)
    record_texts(page, 'logs-state')
    open_view(page, 'Logs')
    log = page.locator('#log')
    expect(page.locator('#logs-state')).to_have_text('Live')
    expect(log).to_contain_text(ROTATED)
    # a live line
    code, answer = call(device, 'POST', '/api/settings/token', token)
    assert code == 200
    assert wait_for_lines(page, ROTATED, 2) == 2
    # the device restarts (the emulation's token is $OTA_TOKEN again): the
    # page reconnects and goes on with the new boot's lines
    enter_token(page, TOKEN)
    console_mark = len(device.console)
    assert call(device, 'POST', '/api/reboot', answer['ota_token']) == (
        200, {'rebooting': True})
    device.expect_console(r'IPv4 address: \S+', console_mark)
    expect(page.locator('#logs-state')).to_have_text('Live')
    assert 'Connection lost, reconnecting…' in texts_seen(page,
                                                          'logs-state')
    code, answer = call(device, 'POST', '/api/settings/token', TOKEN)
    assert code == 200
    assert wait_for_lines(page, ROTATED, 3) == 3  # none twice
    # closed, the view streams no more; opened again, it asks for what
    # came after the last line it has
    open_view(page, 'Logs')
    expect(log).to_be_hidden()
    code, answer = call(device, 'POST', '/api/settings/token',
                        answer['ota_token'])
    assert code == 200
    enter_token(page, answer['ota_token'])
    with page.expect_request('**/api/logs/stream') as reopened:
        open_view(page, 'Logs')
    assert re.fullmatch(r'[0-9a-f]{8}:\d+',
                        reopened.value.headers['last-event-id'])
    assert wait_for_lines(page, ROTATED, 4) == 4
    assert no_errors(page) == []


def test_the_log_in_the_page_stays_bounded(page, device):
    count = 3000
    events = ''.join('event: log\nid: b:%d\ndata: line %d %s\ndata: \n\n'
                     % (number, number, 'x' * 40)
                     for number in range(count))
    streams = []

    def serve(route):
        streams.append(route.request.headers.get('last-event-id'))
        if len(streams) == 1:
            route.fulfill(status=200, body=events, headers={
                'Content-Type': 'text/event-stream'})
        else:
            route.abort()  # the device is away: the page keeps trying
    page.route('**/api/logs/stream', serve)
    open_ui(page, device)
    enter_token(page, TOKEN)
    open_view(page, 'Logs')
    log = page.locator('#log')
    expect(log).to_contain_text('line %d ' % (count - 1))
    text = log.text_content()
    assert len(text) <= page.evaluate('LOG_LIMIT')
    assert text.startswith('line ') and text.endswith('x\n')
    assert 'line 0 ' not in text  # the oldest went
    assert text.count('line ') == len(text.splitlines())  # whole lines
    # it follows the end
    assert log.evaluate('box => box.scrollHeight - box.scrollTop - '
                        'box.clientHeight') < 2
    # it comes back for what follows the last event it had
    deadline = time.monotonic() + WAIT_MS / 1000
    while len(streams) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert streams[:2] == ['none', 'b:%d' % (count - 1)]
    expect(page.locator('#logs-state')).to_have_text(
        'Connection lost, reconnecting…')
    assert no_errors(page) == []
