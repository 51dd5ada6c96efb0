#!/usr/bin/env bash
# Installs what the tests need beyond npm: Debian's Chromium (Playwright drives it; browser
# downloads are blocked), Debian's Firefox ESR (puppeteer-core drives it over WebDriver BiDi in
# the Firefox e2e tests), Redis (scale-out tests), iproute2/iptables (network-namespace tests),
# coturn's `turnserver` (the NAT lab's TURN server) and openssl (throwaway certificates for the
# HTTPS tests; `npm run cert`). Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v sysctl >/dev/null 2>&1 || [ -x /sbin/sysctl ] || need+=(procps)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v turnserver >/dev/null 2>&1 || [ -x /usr/bin/turnserver ] || need+=(coturn)
# Firefox with its recommends (libavcodec: the decoders the Firefox tests were measured with).
need_full=()
command -v firefox-esr >/dev/null 2>&1 || [ -x /usr/bin/firefox-esr ] || need_full+=(firefox-esr)

if [ ${#need[@]} -eq 0 ] && [ ${#need_full[@]} -eq 0 ]; then
  echo "install-test-deps: chromium, firefox-esr, redis-server, iproute2, iptables, procps, openssl, coturn already present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-test-deps: installing ${need[*]} ${need_full[*]}"
$sudo apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ${#need_full[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_full[@]}" >/dev/null
fi
