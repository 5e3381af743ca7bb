"""A small web framework for MicroPython and CPython, with Microdot 2.x's API."""
from microdot.request import Request, HTTPException, abort, MultiDict, \
    NoCaseDict
from microdot.response import Response, redirect, send_file
from microdot.routing import URLPattern
from microdot.app import Microdot

__all__ = ['Microdot', 'Request', 'Response', 'HTTPException', 'abort',
           'redirect', 'send_file', 'URLPattern', 'MultiDict', 'NoCaseDict']
