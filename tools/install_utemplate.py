"""Installs utemplate 1.4.1 from PyPI into this Python's site-packages.

Its source archive on PyPI has neither setup.py nor pyproject.toml (it is
packaged for MicroPython's upip), so pip refuses it; this fetches that same
archive, checks it against the pinned hash, and copies the package out.

    python tools/install_utemplate.py
"""
import hashlib
import io
import pathlib
import sys
import sysconfig
import tarfile
import urllib.request

URL = ('https://files.pythonhosted.org/packages/ba/93/5eca962e6d576b8f50bb11bc'
       '9506becc11ce4587a56b707095c3073bda06/utemplate-1.4.1.tar.gz')
SHA256 = '43fde7c8b38dda1ff9c82cd829d22ec445f1e9d631455de705873051f83a0b20'


def main():
    target = pathlib.Path(sysconfig.get_paths()['purelib']) / 'utemplate'
    print('installing utemplate 1.4.1 into', target.parent)
    try:
        data = urllib.request.urlopen(URL, timeout=60).read()
    except OSError as exc:
        sys.exit('could not download {}: {}'.format(URL, exc))
    if hashlib.sha256(data).hexdigest() != SHA256:
        sys.exit('{} does not have the pinned SHA-256 {}'.format(URL, SHA256))
    target.mkdir(exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            parts = pathlib.PurePosixPath(member.name).parts
            if len(parts) == 3 and parts[1] == 'utemplate' and \
                    parts[2].endswith('.py'):
                (target / parts[2]).write_bytes(
                    archive.extractfile(member).read())


if __name__ == '__main__':
    main()
