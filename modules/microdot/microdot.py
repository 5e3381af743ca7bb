"""Microdot's own module path (`from microdot.microdot import ...`), for apps
written against it. Not loaded by `import microdot`."""
from microdot import *  # noqa: F401,F403
from microdot import __all__  # noqa: F401
