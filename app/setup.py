"""Set-up mode: what a board with no network to join serves, on its own
access point (app/main.py starts it, with the DNS responder that sends
every name here, so that a phone opens the page by itself):

    GET  /                 the set-up page (setup.html of the web UI)
    GET  /api/setup        hostname, access point, the networks in range
    POST /api/setup        {wifi_ssid, wifi_password, hostname}: the config
                           (as the settings page sends it) is saved
                           with a new OTA token (answered once), then the
                           board restarts and joins
    anything else          302 to the set-up page (captive portal checks)

The Wi-Fi settings may also come over the USB console, from the browser
page that flashed the board (Improv, app/improv.py), in set-up mode and
after: Board is the device the Improv server asks.
"""
import api
import config
import hw
from logs import log
from microdot import Microdot, redirect

app = Microdot()
# what start() was given: the page and the API read it
place = {'essid': '', 'address': '', 'networks': [], 'hostname': '',
         'version': ''}


def start(essid, address, networks, hostname, version):
    place['essid'] = essid
    place['address'] = address
    place['networks'] = [{'ssid': ssid, 'rssi': rssi, 'secured': secured}
                         for ssid, rssi, secured in networks]
    place['hostname'] = hostname
    place['version'] = version


def settings(fields, hostname):
    """The config a set-up form asks for, and what is wrong with it."""
    if not isinstance(fields, dict):
        return None, ('send a JSON object with wifi_ssid, wifi_password '
                      'and hostname')
    wanted = {'wifi_ssid': fields.get('wifi_ssid'),
              'wifi_password': fields.get('wifi_password') or '',
              'hostname': fields.get('hostname') or hostname,
              'ota_token': config.new_token()}
    return wanted, config.check(wanted)


class Board:
    """What the Improv server asks of the board (app/improv.py)."""

    def __init__(self, version, hostname, settings, address=None):
        self.version = version
        self.name = hostname
        self.settings = settings  # the config, or None
        self.address = address  # joined: the IPv4 address

    def info(self):
        return 'microdot-esp', self.version, hw.CHIP, self.name

    def scan(self):
        return hw.scan()

    def state(self):
        return 'http://{}/'.format(self.address) if self.address else None

    async def connect(self, ssid, password):
        """Joins the network; if that works, saves it (with a new OTA token
        if there was none, shown on the console this once) and restarts."""
        wanted = dict(self.settings or {})
        wanted.update(wifi_ssid=ssid, wifi_password=password,
                      hostname=self.name)
        if config.check(wanted):
            return None
        try:
            self.address = await hw.connect_wifi(ssid, password, self.name)
        except OSError as exc:
            log('set-up: {}'.format(exc))
            return None
        if not wanted.get('ota_token'):
            wanted['ota_token'] = config.new_token()
            log('set-up: the OTA token is {} (shown once)'.format(
                wanted['ota_token']))
        config.save(hw.CONFIG_PATH, wanted)
        log('set-up: joined "{}" over the USB console; restarting'.format(
            ssid))
        api.reboot_soon()
        return self.state()


@app.after_request
@app.after_error_request
def secure(request, response):
    return api.secure(request, response)


@app.get('/api/setup')
def describe(request):
    return {'hostname': place['hostname'], 'essid': place['essid'],
            'networks': place['networks'], 'chip': hw.CHIP,
            'version': place['version']}, {'Cache-Control': 'no-store'}


@app.post('/api/setup')
def save(request):
    wanted, error = settings(request.json, place['hostname'])
    if error:
        # as the settings page's answers: config.check() names the field
        field = error.split(' ')[0] if wanted else None
        return {'error': error, 'field': field}, 400
    config.save(hw.CONFIG_PATH, wanted)
    log('set-up: config saved; restarting to join "{}" as {}.local'.format(
        wanted['wifi_ssid'], wanted['hostname']))
    api.reboot_soon()
    return {'ok': True, 'ota_token': wanted['ota_token'],
            'url': 'http://{}.local/'.format(wanted['hostname']),
            'rebooting': True}


@app.get('/')
def page(request):
    return api.asset(request, 'setup.html')


@app.get('/static/<path:name>')
def static(request, name):
    return api.asset(request, name)


@app.route('/<path:path>', methods=['GET', 'HEAD', 'POST'])
def elsewhere(request, path):
    # phones and laptops ask a known URL to find out whether they are
    # online; an answer other than theirs makes them show this page
    return redirect('http://{}/'.format(place['address']))
