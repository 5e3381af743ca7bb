"""A MicroPython server (framework from .mpy) behind TLS, with a CPython
client reusing one connection for several requests."""
import os
import socket
import ssl
import subprocess
import time

from test_micropython import MICROPYTHON, mpy_path  # noqa: F401 (fixture)

SERVER = '''
import ssl
from microdot import Microdot
app = Microdot()

@app.get('/<int:n>')
def number(req, n):
    return '%d over %s' % (n, req.scheme)

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain('{certs}/cert.der', '{certs}/key.der')
app.run('127.0.0.1', {port}, ssl=context)
'''


def test_keep_alive_over_tls_on_micropython(mpy_path, tmp_path):  # noqa: F811
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    script = tmp_path / 'server.py'
    script.write_text(SERVER.format(certs=os.environ['MICRODOT_TEST_CERTS'],
                                    port=port))
    proc = subprocess.Popen([MICROPYTHON, str(script)], cwd=str(tmp_path),
                            env=dict(os.environ, MICROPYPATH=mpy_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for _ in range(50):
            try:
                raw = socket.create_connection(('127.0.0.1', port), timeout=5)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.1)
        with context.wrap_socket(raw) as tls:
            answers = []
            for n in range(3):
                tls.sendall(b'GET /%d HTTP/1.1\r\nHost: x\r\n\r\n' % n)
                data = b''
                while not data.endswith(b'over https'):
                    part = tls.recv(4096)
                    assert part, 'connection closed: ' + repr(data)
                    data += part
                answers.append(data.split(b'\r\n\r\n')[1])
        assert answers == [b'0 over https', b'1 over https', b'2 over https']
    finally:
        proc.kill()
        proc.wait()
