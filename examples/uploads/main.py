"""Uploads: a file sent as the body of a PUT request is written to the
uploads folder as it arrives, 1 KB at a time, so the board never holds more
than that of it in memory. A body over the size limit is refused with 413:
at once when its Content-Length says so (a client that sent
`Expect: 100-continue` has not even sent it yet), or as soon as a chunked
body passes the limit, and then the part written is removed.

    PUT  /uploads/<name>    the body becomes the file (201, or 200 if it
                            replaced one)
    GET  /uploads           the files, as JSON
    GET  /uploads/<name>    a file

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl -T notes.txt http://127.0.0.1:5000/uploads/notes.txt

or open http://127.0.0.1:5000/ to upload from the browser. On a board with
the framework and a network: copy main.py to it.
"""
import os

from microdot import Microdot, Request, abort, send_file

Request.max_content_length = 64 * 1024  # the largest upload
Request.max_body_length = 1024  # larger bodies wait in request.stream
FOLDER = 'uploads'  # relative to the current directory
NAME_CHARACTERS = 'abcdefghijklmnopqrstuvwxyz' \
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'

app = Microdot()
try:
    os.mkdir(FOLDER)
except OSError:
    pass  # it is there already

PAGE = '''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Uploads</title></head>
<body><h1>Uploads</h1>
<input type="file" id="file"> <button id="send">Upload</button>
<pre id="result"></pre>
<script>
document.getElementById('send').onclick = async () => {
  const file = document.getElementById('file').files[0];
  const res = await fetch('/uploads/' + encodeURIComponent(file.name),
                          {method: 'PUT', body: file});
  document.getElementById('result').textContent = await res.text();
};
</script></body></html>'''


def check_name(name):
    if not 0 < len(name) <= 64 or name[0] == '.' or \
            name.strip(NAME_CHARACTERS):
        abort(400, 'Bad file name: use letters, digits, ".", "_" and "-"')
    return FOLDER + '/' + name


def size_of(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return None


@app.get('/')
async def index(request):
    return PAGE, {'Content-Type': 'text/html; charset=UTF-8'}


@app.get('/uploads')
async def list_files(request):
    return [{'name': name, 'size': size_of(FOLDER + '/' + name)}
            for name in sorted(os.listdir(FOLDER))
            if not name.endswith('.part')]


@app.put('/uploads/<name>')
async def upload(request, name):
    path = check_name(name)
    replaced = size_of(path) is not None
    # written under another name until complete: a failed upload leaves
    # the old file, if any, as it was
    part = path + '.part'
    size = 0
    try:
        with open(part, 'wb') as f:
            while True:
                data = await request.stream.read(1024)
                if not data:
                    break
                f.write(data)
                size += len(data)
        if replaced:
            os.remove(path)  # a FAT file system renames onto no file
        os.rename(part, path)
    except Exception:
        os.remove(part)
        raise  # 413 for a chunked body over the limit, say
    return {'name': name, 'size': size}, 200 if replaced else 201


@app.get('/uploads/<name>')
async def download(request, name):
    return send_file(check_name(name), content_type='application/octet-stream')


if __name__ == '__main__':
    app.run(port=5000, debug=True)
