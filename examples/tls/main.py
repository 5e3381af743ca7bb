"""HTTPS: the app served over TLS with a certificate and its private key,
given to run() as an ssl.SSLContext. MicroPython's ssl module loads them
in DER form, CPython's in PEM form, so this loads the one its runtime
takes: cert.der and key.der on a board, cert.pem and key.pem on CPython.

Make a self-signed certificate for the board's name or address (here
192.168.1.50; browsers will warn about it until you trust it), in this
folder:

    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \\
        -nodes -days 825 -subj /CN=192.168.1.50 \\
        -addext subjectAltName=IP:192.168.1.50 \\
        -keyout key.pem -out cert.pem
    openssl x509 -in cert.pem -outform der -out cert.der
    openssl ec -in key.pem -outform der -out key.der

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl --cacert cert.pem https://192.168.1.50:4443/

On a board with the framework and a network: copy main.py, cert.der and
key.der to it. Keep the key to yourself: it is what proves the board is
the board.
"""
import sys

from microdot import Microdot

app = Microdot()


def ssl_context():
    import ssl
    form = 'der' if sys.implementation.name == 'micropython' else 'pem'
    cert, key = 'cert.' + form, 'key.' + form
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except OSError as exc:
        raise OSError('cannot load %s and %s (%s): make them as main.py '
                      'says' % (cert, key, exc))
    return context


@app.get('/')
async def index(request):
    return 'Hello over %s!' % request.scheme


if __name__ == '__main__':
    app.run(port=4443, debug=True, ssl=ssl_context())
