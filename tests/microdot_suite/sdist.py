"""Microdot's published source distribution, whose tests define the API this
framework honours. Downloaded by pip (so through the index pip is set up
with) into a cache outside the repository, checked against a pinned
SHA-256, and unpacked there; nothing of it is ever committed.

    python tests/microdot_suite/sdist.py   # prints the unpacked folder
"""
import hashlib
import os
import pathlib
import subprocess
import sys
import tarfile

VERSION = '2.7.0'
SHA256 = 'e11f39f0f5564bb5db69f728902740ed592d632ae7a03e24ca3a88cd59ad2f53'
NAME = 'microdot-' + VERSION


def cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or \
        os.path.join(os.path.expanduser('~'), '.cache')
    return pathlib.Path(base) / 'microdot-suite'


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(folder):
    archive = folder / (NAME + '.tar.gz')
    if not archive.exists():
        print('downloading Microdot {} (sdist) into {}'.format(VERSION, folder),
              file=sys.stderr)
        proc = subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
             '--no-binary', ':all:', '--dest', str(folder),
             'microdot==' + VERSION], capture_output=True, text=True)
        if proc.returncode or not archive.exists():
            raise RuntimeError('pip could not download microdot=={} from the '
                               'package index:\n{}'.format(VERSION,
                                                           proc.stderr))
    digest = sha256_of(archive)
    if digest != SHA256:
        archive.unlink()  # the next run downloads it again
        raise RuntimeError('{} has SHA-256 {}, pinned is {}: removed'.format(
            archive, digest, SHA256))
    return archive


def unpacked():
    """The unpacked sdist's folder (its tests/ is Microdot's suite)."""
    folder = cache_dir()
    root = folder / NAME
    if (root / 'tests' / '__init__.py').exists():
        return root
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(download(folder)) as archive:
        try:
            archive.extractall(folder, filter='data')
        except TypeError:  # Python before 3.11.4 has no filters
            archive.extractall(folder)
    return root


if __name__ == '__main__':
    print(unpacked())
