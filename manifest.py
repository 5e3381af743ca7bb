# The firmware's frozen set, on top of the esp32 port's default one. Each
# board's manifest (boards/<BOARD>/manifest.py) includes this file with the
# framework extensions that board ships:
#
#     include("../../manifest.py", extensions=["sse", "auth"])
#
# Relative paths are relative to this file: MicroPython's manifest tools run
# a manifest from its own folder. tests/firmware/ evaluates this file for
# every board and runs what it freezes on the MicroPython unix port.
import os
import sys

# MicroPython's own frozen modules for the esp32 port: _boot.py (mounts the
# filesystem), asyncio, the networking helpers, a few drivers.
include("$(PORT_DIR)/boards/manifest.py")

# The framework modules every image has: the core, the modules the core
# imports on first use, and the microdot.microdot import path.
CORE = ["__init__.py", "body.py", "chunked.py", "urlencoded.py", "segments.py",
        "cookies.py", "files.py", "streaming.py", "streams.py", "errors.py",
        "vary.py", "headers.py", "subapps.py", "microdot.py"]

# The extensions a board may choose, each with the extensions it imports.
EXTENSIONS = {
    "auth": [], "cors": [], "csrf": [], "multipart": [], "sse": [],
    "websocket": [], "session": ["auth"], "login": ["session", "auth"],
}

# Never frozen, and why.
NOT_FOR_DEVICES = {
    "jinja": "it needs Jinja2, which runs on CPython only",
    "asgi": "it adapts the app to CPython's ASGI servers",
    "wsgi": "it adapts the app to CPython's WSGI servers",
    "test_client": "it is for tests, not devices",
    "utemplate": "it needs the utemplate package, which is not frozen",
}

options.defaults(extensions=None)
if options.extensions is None:
    raise ValueError(
        "manifest.py: no extension list; include this file from a board "
        "manifest, e.g. include(\"../../manifest.py\", extensions=[\"sse\"])")
for name in options.extensions:
    if name in NOT_FOR_DEVICES:
        raise ValueError("extensions: %r cannot be frozen: %s; remove it from "
                         "the board's list" % (name, NOT_FOR_DEVICES[name]))
    if name not in EXTENSIONS:
        raise ValueError("extensions: %r is not a framework extension; choose "
                         "from %s" % (name, ", ".join(sorted(EXTENSIONS))))
    for needed in EXTENSIONS[name]:
        if needed not in options.extensions:
            raise ValueError("extensions: %r imports microdot.%s; add %r to the "
                             "board's list" % (name, needed, needed))

package("microdot", base_path="modules",
        files=CORE + [name + ".py" for name in options.extensions])

# The device application. main.py runs at boot (a frozen main.py takes the
# place of one on the filesystem). hw/host.py, the emulated board, stays
# out: on the device hw/__init__.py picks hw/esp32.py.
for name in ("main.py", "api.py", "ota.py", "image.py", "config.py",
             "logs.py", "setup.py", "captive_dns.py", "improv.py"):
    module(name, base_path="app")
package("hw", base_path="app", files=["__init__.py", "esp32.py", "otadata.py"])

# The web UI, gzipped into a generated module (build/webassets/webassets.py)
# that app/api.py serves from flash.
sys.path.insert(0, os.path.abspath("firmware"))
try:
    import webassets_gen
finally:
    sys.path.pop(0)
module("webassets.py", base_path=os.path.dirname(
    webassets_gen.write("app/web", os.path.join("build", "webassets"))))
