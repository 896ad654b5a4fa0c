#!/bin/sh
# The browser the report's render tests drive: Debian's chromium, installed when it is missing and this
# user may install packages (root, as on CI). Without root it says so and the browser tests are skipped;
# as root, a failed install fails the command, so CI never skips them silently.
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "tests/install_browser.sh: no chromium, and no root apt-get to install it: the browser tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null && command -v chromium >/dev/null
