#!/bin/sh
# What some tests need beyond Python: Debian's chromium (the browser journeys), redis-server
# (rate limits shared by several workers) and a Java runtime, plus the Nu HTML Checker from
# npm (every page must be valid HTML). Install what is missing when we may (Debian packages
# as root with apt-get; the checker with npm, into the git-ignored .tools/ of this checkout);
# otherwise say so and carry on: the tests that need them then skip with the reason.
VNU_VERSION=26.9.27
VNU_FOLDER="$(dirname "$0")/../.tools/vnu"
VNU_PACKAGE="$VNU_FOLDER/node_modules/vnu-jar/package.json"

vnu_installed() {
    grep -q "\"version\": *\"$VNU_VERSION\"" "$VNU_PACKAGE" 2>/dev/null
}

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
vnu_installed || command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -z "$missing" ]; then
    :
elif [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "not installed:$missing (and this is not root with apt-get): the tests that need them will skip." >&2
else
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086  # one word per package
    apt-get install -y -q $missing >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing >/dev/null 2>&1; } \
        || echo "could not install:$missing; the tests that need them will skip." >&2
fi

if vnu_installed; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing, so the Nu HTML Checker (vnu-jar) is not installed: the HTML check will skip." >&2
    exit 0
fi
# --ignore-scripts: the package's own install step would download a Java runtime from the
# internet when none is found; Debian's default-jre-headless above is the one to use.
npm install --prefix "$VNU_FOLDER" --ignore-scripts --no-audit --no-fund --no-save \
    "vnu-jar@$VNU_VERSION" >/dev/null 2>&1 \
    || echo "npm could not install vnu-jar@$VNU_VERSION: the HTML check will skip." >&2
exit 0
