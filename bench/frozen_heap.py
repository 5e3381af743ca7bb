"""The heap `import microdot` keeps when the framework is frozen, as on a
board: the MicroPython unix port is built twice from a MicroPython tree,
each time with asyncio and one framework in its frozen manifest (ours from
modules/, Microdot 2.7.0 from its PyPI package), and each build reports the
heap still in use after `import asyncio`, then after `import microdot` and
a collection. Frozen bytecode stays in the binary (flash, on a board): what
the import keeps is the module, class and function objects and their dicts.

    MICROPY_DIR=/path/to/micropython python bench/frozen_heap.py

Writes the figures between the README's frozen-heap markers. Without
MICROPY_DIR it says so and leaves them (`make bench` then skips it)."""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import run as bench  # bench/run.py: where Microdot 2.7.0's package is

ROOT = pathlib.Path(__file__).resolve().parent.parent
MEASURE = ('import gc, asyncio; gc.collect(); before = gc.mem_free(); '
           'import microdot; gc.collect(); print(before - gc.mem_free())')


def build(micropython, framework, work):
    """A unix-port binary with `framework` (a folder holding the microdot
    package) frozen next to asyncio."""
    manifest = work / 'manifest.py'
    manifest.write_text(
        'include("$(MPY_DIR)/extmod/asyncio")\n'
        'package("microdot", base_path={!r})\n'.format(str(framework)))
    print('building the unix port with', framework, '(about a minute)',
          flush=True)
    proc = subprocess.run(
        ['make', '-C', str(micropython / 'ports' / 'unix'), '-j',
         str(os.cpu_count() or 2), 'BUILD=' + str(work / 'build'),
         'FROZEN_MANIFEST=' + str(manifest),
         # what needs libraries a bare checkout may lack; none of it is
         # what is measured
         'MICROPY_PY_SSL=0', 'MICROPY_SSL_MBEDTLS=0', 'MICROPY_PY_FFI=0',
         'MICROPY_PY_BTREE=0'],
        capture_output=True, text=True)
    if proc.returncode:
        sys.exit('the unix port did not build from {}:\n{}'.format(
            micropython, proc.stderr[-3000:]))
    return work / 'build' / 'micropython'


def kept(binary):
    # an empty path: only the frozen modules can be imported
    out = subprocess.run([str(binary), '-c', MEASURE], capture_output=True,
                         text=True, env=dict(os.environ, MICROPYPATH='.frozen'))
    if out.returncode:
        sys.exit('{} failed: {}'.format(binary, out.stderr))
    return int(out.stdout)


def main():
    micropython = os.environ.get('MICROPY_DIR')
    if not micropython:
        print('frozen heap: skipped, set MICROPY_DIR to a MicroPython tree '
              '(the firmware lab has one)')
        return
    micropython = pathlib.Path(micropython)
    work = pathlib.Path(tempfile.mkdtemp(prefix='microdot-frozen-'))
    figures = {}
    for kind, framework in (('ours', ROOT / 'modules'),
                            ('microdot', bench.PYPI_MICRODOT.parent)):
        (work / kind).mkdir()
        figures[kind] = kept(build(micropython, framework, work / kind))
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    text = ('Heap kept by `import microdot` on top of asyncio, both frozen '
            'into the MicroPython unix port ({}, built from {}): this '
            'framework {:,} B, Microdot 2.7.0 {:,} B. Measured by `make '
            'bench` (bench/frozen_heap.py) on {} at {}.'.format(
                subprocess.run(['git', 'describe', '--tags', '--always'],
                               cwd=micropython, capture_output=True,
                               text=True).stdout.strip(),
                micropython, figures['ours'], figures['microdot'],
                time.strftime('%Y-%m-%d'), commit))
    readme = ROOT / 'README.md'
    content = readme.read_text()
    start, end = '<!-- frozen-heap:start -->', '<!-- frozen-heap:end -->'
    content = content[:content.index(start) + len(start)] + '\n' + text + \
        '\n' + content[content.index(end):]
    readme.write_text(content)
    print(text)


if __name__ == '__main__':
    main()
