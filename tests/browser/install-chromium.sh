#!/bin/sh
# The browser journeys drive Debian's Chromium. Install it when it is missing and we may
# (root, with apt-get); otherwise say so and carry on: those tests then skip with the reason.
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is not installed (and this is not root with apt-get): the browser tests will skip." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
    || echo "chromium could not be installed: the browser tests will skip." >&2
exit 0
