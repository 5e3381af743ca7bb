import os

from microdot import Microdot, send_file
from microdot.test_client import TestClient

# under the run's temporary folder (tests/conftest.py), on both runtimes
DIR = os.getenv('MICRODOT_TEST_TMP') + '/files'


def setup_files():
    try:
        os.mkdir(DIR)
    except OSError:
        pass
    with open(DIR + '/page.html', 'wb') as f:
        f.write(b'<p>0123456789</p>')
    with open(DIR + '/app.js.gz', 'wb') as f:
        f.write(b'\x1f\x8b fake gzip bytes')


def make_app():
    setup_files()
    app = Microdot()

    @app.get('/page')
    def page(req):
        return send_file(DIR + '/page.html', max_age=60)

    @app.get('/app.js')
    def script(req):
        return send_file(DIR + '/app.js', compressed=True, file_extension='.gz')

    @app.get('/missing')
    def missing(req):
        return send_file(DIR + '/nope.txt')

    @app.get('/typed')
    def typed(req):
        return send_file(DIR + '/page.html', content_type='text/x-custom')

    return app


async def test_send_file_headers():
    client = TestClient(make_app())
    res = await client.get('/page')
    assert res.status_code == 200
    assert res.body == b'<p>0123456789</p>'
    assert res.headers['Content-Type'] == 'text/html'
    assert res.headers['Content-Length'] == '17'
    assert res.headers['Cache-Control'] == 'max-age=60'
    assert res.headers['Accept-Ranges'] == 'bytes'
    assert res.headers['ETag'].startswith('"')
    assert (await client.get('/typed')).headers['Content-Type'] == \
        'text/x-custom'
    assert (await client.get('/missing')).status_code == 404


async def test_precompressed_file():
    res = await TestClient(make_app()).get('/app.js')
    assert res.headers['Content-Encoding'] == 'gzip'
    assert res.headers['Content-Type'] == 'application/javascript'
    assert res.body == b'\x1f\x8b fake gzip bytes'


async def test_etag_revalidation():
    client = TestClient(make_app())
    etag = (await client.get('/page')).headers['ETag']
    res = await client.get('/page', headers={'If-None-Match': etag})
    assert (res.status_code, res.body) == (304, b'')
    assert res.headers['ETag'] == etag
    res = await client.get('/page', headers={
        'If-None-Match': '"other", W/' + etag})
    assert res.status_code == 304
    res = await client.get('/page', headers={'If-None-Match': '"other"'})
    assert res.status_code == 200


async def test_ranges():
    client = TestClient(make_app())
    res = await client.get('/page', headers={'Range': 'bytes=3-6'})
    assert (res.status_code, res.body) == (206, b'0123')
    assert res.headers['Content-Range'] == 'bytes 3-6/17'
    assert res.headers['Content-Length'] == '4'
    res = await client.get('/page', headers={'Range': 'bytes=-4'})
    assert (res.status_code, res.body) == (206, b'</p>')
    res = await client.get('/page', headers={'Range': 'bytes=13-'})
    assert res.body == b'</p>'
    res = await client.get('/page', headers={'Range': 'bytes=40-50'})
    assert res.status_code == 416
    assert res.headers['Content-Range'] == 'bytes */17'
    res = await client.get('/page', headers={'Range': 'bytes=0-1,4-5'})
    assert res.status_code == 200  # several ranges: whole file
    etag = res.headers['ETag']
    res = await client.get('/page', headers={'Range': 'bytes=0-1',
                                              'If-Range': '"stale"'})
    assert res.status_code == 200
    res = await client.get('/page', headers={'Range': 'bytes=0-1',
                                              'If-Range': etag})
    assert (res.status_code, res.body) == (206, b'<p')
