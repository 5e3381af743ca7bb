"""Where the tests find the runtimes they run the framework on."""
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# the MicroPython unix port installed in the virtual environment
MICROPYTHON = shutil.which('micropython',
                           path=str(pathlib.Path(sys.executable).parent))


def marker_results(output):
    """What a test runner printed, as {test: 'PASS', 'SKIP', or 'failed:'
    and the traceback}: lines '@@PASS name', '@@SKIP name', or '@@FAIL
    name' followed by the traceback."""
    results, current = {}, None
    for line in output.splitlines():
        if line.startswith(('@@PASS ', '@@SKIP ')):
            current = None
            results[line[7:]] = line[2:6]
        elif line.startswith('@@FAIL '):
            current = line[7:]
            results[current] = 'failed:\n'
        elif current:
            results[current] += line + '\n'
    return results
