#!/usr/bin/env bash
# Prints the pinned versions (firmware/versions.env) and every board and
# variant to build (boards/boards.json) as name=value lines for
# $GITHUB_OUTPUT: the workflow takes the ESP-IDF container's tag and its
# build matrix from here.
set -euo pipefail
cd "$(dirname "$0")/.."
. firmware/versions.env
echo "micropython=$MICROPYTHON_VERSION"
echo "esp_idf=$ESP_IDF_VERSION"
echo "esp_idf_image=$ESP_IDF_IMAGE:$ESP_IDF_VERSION"
echo "builds=$(python3 firmware/boards.py --builds)"
