"""Unit tests of the device app's modules (app/) on CPython; the
hardware-in-loop suite (tests/hil) runs the same code on each target.
The test images come from the HIL suite's builder."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'app'))
sys.path.insert(0, str(ROOT / 'tests' / 'hil'))
