"""Sphinx configuration of the documentation site (make docs).

The pages are Markdown (MyST); the API reference is made by autodoc from
the framework's docstrings, imported from modules/ on CPython. The build
runs with -W: any warning (a broken link, a missing docstring target, a
name autodoc cannot import) fails it.
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'modules'))

import microdot  # noqa: E402  (from modules/, after the path is set)

project = 'microdot-esp'
author = 'the microdot-esp authors'
copyright = '2026, ' + author
release = version = microdot.__version__

extensions = ['myst_parser', 'sphinx.ext.autodoc']
source_suffix = {'.md': 'markdown'}
exclude_patterns = ['_build']

# quotes stay as written: they are often header values or code
smartquotes = False
# every reference must resolve, Python names in the API reference included
nitpicky = True
# headings get anchors, for links such as [Limits](framework.md#limits)
myst_heading_anchors = 3

# members in the order the code has them; each directive in api.md names
# the members it documents, so that helpers stay out of the reference
autodoc_member_order = 'bysource'

html_theme = 'alabaster'
html_title = 'microdot-esp ' + release
html_theme_options = {'description': 'A web framework for MicroPython '
                                      'devices, with Microdot 2.x\'s API',
                      'page_width': '1160px'}
html_static_path = ['_static']
html_css_files = ['site.css']
