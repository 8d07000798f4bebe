#!/usr/bin/env bash
# Make sure Debian's Chromium and a font with Chinese glyphs are installed, for the Playwright browser tests.
# Only Debian's packages are used: this script never downloads a browser any other way (no `playwright install`).
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# Without a CJK font the screenshots show tofu boxes instead of Chinese text.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    need+=(fonts-noto-cjk)
fi
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "ensure-chromium: missing ${need[*]}; install them as root: apt-get install -y ${need[*]}" >&2
        exit 1
    fi
else
    SUDO=()
fi

echo "ensure-chromium: installing ${need[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
[ -x /usr/bin/chromium ] || { echo "ensure-chromium: /usr/bin/chromium still missing" >&2; exit 1; }
