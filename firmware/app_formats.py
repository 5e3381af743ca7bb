"""The formats the firmware tools share with the device app, read by the
app's own modules: the partition table CSV (app/partition_table.py) and
the app image with its descriptor (app/image.py). One reader per format,
and imports go one way, firmware -> app -> modules.

    from app_formats import image, partition_table
"""
import pathlib
import sys

APP = pathlib.Path(__file__).resolve().parent.parent / 'app'
# appended, not put first: app/'s module names (setup, config, main) must
# not hide anything the tools import
if str(APP) not in sys.path:
    sys.path.append(str(APP))

import image  # noqa: E402,F401 (for the tools)
import partition_table  # noqa: E402,F401
