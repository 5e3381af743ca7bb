"""The device's HTTP API and web UI (the README's "Device API" section):

    GET  /                 the web UI (index.html)
    GET  /static/<file>    its other files, gzipped, with ETag and 304
    GET  /api/status       firmware, partition, OTA state, chip, uptime, ...
    GET  /api/events       the same status as a server-sent event every 2 s
    POST /api/ota          a raw app image; Bearer token; X-OTA-SHA256
    POST /api/reboot       Bearer token

and, with the same token, the settings and logs:

    GET  /api/settings        {"wifi_ssid", "hostname"}: never a secret
    POST /api/settings        JSON of any of wifi_ssid, wifi_password,
                              hostname: checked, saved, then a restart;
                              400 {"error", "field"} names what to fix
    POST /api/settings/token  {"ota_token": a new one}; the old one stops
                              working at once
    POST /api/factory-reset   the config erased, then a restart (into
                              set-up mode)
    GET  /api/logs            text/plain: the lines app/logs.py keeps
    GET  /api/logs/stream     the same as events, then each new line, as
                              `tail -f` does; after a reconnection
                              (Last-Event-ID of this boot) only the lines
                              the client has not had
"""
import asyncio
import io
import json
import os

from microdot import Microdot, Request, Response, send_file, __version__
from microdot.auth import TokenAuth, compare_digest
from microdot.files import etag_matches
from microdot.sse import with_sse

import config
from config import exists
import hw
import logs
import ota

try:
    # The firmware freezes the web UI, gzipped, into this module (name ->
    # (bytes, ETag), made by firmware/webassets_gen.py): served from flash.
    import webassets
except ImportError:  # the host emulation serves the files in hw.WEB_DIR
    webassets = None

STATUS_INTERVAL = 2  # seconds between two status events
REBOOT_DELAY = 1  # seconds, so that the response gets out first
# On every answer: browsers take each type as sent, and no other site may
# show the device's pages in a frame (where a click could be stolen).
SECURITY_HEADERS = {'X-Content-Type-Options': 'nosniff',
                    'Content-Security-Policy': "frame-ancestors 'none'"}

# An image is far larger than the framework's 16 KB default. The limit is
# for the whole server, so the OTA route checks the slot size itself and
# answers 413 in JSON; other routes leave large bodies unread.
Request.max_content_length = 16 * 1024 * 1024
# Limits that fit the heap (README, "Limits and hardening"). A C3 has about
# 150 KB free while it serves (154,688 B in QEMU after a collection; the
# emulated board 151 to 165 KB). Each of the 8
# connections may hold at once a request head (4 x max_readline), a body
# read before its handler runs (max_body_length) and a socket read (1 KB),
# and the one head being parsed takes about three times its size again:
# 8 x (4 + 1 + 1) KB + 12 KB = 60 KB, under half of what is free, which
# leaves the rest for responses, event streams, an update, and a heap that
# fragments. No route here takes a body in memory (an image is streamed).
Request.max_readline = 1024
Request.max_body_length = 1024

app = Microdot()
auth = TokenAuth()
started = hw.ticks_ms()
device = {'token': None, 'hostname': 'microdot-esp',
          'version': 'unknown', 'project': 'unknown'}
# The settings a client may change here (the OTA token has its own route).
SETTINGS = 'wifi_ssid, wifi_password, hostname'
# Tells this boot from the one before: in the status, for a client waiting
# for a restart (a fast one leaves no moment offline and can outrun the
# uptime it saw), and in the log events, so that a client that comes back
# after a restart gets the new boot's lines from their start.
BOOT_ID = ''.join('%02x' % byte for byte in os.urandom(4))
NO_STORE = {'Cache-Control': 'no-store'}


def setup(token, hostname, firmware):
    """Called once at boot with the config and the running image's
    descriptor (it does not change until the next boot)."""
    device['token'] = token
    device['hostname'] = hostname
    device['version'] = firmware['version']
    device['project'] = firmware['project']


def status():
    running = hw.Partition(hw.Partition.RUNNING)
    return {
        'version': device['version'],
        'project': device['project'],
        'framework': __version__,
        'partition': running.info()[4],
        'ota_state': hw.ota_state(),
        'chip': hw.CHIP,
        'uptime_s': hw.ticks_diff(hw.ticks_ms(), started) // 1000,
        'free_heap': hw.free_heap(),
        'wifi_rssi': hw.wifi_rssi(),
        'hostname': device['hostname'],
        'next_partition': running.get_next_update().info()[4],
        'boot_id': BOOT_ID,
    }


