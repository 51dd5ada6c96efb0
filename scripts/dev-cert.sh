#!/usr/bin/env bash
# `npm run cert [-- HOST_OR_IP ...]`: a self-signed development certificate for HTTPS/WSS, so that
# a phone or a second laptop can open the meeting: browsers grant the camera only to secure
# origins, and http://localhost is one but http://<LAN address> is not. Not for production.
# Writes cert.pem and key.pem into $CERT_DIR (default: certs/ at the repository root, git-ignored),
# valid for localhost, 127.0.0.1, ::1 and every host name or IP address given as an argument.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CERT_DIR:-$root/certs}"
shown="${CERT_DIR:-certs}"

if ! command -v openssl >/dev/null 2>&1; then
  echo "cert: openssl is missing (Debian: apt-get install openssl, or scripts/install-test-deps.sh)" >&2
  exit 1
fi

san="DNS:localhost,IP:127.0.0.1,IP:::1"
names="localhost, 127.0.0.1, ::1"
for name in "$@"; do
  if [[ $name =~ ^[0-9]+(\.[0-9]+){3}$ || $name =~ ^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$ ]]; then
    san+=",IP:$name"
  elif [[ $name =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    san+=",DNS:$name"
  else
    echo "cert: \"$name\" is neither an IP address nor a host name" >&2
    exit 2
  fi
  names+=", $name"
done

mkdir -p "$dir"
# P-256: every browser takes it. 365 days: Apple refuses server certificates valid for longer than 825.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=Resume Meeting development" -addext "subjectAltName=$san" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 600 "$dir/key.pem"

echo "Wrote $shown/cert.pem and $shown/key.pem (self-signed, 365 days, for $names)."
echo "Start the server with them:"
echo "  TLS_CERT_FILE=$shown/cert.pem TLS_KEY_FILE=$shown/key.pem npm start"
if [ $# -eq 0 ]; then
  echo "To open it from another machine, name this machine's LAN address: npm run cert -- 192.168.1.20"
  if addresses="$(hostname -I 2>/dev/null | xargs)" && [ -n "$addresses" ]; then
    echo "  (this machine's addresses: $addresses)"
  fi
else
  host="$1"
  [[ $host == *:* ]] && host="[$host]"
  echo "then open https://$host:3000 there and accept the warning about the self-signed certificate."
fi
