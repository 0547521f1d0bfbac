#!/usr/bin/env bash
# A throwaway certificate authority and one server certificate for 127.0.0.1 / localhost, made at run
# time (never committed) and shared by slapd.sh and samba-ad.sh, so LDAPS and StartTLS are tested
# with real certificate verification: clients trust $HANDOFF_TEST_ROOT/tls/ca.pem (LDAPTLS_CACERT).
# Usage: scripts/services/tls.sh  -> prints the folder; makes the files only when missing.
#   HANDOFF_TLS_DIR  where to write (default $HANDOFF_TEST_ROOT/tls)
#   HANDOFF_TLS_CA   a folder whose ca.pem/ca.key sign the server certificate instead of a new CA
#   HANDOFF_TLS_SAN  the names the certificate is for (default IP:127.0.0.1,DNS:localhost)
# The TLS tests use the last three for certificates that must be refused (unknown CA, other name).
set -euo pipefail
ROOT=${HANDOFF_TEST_ROOT:-/tmp/handoff-test}
DIR=${HANDOFF_TLS_DIR:-$ROOT/tls}
SAN=${HANDOFF_TLS_SAN:-IP:127.0.0.1,DNS:localhost}
if [ ! -s "$DIR/server.pem" ] || [ ! -s "$DIR/ca.pem" ]; then
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  if [ -n "${HANDOFF_TLS_CA:-}" ]; then
    cp "$HANDOFF_TLS_CA/ca.pem" "$HANDOFF_TLS_CA/ca.key" "$DIR/"
  else
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=Handoff test CA" \
      -keyout "$DIR/ca.key" -out "$DIR/ca.pem" >/dev/null 2>&1
  fi
  FIRST=${SAN%%,*}
  openssl req -newkey rsa:2048 -nodes -subj "/CN=${FIRST#*:}" \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$SAN" >"$DIR/ext.cnf"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial \
    -days 7 -extfile "$DIR/ext.cnf" -out "$DIR/server.pem" >/dev/null 2>&1
  chmod 600 "$DIR/server.key" "$DIR/ca.key"
fi
echo "$DIR"
