#!/usr/bin/env bash
# A throwaway certificate authority and one server certificate for 127.0.0.1 / localhost, made at run
# time (never committed) and shared by slapd.sh and samba-ad.sh, so LDAPS and StartTLS are tested
# with real certificate verification: clients trust $HANDOFF_TEST_ROOT/tls/ca.pem (LDAPTLS_CACERT).
# Usage: scripts/services/tls.sh  -> prints the folder; makes the files only when missing.
set -euo pipefail
ROOT=${HANDOFF_TEST_ROOT:-/tmp/handoff-test}
DIR=$ROOT/tls
if [ ! -s "$DIR/server.pem" ] || [ ! -s "$DIR/ca.pem" ]; then
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=Handoff test CA" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$DIR/ext.cnf"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial \
    -days 7 -extfile "$DIR/ext.cnf" -out "$DIR/server.pem" >/dev/null 2>&1
  chmod 600 "$DIR/server.key" "$DIR/ca.key"
fi
echo "$DIR"
