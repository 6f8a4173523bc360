#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what is missing (Python packages, pyspark for the Spark
# build's tests, Debian's Chromium and its driver for the browser tests, redis-server for the view-cache tests,
# a Java 17 runtime for Spark), then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --disable-pip-version-check -q -r requirements-dev.txt -r requirements-spark.txt

# Debian packages the tests start: Chromium and its driver (browser tests), redis-server (the shared view cache),
# Java 17 (the Spark build's tests).
missing=""
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || missing="chromium chromium-driver"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
if [ -n "$missing" ]; then
    echo "installing Debian's $missing for the tests..."
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

exec python -m pytest "$@"
