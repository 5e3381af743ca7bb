"""The set-up page in Chromium (headless), on an emulated board fresh from
the factory: it lists the networks in range, names what is wrong with a
field, and once saved shows the OTA token; the board restarts, joins and
serves the web UI, which takes that token."""
import json

import pytest
from playwright.sync_api import expect

from test_ui import Device, browser, no_errors, page  # noqa: F401


@pytest.fixture
def device():
    dev = Device(provisioned=False)
    try:
        dev.expect_console(r'HTTP server on \S+ \(set-up\)')
        yield dev
    finally:
        dev.stop()


def test_set_up_page_joins_the_network_and_shows_the_token_once(page, device):
    page.goto(device.url + '/')
    expect(page.locator('#name')).to_have_text('microdot-esp')
    expect(page.locator('#network option')).to_have_count(2)
    page.select_option('#network', 'host-network')
    expect(page.locator('#ssid')).to_have_value('host-network')
    # a password too short for WPA2 is refused, by name
    page.fill('#password', 'short')
    page.click('#save')
    expect(page.locator('#error')).to_contain_text('wifi_password must be')
    page.fill('#password', '')
    page.fill('#hostname', 'Greenhouse')
    page.click('#save')
    expect(page.locator('#done')).to_be_visible()
    expect(page.locator('#url')).to_have_text('http://greenhouse.local/')
    token = page.locator('#token').inner_text()
    saved = json.loads((device.state_dir / 'config.json').read_text())
    assert (saved['wifi_ssid'], saved['hostname'], saved['ota_token']) == \
        ('host-network', 'greenhouse', token)
    # the board restarts into its network; the web UI is there
    device.expect_console(r'health check passed')
    page.goto(device.url + '/')
    expect(page.locator('#hostname')).to_have_text('greenhouse')
    assert no_errors(page) == []
