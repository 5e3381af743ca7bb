# What this board's firmware freezes: the project's manifest with the
# framework extensions the C3 (4 MB flash, 400 KB RAM) ships. The app needs
# sse (the live status page) and auth (the OTA token); nothing else, to keep
# the image and its RAM small. The list is documented in the README.
include("../../manifest.py", extensions=["sse", "auth"])