def error(status_code, reason, headers=None):
    return {'error': reason}, status_code, headers or {}


@auth.authenticate
def check_token(request, token):
    if device['token'] and compare_digest(token, device['token']):
        return 'ota'
    return None


@auth.errorhandler
def refused(request):
    if not device['token']:
        reason = 'no OTA token is set on the device (ota_token in its ' \
            'config file)'
    elif 'Authorization' in request.headers:
        reason = 'wrong OTA token'
    else:
        reason = 'missing OTA token: send "Authorization: Bearer <token>"'
    return error(401, reason, {'WWW-Authenticate': 'Bearer'})


def reboot_soon():
    async def later():
        await asyncio.sleep(REBOOT_DELAY)
        hw.reset()
    asyncio.create_task(later())


@app.after_request
@app.after_error_request
def secure(request, response):
    response.headers.update(SECURITY_HEADERS)
    return response


@app.get('/api/status')
def get_status(request):
    return status(), {'Cache-Control': 'no-store'}


@app.get('/api/events')
@with_sse
async def events(request, sse):
    while True:
        await sse.send(status(), event='status')
        await asyncio.sleep(STATUS_INTERVAL)


@app.post('/api/ota')
@auth
async def upload(request):
    content_type = (request.content_type or '').lower()
    if content_type.startswith('multipart/'):
        return error(400, 'send the image as the raw request body '
                     '(application/octet-stream), not as a form upload; '
                     'e.g. curl --data-binary @micropython.bin')
    length = request.headers.get('Content-Length')
    try:
        desc = await ota.update(request.stream,
                                None if length is None else int(length),
                                request.headers.get('X-OTA-SHA256'))
    except ota.UpdateError as exc:
        print('OTA: refused, {} {}'.format(exc.status, exc.reason))
        return error(exc.status, exc.reason)
    print('OTA: image {} written, verified and set to boot; rebooting'.format(
        desc['version']))
    reboot_soon()
    return {'ok': True, 'version': desc['version'], 'rebooting': True}


@app.post('/api/reboot')
@auth
async def reboot(request):
    if ota.busy:
        return error(409, 'an update is in progress')
    print('reboot asked over HTTP')
    reboot_soon()
    return {'rebooting': True}


def content_type(name):
    """The type of a web UI file, with its charset if it is text."""
    kind = Response.types_map.get(name.rpartition('.')[2].lower(),
                                  'application/octet-stream')
    if kind.startswith('text/') or kind == 'application/javascript':
        kind += '; charset=UTF-8'
    return kind


def accepts_gzip(request):
    """Whether the client's Accept-Encoding takes gzip (a coding with q=0
    is refused, RFC 9110). Read item by item, with no list of them."""
    value = (request.headers.get('Accept-Encoding') or '').lower()
    start = 0
    while start < len(value):
        end = value.find(',', start)
        if end < 0:
            end = len(value)
        name, _, params = value[start:end].partition(';')
        if name.strip() in ('gzip', 'x-gzip', '*'):
            q = params.strip()
            return not (q.startswith('q=0') and not q[3:].strip('.0'))
        start = end + 1
    return False


def gunzipped(data):
    """A frozen file decompressed as it is sent, for a client that takes
    no gzip (curl without --compressed, say): MicroPython's deflate needs a
    window of 2 ** webassets.WINDOW_BITS bytes, the one it was packed with."""
    import deflate
    return deflate.DeflateIO(io.BytesIO(data), deflate.GZIP,
                             webassets.WINDOW_BITS)


def frozen_asset(request, name):
    """A file of the web UI frozen into the firmware, answered from flash
    with its ETag; 304 when the browser's copy is current."""
    data, etag, size = webassets.FILES[name]
    gzipped = accepts_gzip(request)
    if not gzipped:
        etag = etag[:-1] + '-plain"'  # another representation
    headers = {'ETag': etag, 'Cache-Control': 'max-age=0',
               'Vary': 'Accept-Encoding'}
    match = request.headers.get('If-None-Match')
    if match is not None and etag_matches(match, etag):
        return '', 304, headers
    headers['Content-Type'] = content_type(name)
    if not gzipped:
        # its length is known: not a stream of unknown end
        headers['Content-Length'] = str(size)
        return gunzipped(data), 200, headers
    headers['Content-Encoding'] = 'gzip'
    return data, 200, headers


