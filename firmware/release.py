"""Puts together what a release publishes, from what CI built: each board's
firmware (build/firmware/<BOARD>/ of firmware/build.py) and the Python
packages (dist/ of `python -m build`).

    python3 firmware/release.py v0.1.0 [--firmware build/firmware]
                                [--dist dist] [--out build/release]

Output, in build/release/:
    <BOARD>-<version>.bin          bootloader, partitions and app merged:
                                   flash it at offset 0 (esptool, or the
                                   browser page below)
    <BOARD>-<version>-ota.bin      the app image alone, for POST /api/ota
    <BOARD>-<version>-sizes.md     its size report
    microdot_esp-<version>*        the sdist and the wheel
    manifest.json                  ESP Web Tools' manifest of the images
    index.html                     the page that flashes a board from the
                                   browser (Chrome or Edge, over USB)
    SHA256SUMS                     of every file above
    notes.md                       the release notes: CHANGELOG.md's section

The tag must name the framework's release (microdot.__version__) and every
board's image must carry it, so that what a user flashes, installs and
reads about is the same release."""
import argparse
import hashlib
import json
import pathlib
import re
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import boards  # noqa: E402

# ESP Web Tools names chips as esptool-js reports them
CHIP_FAMILIES = {'esp32': 'ESP32', 'esp32c3': 'ESP32-C3',
                 'esp32s3': 'ESP32-S3', 'esp32s2': 'ESP32-S2',
                 'esp32c6': 'ESP32-C6'}

PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>microdot-esp {version}: flash a board</title>
<script type="module"
  src="https://unpkg.com/esp-web-tools@10/dist/web/install-button.js?module">
</script>
<h1>microdot-esp {version}</h1>
<p>Connect the board by USB, then press the button (Chrome or Edge on a
computer). The page finds the chip and writes the firmware for it:
{boards}.</p>
<esp-web-install-button manifest="manifest.json"></esp-web-install-button>
<p>After flashing, give the board its Wi-Fi settings as the README says
("Build and flash your board"), then open http://microdot-esp.local/.</p>
"""


class Failure(Exception):
    pass


def framework_version():
    source = (ROOT / 'modules' / 'microdot' / '__init__.py').read_text()
    found = re.search(r"^__version__ = '([^']+)'$", source, re.M)
    if not found:
        raise Failure('modules/microdot/__init__.py: no __version__ line')
    return found.group(1)


def release_notes(version):
    """CHANGELOG.md's section of `version`, without its heading."""
    text = (ROOT / 'CHANGELOG.md').read_text()
    found = re.search(r'^## {}( .*)?$'.format(re.escape(version)), text,
                      re.M)
    if not found:
        raise Failure('CHANGELOG.md has no "## {}" section: add what the '
                      'release changes there'.format(version))
    rest = text[found.end():]
    end = re.search(r'^## ', rest, re.M)
    return rest[:end.start() if end else len(rest)].strip() + '\n'


def board_images(firmware_dir, board, tag):
    """The images of `board` in firmware_dir/<board>/, checked against its
    flash.json and the tag."""
    folder = firmware_dir / board.name
    info_path = folder / 'flash.json'
    if not info_path.exists():
        raise Failure('{} is missing: build the board first (python3 '
                      'firmware/build.py {})'.format(info_path, board.name))
    info = json.loads(info_path.read_text())
    if info.get('version') != tag:
        raise Failure('{}: the image is version "{}", the release is "{}": '
                      'build it from the tagged commit'.format(
                          info_path, info.get('version'), tag))
    if info.get('chip') != board.target:
        raise Failure('{}: chip "{}", boards/boards.json says "{}"'.format(
            info_path, info.get('chip'), board.target))
    files = {'merged': folder / info['merged']['file'],
             'ota': folder / info['app']['file'],
             'sizes': folder / 'size-report.md'}
    for path in files.values():
        if not path.exists():
            raise Failure('{} is missing: the build of {} did not finish'
                          .format(path, board.name))
    return files


def make(tag, firmware_dir, dist_dir, out_dir):
    version = framework_version()
    if tag != 'v' + version:
        raise Failure('tag "{}" does not name the framework\'s release: '
                      'microdot.__version__ is "{}", so the tag must be '
                      '"v{}"'.format(tag, version, version))
    notes = release_notes(version)
    packages = sorted(dist_dir.glob('microdot_esp-{}*'.format(version)))
    if not any(p.name.endswith('.whl') for p in packages) or \
            not any(p.name.endswith('.tar.gz') for p in packages):
        raise Failure('{}: no sdist and wheel of version {}: run python -m '
                      'build'.format(dist_dir, version))
    if out_dir.exists():
        shutil.rmtree(str(out_dir))
    out_dir.mkdir(parents=True)
    builds = []
    for name in boards.names():
        board = boards.get(name)
        files = board_images(firmware_dir, board, tag)
        merged = '{}-{}.bin'.format(name, version)
        shutil.copyfile(str(files['merged']), str(out_dir / merged))
        shutil.copyfile(str(files['ota']),
                        str(out_dir / '{}-{}-ota.bin'.format(name, version)))
        shutil.copyfile(str(files['sizes']),
                        str(out_dir / '{}-{}-sizes.md'.format(name, version)))
        builds.append({'chipFamily': CHIP_FAMILIES[board.target],
                       'parts': [{'path': merged, 'offset': 0}]})
    for package in packages:
        shutil.copyfile(str(package), str(out_dir / package.name))
    # the version is the images' (the tag), which the board reports over
    # Improv after flashing: ESP Web Tools compares the two
    (out_dir / 'manifest.json').write_text(json.dumps({
        'name': 'microdot-esp', 'version': tag,
        'new_install_prompt_erase': True, 'builds': builds}, indent=2) + '\n')
    (out_dir / 'index.html').write_text(PAGE.format(
        version=version,
        boards=', '.join(b['chipFamily'] for b in builds)))
    sums = []
    for path in sorted(out_dir.iterdir()):
        sums.append('{}  {}'.format(
            hashlib.sha256(path.read_bytes()).hexdigest(), path.name))
    (out_dir / 'SHA256SUMS').write_text('\n'.join(sums) + '\n')
    (out_dir / 'notes.md').write_text(notes)
    return out_dir


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('tag', help='the release tag, v<microdot.__version__>')
    parser.add_argument('--firmware', default=str(ROOT / 'build' / 'firmware'),
                        help='folder of the boards\' build outputs')
    parser.add_argument('--dist', default=str(ROOT / 'dist'),
                        help='folder of the sdist and wheel')
    parser.add_argument('--out', default=str(ROOT / 'build' / 'release'))
    args = parser.parse_args()
    try:
        out = make(args.tag, pathlib.Path(args.firmware),
                   pathlib.Path(args.dist), pathlib.Path(args.out))
    except Failure as exc:
        sys.exit('release: ' + str(exc))
    for path in sorted(out.iterdir()):
        print('{:>10,}  {}'.format(path.stat().st_size, path))


if __name__ == '__main__':
    main()
