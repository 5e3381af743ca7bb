"""The set-up `make` runs first: an old Python is stopped with the fix."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHECK = ROOT / 'tools' / 'check_python.py'


def run_as(version):
    # the check as a Python of `version` would run it
    code = 'import sys; sys.version_info = {!r}; exec(open({!r}).read())' \
        .format(version, str(CHECK))
    return subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True)


def test_python_3_10_is_told_to_use_a_newer_one():
    out = run_as((3, 10, 14))
    assert out.returncode == 1
    assert 'is Python 3.10' in out.stderr
    assert 'need 3.11 or newer: run make with PYTHON=python3.12' in out.stderr


def test_python_3_11_goes_on():
    out = run_as((3, 11, 0))
    assert (out.returncode, out.stderr) == (0, '')
