"""Evaluates a MicroPython frozen manifest (manifest.py) without a
MicroPython checkout: which files it freezes, under which module names.

A manifest is Python run with these functions, the same semantics as
MicroPython's tools/manifestfile.py in freeze mode:

    include(path, **options)     another manifest (a folder means its
                                 manifest.py); the keyword arguments become
                                 `options.<name>` there
    freeze(path, script=None)    .py/.mpy files under folder `path`, named
                                 from `path`; `script` picks a file, a
                                 sub-folder or a list of files
    module(file, base_path='.')  one file
    package(name, files=None, base_path='.')   a package folder
    require(name, ...)           a micropython-lib package
    metadata(...), options.defaults(...)

Paths are relative to the manifest being run (which runs with that folder
as the working directory, as upstream does) and may use $(BOARD_DIR),
$(PORT_DIR), $(MPY_DIR), $(MPY_LIB_DIR). A path using a variable that was
not given, or a require(), is outside this repository: it is recorded in
`external` and not followed.

    result = evaluate('boards/ESP32_GENERIC_C3/manifest.py',
                      {'BOARD_DIR': 'boards/ESP32_GENERIC_C3'})
    result.files      # [Frozen(source='/abs/app/main.py', target='main.py'), ...]
    result.external   # ['include $(PORT_DIR)/boards/manifest.py', ...]
"""
import collections
import os
import re

Frozen = collections.namedtuple('Frozen', 'source target opt')
VARIABLE = re.compile(r'\$\((\w+)\)')
SOURCE_EXTS = ('.py', '.mpy')


class ManifestError(Exception):
    """A manifest that does not evaluate; the message names the manifest
    and the path or call at fault."""


class Options:
    """`options` in a manifest: the keyword arguments of the include() that
    ran it, with fallbacks from options.defaults(); unknown names are None."""

    def __init__(self, given):
        self._given = dict(given)
        self._defaults = {}

    def defaults(self, **fallbacks):
        self._defaults = fallbacks

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)
        return self._given.get(name, self._defaults.get(name))


class Evaluation:
    def __init__(self, path_vars):
        self.path_vars = dict(path_vars)
        self.files = []
        self.external = []  # 'include <path>', 'require <name>', ...
        self.manifests = []  # every manifest run, in order
        self.metadata = []
        self.current = None  # the manifest running now

    # --- paths --------------------------------------------------------------

    def resolve(self, path):
        """An absolute path, or None if it uses a variable not given."""
        unknown = [name for name in VARIABLE.findall(path)
                   if self.path_vars.get(name) is None]
        if unknown:
            return None
        path = VARIABLE.sub(lambda m: str(self.path_vars[m.group(1)]), path)
        return os.path.abspath(path)  # relative to the manifest's folder

    def add(self, source, target, opt):
        if not os.path.isfile(source):
            raise ManifestError('{}: no file {} (to freeze as {})'.format(
                self.current, source, target))
        if os.path.splitext(source)[1] not in SOURCE_EXTS:
            raise ManifestError('{}: {} is not a .py or .mpy file'.format(
                self.current, source))
        self.files.append(Frozen(source, target.replace(os.sep, '/'), opt))

    def search(self, base, package, files, opt):
        """upstream's _search(): `files` relative to base/package, or every
        source file under it."""
        if files is not None:
            for name in files:
                target = os.path.join(package, name) if package else name
                self.add(os.path.join(base, target), target, opt)
            return
        top = os.path.join(base, package) if package else base
        if not os.path.isdir(top):
            raise ManifestError('{}: no folder {}'.format(self.current, top))
        for folder, dirs, names in sorted(os.walk(top, followlinks=True)):
            dirs.sort()
            for name in sorted(names):
                if os.path.splitext(name)[1] in SOURCE_EXTS:
                    source = os.path.join(folder, name)
                    self.add(source, os.path.relpath(source, base), opt)

    # --- the manifest functions -------------------------------------------

    def include(self, manifest, is_require=False, **options):
        if not isinstance(manifest, str):
            for each in manifest:
                self.include(each, **options)
            return
        path = self.resolve(manifest)
        if path is None:
            self.external.append('include ' + manifest)
            return
        if os.path.isdir(path):
            path = os.path.join(path, 'manifest.py')
        if path in self.manifests:
            return  # upstream runs a manifest once
        if not os.path.isfile(path):
            raise ManifestError('{}: include("{}"): no manifest {}'.format(
                self.current, manifest, path))
        self.manifests.append(path)
        with open(path) as f:
            code = compile(f.read(), path, 'exec')
        caller, cwd = self.current, os.getcwd()
        self.current = path
        os.chdir(os.path.dirname(path))
        try:
            exec(code, self.api(options))
        except ManifestError:
            raise
        except Exception as exc:
            raise ManifestError('{}: {}: {}'.format(
                path, type(exc).__name__, exc)) from exc
        finally:
            os.chdir(cwd)
            self.current = caller

    def freeze(self, path, script=None, opt=None):
        base = self.resolve(path)
        if base is None:
            self.external.append('freeze ' + path)
            return
        if script is None:
            self.search(base, None, None, opt)
        elif isinstance(script, str) and \
                os.path.isdir(os.path.join(base, script)):
            self.search(base, script, None, opt)
        elif isinstance(script, str):
            self.search(base, None, (script,), opt)
        else:
            self.search(base, None, script, opt)

    def module(self, module_path, base_path='.', opt=None):
        base = self.resolve(base_path)
        if base is None:
            self.external.append('module ' + module_path)
            return
        if not module_path.endswith('.py'):
            raise ManifestError('{}: module("{}") must name a .py file'.format(
                self.current, module_path))
        self.add(os.path.join(base, module_path), module_path, opt)

    def package(self, package_path, files=None, base_path='.', opt=None):
        base = self.resolve(base_path)
        if base is None:
            self.external.append('package ' + package_path)
            return
        self.search(base, package_path, files, opt)

    def require(self, name, version=None, **kwargs):
        self.external.append('require ' + name)

    def record_metadata(self, **fields):
        self.metadata.append(fields)

    def api(self, options):
        return {
            'include': self.include, 'freeze': self.freeze,
            'module': self.module, 'package': self.package,
            'require': self.require, 'metadata': self.record_metadata,
            'options': Options(options),
        }


def evaluate(manifest, path_vars=None, **options):
    """Runs `manifest` (a file or folder) and everything it includes."""
    path_vars = {name: os.path.abspath(str(value)) if value else None
                 for name, value in (path_vars or {}).items()}
    result = Evaluation(path_vars)
    result.current = '(evaluate)'
    result.include(os.path.abspath(str(manifest)), **options)
    return result
