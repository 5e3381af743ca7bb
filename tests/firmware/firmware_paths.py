"""Where the firmware checks find things: the repository root (with the
firmware tools of firmware/ put on the import path) and the boards. A module
of its own, as each test folder's conftest.py is imported as `conftest`."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'firmware'))
import boards  # noqa: E402

BOARDS = boards.names()
