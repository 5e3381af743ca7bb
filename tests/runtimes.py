"""Where the tests find the runtimes they run the framework on."""
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# the MicroPython unix port installed in the virtual environment
MICROPYTHON = shutil.which('micropython',
                           path=str(pathlib.Path(sys.executable).parent))
