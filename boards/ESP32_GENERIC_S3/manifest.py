# What this board's firmware freezes: the project's manifest with the
# framework extensions the S3 (8 MB flash, more RAM) ships: the app's sse
# and auth, plus websocket, cors and session for apps built on this image.
# The list is documented in the README.
include("../../manifest.py", extensions=["sse", "auth", "websocket", "cors",
                                         "session"])
