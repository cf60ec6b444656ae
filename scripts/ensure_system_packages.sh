#!/usr/bin/env bash
# Installs the Debian packages Zhiku needs beside Python: ffmpeg (decodes audio and video) and, for the
# tests, espeak-ng (synthesises speech clips), a CJK font (renders scanned-page fixtures) and Chromium (the
# browser tests drive it with Playwright) and slapd (directory sign-in tests).
# Usage: ensure_system_packages.sh [test]
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
if [ "${1:-}" = "test" ]; then
  command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
  [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # OpenLDAP's server: tests/test_ldap_sign_in.py signs in against a real directory on loopback
  [ -x /usr/sbin/slapd ] || need+=(slapd)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install these packages first: ${need[*]} (Debian/Ubuntu: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "Installing ${need[*]} from Debian's packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
