#!/usr/bin/env bash
# Makes a fresh Debian machine ready to build, run and test jigd.
# Idempotent: installs only what is missing, so `make demo` / `make test`
# can call it every time. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libserialport-dev libuv1-dev libsqlite3-dev sqlite3 libmicrohttpd-dev
  libmbedtls-dev zlib1g-dev libcjson-dev libcmocka-dev openssl libcurl4-openssl-dev
  # sd_notify readiness and watchdog for the Type=notify unit (deploy/jigd.service)
  libsystemd-dev
  # the label preview's QR code: jigd draws it as SVG for the dashboard
  # (daemon/label/label_svg.c); the printer draws the label's own
  libqrencode-dev
  # package/install judges the installed unit with systemd-analyze
  systemd
  python3 python3-serial nodejs npm chromium curl jq
  # bundle archives as people make them: daemon/test_bundle_archive packs
  # its good archives with the real zip (and tar, gzip: always there)
  zip
  # jigd/station_production holds shift starts to Berlin's summer time
  tzdata
  libgpiod-dev gpiod
  # conformance/ser2net_rfc2217: jigd's RFC 2217 client through a server we did
  # not write. The test runs its own ser2net in the foreground on loopback;
  # Debian's ser2net service (localhost-only sample config) is not used.
  ser2net
  # The VM tests (tests/vm/): a real kernel for the tty and GPIO paths that a
  # container cannot give (QEMU's FTDI adapter, a test GPIO chip module).
  qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
  # promtool, Prometheus' own parser and linter of the text format: the tests
  # of GET /metrics (daemon/metrics_text_promtool, jigd/metrics) read jigd's
  # scrape with it. Debian's Prometheus service is not used (see below).
  prometheus
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" > /dev/null; then
    missing+=("$p")
  fi
done
# nodejs/npm may come from outside Debian (a newer node on PATH is fine).
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian enables ser2net's own service on install; the tests start their
  # own ser2net on loopback, and a station has no use for the sample one.
  if [[ " ${missing[*]} " == *" ser2net "* ]] && command -v systemctl > /dev/null; then
    $SUDO systemctl disable --now ser2net > /dev/null 2>&1 || true
  fi
  # Likewise the Prometheus server the package enables: only promtool is wanted.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl > /dev/null; then
    $SUDO systemctl disable --now prometheus > /dev/null 2>&1 || true
  fi
fi

# Node tools for the tests: esptool-js (Espressif's client, and the source of the
# flasher stubs jigd loads at run time) and playwright-core (browser tests).
if [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
