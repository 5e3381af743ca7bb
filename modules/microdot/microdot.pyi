# Types of microdot/microdot.py, Microdot's own import path.
from microdot import HTTPException as HTTPException
from microdot import Microdot as Microdot
from microdot import MultiDict as MultiDict
from microdot import NoCaseDict as NoCaseDict
from microdot import Request as Request
from microdot import Response as Response
from microdot import URLPattern as URLPattern
from microdot import abort as abort
from microdot import redirect as redirect
from microdot import send_file as send_file
from microdot.urlencoded import urldecode as urldecode
from microdot.urlencoded import urlencode as urlencode
