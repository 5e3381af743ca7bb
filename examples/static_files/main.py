"""Static files: a folder of files served with send_file(), with
`Cache-Control`, `ETag` revalidation (304) and byte ranges (206); a file
that has a gzip-compressed copy next to it (style.css.gz beside style.css)
is sent compressed to clients that accept gzip, which saves the board's
bandwidth and flash reads. Names that would leave the folder are refused.

Run it on CPython, from this folder, after compressing what is worth it:

    gzip -k -9 static/style.css
    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/. On a board with the framework and a
network: copy main.py and the static folder (with the .gz files) to it.
"""
import os

from microdot import Microdot, abort, send_file

app = Microdot()
STATIC = 'static'  # relative to the current directory


def is_file(path):
    try:
        return os.stat(path)[0] & 0o170000 == 0o100000
    except OSError:
        return False


@app.get('/')
async def index(request):
    return await static(request, 'index.html')


@app.get('/static/<path:path>')
async def static(request, path):
    if '..' in path.split('/') or not is_file(STATIC + '/' + path):
        abort(404)
    name = STATIC + '/' + path
    if 'gzip' in request.headers.get('Accept-Encoding', '') and \
            is_file(name + '.gz'):
        # the type is the one of `name`; the bytes come from name + '.gz'
        response = send_file(name, compressed=True, file_extension='.gz',
                             max_age=3600)
    else:
        response = send_file(name, max_age=3600)
    # caches must keep the two variants apart
    response.headers['Vary'] = 'Accept-Encoding'
    return response


if __name__ == '__main__':
    app.run(port=5000, debug=True)