def asset(request, name):
    """A file of the web UI: from the firmware if it is frozen in, else
    from WEB_DIR, where each file has a gzipped copy beside it. max-age=0
    makes browsers revalidate, which the ETag answers with a 304."""
    if '..' in name or name.startswith('/') or '\\' in name:
        return error(404, 'no such file')
    if webassets is not None and name in webassets.FILES:
        return frozen_asset(request, name)
    path = hw.WEB_DIR + '/' + name
    if accepts_gzip(request) and exists(path + '.gz'):
        response = send_file(path, content_type=content_type(name), max_age=0,
                             compressed=True, file_extension='.gz')
    else:
        response = send_file(path, content_type=content_type(name), max_age=0)
    response.headers['Vary'] = 'Accept-Encoding'
    return response


@app.get('/')
def index(request):
    return asset(request, 'index.html')


@app.get('/static/<path:name>')
def static(request, name):
    return asset(request, name)


# --- settings and logs -------------------------------------------------------

def change_config(fields):
    """Saves the config file with `fields` changed; an error answer if it
    cannot be read or written."""
    found, reason = config.load(hw.CONFIG_PATH, False)
    if found is None:
        return error(500, reason)
    found.update(fields)
    try:
        config.save(hw.CONFIG_PATH, found)
    except OSError as exc:
        return error(500, 'the config could not be written ({}); the old '
                     'one stays'.format(exc))
    return None


@app.route('/api/settings', methods=['GET', 'POST'])
@auth
async def settings(request):
    if request.method != 'POST':
        found, reason = config.load(hw.CONFIG_PATH, False)
        if found is None:
            return error(500, reason)
        return {'wifi_ssid': found.get('wifi_ssid', ''),
                'hostname': found.get('hostname') or device['hostname']}, \
            NO_STORE
    if request.content_length > Request.max_body_length:
        return error(413, 'send at most {} bytes of settings'.format(
            Request.max_body_length))
    try:
        # whatever the Content-Type says: curl users forget it
        fields = json.loads(request.body.decode())
    except ValueError:  # UnicodeError is one too
        fields = None
    if not isinstance(fields, dict) or not fields:
        return error(400, 'send a JSON object with any of ' + SETTINGS)
    for name in fields:
        if name == 'ota_token':
            reason = name + ' is not set here: POST /api/settings/token ' \
                'makes a new one'
        elif name not in SETTINGS.split(', '):
            reason = name + ' is not a setting; use ' + SETTINGS
        else:
            one = {name: fields[name]}
            reason = config.check(one)
            fields[name] = one[name]  # check() lower-cases a hostname
        if reason:
            return {'error': reason, 'field': name}, 400
    if ota.busy:
        return error(409, 'an update is in progress')
    refusal = change_config(fields)
    if refusal:
        return refusal
    logs.log('settings: {} saved; restarting'.format(
        ', '.join(sorted(fields))))
    reboot_soon()
    return {'ok': True, 'rebooting': True}


@app.post('/api/settings/token')
@auth
async def new_token(request):
    token = config.new_token()
    refusal = change_config({'ota_token': token})
    if refusal:
        return refusal
    device['token'] = token
    logs.log('settings: new OTA token saved; the old one no longer works')
    return {'ota_token': token}, NO_STORE


@app.post('/api/factory-reset')
@auth
async def factory_reset(request):
    if ota.busy:
        return error(409, 'an update is in progress')
    config.erase(hw.CONFIG_PATH)
    device['token'] = None  # gone with the config, not at the restart
    logs.log('factory reset: config erased; restarting into set-up mode')
    reboot_soon()
    return {'ok': True, 'rebooting': True}


@app.get('/api/logs')
@auth
async def get_logs(request):
    return logs.lines(), 200, {'Content-Type': 'text/plain; charset=UTF-8',
                               'Cache-Control': 'no-store'}


@app.get('/api/logs/stream')
@auth
@with_sse
async def log_stream(request, sse):
    # after the event a reconnecting client names, if it is of this boot;
    # else all that is kept
    boot, _, seq = request.headers.get('Last-Event-ID', '').partition(':')
    seq = int(seq) if boot == BOOT_ID and seq.isdigit() else 0
    while True:
        seq, text = logs.since(seq)
        if text:
            await sse.send(text, event='log',
                           event_id=BOOT_ID + ':' + str(seq))
        await logs.wait(seq)
