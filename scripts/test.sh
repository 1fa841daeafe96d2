#!/usr/bin/env bash
# Set up everything the tests need and run the whole suite: lint (ruff), types (mypy) and
# tests (pytest). Extra arguments go to pytest.
#
# System packages (installed when missing and running as root, e.g. in CI): python3-venv;
# Debian's chromium for the browser tests, which Playwright drives with that executable
# (Playwright never downloads a browser of its own); nsd and openssl for the DNS, SPF, DKIM and
# DMARC tests, which start nsd on loopback; postgresql for the web history test, which starts
# its own server on loopback. Without them those tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    echo "test.sh: please install $* (apt-get install $*)" >&2
  fi
}
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then apt_install python3-venv; fi
if ! command -v chromium >/dev/null 2>&1; then apt_install chromium || true; fi
# nsd: a real authoritative DNS server the online checks are tested against (on loopback).
if ! command -v nsd >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then apt_install nsd openssl || true; fi
# strace: the offline guarantee is tested by tracing every network syscall.
if ! command -v strace >/dev/null 2>&1; then apt_install strace || true; fi
# PostgreSQL server binaries: the web history is also tested on a real PostgreSQL it starts.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then apt_install postgresql || true; fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check src tests scripts bench
.venv/bin/mypy
.venv/bin/pytest "$@"
