"""Writes the package files MicroPython's `mip` installs the framework from,
made from manifest.py's lists and microdot.__version__:

    package.json            the core (manifest.py's CORE), for
                            `mip install github:OWNER/REPO`
    modules/<name>.json     an extension, for
                            `mip install github:OWNER/REPO/modules/<name>.json`

    python tools/mip_packages.py

Every source is a URL relative to the package file, which mip resolves
against the package file's own URL: the files work for any fork, branch or
tag, and from any web server that serves the repository. mip has no relative
"deps" (a dep is a full URL or a name in micropython-lib's index), so an
extension's file lists its own module and those of the extensions it
imports (manifest.py's EXTENSIONS); the core is installed with its own
file, once for all extensions. Each file installs as `microdot/<file>`
under mip's target.
"""
import ast
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST = ROOT / 'manifest.py'
PACKAGE = ROOT / 'modules' / 'microdot'
EXTENSION_DIR = ROOT / 'modules'

# Not for firmware (manifest.py's NOT_FOR_DEVICES) but it runs on
# MicroPython: apps can be tested with it on the unix port or a board.
# Its extensions, as in manifest.py's EXTENSIONS.
TESTING = {'test_client': []}


def assigned(path, names):
    """{name: value} of the top-level `name = <literal>` lines of `path`."""
    values = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                getattr(node.targets[0], 'id', None) in names:
            values[node.targets[0].id] = ast.literal_eval(node.value)
    missing = [name for name in names if name not in values]
    if missing:
        raise ValueError('{}: no top-level {} = <literal> (the mip '
                         'packages are made from it)'.format(
                             path, ' or '.join(missing)))
    return values


def manifest_lists():
    """manifest.py's CORE (file names) and EXTENSIONS ({name: [names of the
    extensions it imports]})."""
    values = assigned(MANIFEST, ('CORE', 'EXTENSIONS'))
    return values['CORE'], values['EXTENSIONS']


def version():
    return assigned(PACKAGE / '__init__.py', ('__version__',))['__version__']


def packages():
    """{path of the package file, relative to the repository: its JSON}."""
    core, extensions = manifest_lists()
    release = version()

    def package(folder, files):
        for name in files:
            if not (PACKAGE / name).is_file():
                raise ValueError('{}: names {}, but there is no {}'.format(
                    MANIFEST, name, PACKAGE / name))
        return {'urls': [['microdot/' + name, folder + name]
                         for name in files],
                'version': release}

    result = {'package.json': package('modules/microdot/', core)}
    everything = dict(extensions, **TESTING)
    for name in sorted(everything):
        files = [each + '.py' for each in [name] + everything[name]]
        result['modules/{}.json'.format(name)] = package('microdot/', files)
    return result


def render(package):
    """The JSON text, one [destination, source] pair a line."""
    pairs = ',\n'.join('    ' + json.dumps(pair) for pair in package['urls'])
    return '{{\n  "urls": [\n{}\n  ],\n  "version": {}\n}}\n'.format(
        pairs, json.dumps(package['version']))


def main():
    wanted = packages()
    for path, package in wanted.items():
        (ROOT / path).write_text(render(package))
        print('wrote', path)
    for stale in EXTENSION_DIR.glob('*.json'):
        if 'modules/' + stale.name not in wanted:
            stale.unlink()
            print('removed', stale.relative_to(ROOT), '(not in manifest.py)')


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:
        sys.exit(str(exc))
