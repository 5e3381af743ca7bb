"""The static files example: files sent plain or from their gzip copy as
the client accepts, revalidated, in ranges, and nothing outside the
folder. The gzip copy is made here, as `gzip -k` would: the repository
holds no binary files."""
import gzip

import pytest

GZIP = {'Accept-Encoding': 'gzip, deflate'}


@pytest.fixture(scope='module')
def server(serve, example_dir):
    css = example_dir / 'static' / 'style.css'
    css.with_name('style.css.gz').write_bytes(gzip.compress(css.read_bytes()))
    with serve(example_dir) as url:
        yield url


def test_index(server, fetch, example_dir):
    reply = fetch(server + '/')
    assert reply.status == 200
    assert reply.headers['Content-Type'] == 'text/html'
    assert reply.body == (example_dir / 'static' / 'index.html').read_bytes()


def test_compressed_copy_for_clients_that_take_it(server, fetch,
                                                  example_dir):
    css = (example_dir / 'static' / 'style.css').read_bytes()
    packed = fetch(server + '/static/style.css', headers=GZIP)
    assert packed.status == 200
    assert packed.headers['Content-Encoding'] == 'gzip'
    assert packed.headers['Content-Type'] == 'text/css'
    assert packed.headers['Vary'] == 'Accept-Encoding'
    assert packed.headers['Cache-Control'] == 'max-age=3600'
    assert len(packed.body) < len(css)
    assert gzip.decompress(packed.body) == css

    plain = fetch(server + '/static/style.css')
    assert 'Content-Encoding' not in plain.headers
    assert plain.body == css
    assert plain.headers['ETag'] != packed.headers['ETag']

    # a file without a gzip copy goes out plain to every client
    script = fetch(server + '/static/app.js', headers=GZIP)
    assert 'Content-Encoding' not in script.headers
    assert script.headers['Content-Type'] == 'application/javascript'
    assert script.body == (example_dir / 'static' / 'app.js').read_bytes()


def test_revalidation_and_ranges(server, fetch):
    url = server + '/static/style.css'
    etag = fetch(url).headers['ETag']
    reply = fetch(url, headers={'If-None-Match': etag})
    assert (reply.status, reply.body) == (304, b'')
    reply = fetch(url, headers={'Range': 'bytes=3-8'})
    assert reply.status == 206
    assert reply.body == b'Enough'
    assert reply.headers['Content-Range'].startswith('bytes 3-8/')


def test_nothing_outside_the_folder(server, fetch):
    for path in ('/static/../main.py', '/static/%2e%2e/main.py',
                 '/static/nothing.txt', '/static/', '/static/..'):
        assert fetch(server + path).status == 404, path
