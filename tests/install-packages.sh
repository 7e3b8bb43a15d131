#!/bin/sh
# Debian packages some tests need: chromium (the browser journeys) and redis-server (rate
# limits shared by several workers). Install those missing when we may (root, with apt-get);
# otherwise say so and carry on: those tests then skip with the reason.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "not installed:$missing (and this is not root with apt-get): the tests that need them will skip." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # one word per package
apt-get install -y -q $missing >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing >/dev/null 2>&1; } \
    || echo "could not install:$missing; the tests that need them will skip." >&2
exit 0
