#!/usr/bin/env bash
# Throwaway OpenLDAP (slapd, mdb, no fsync) on loopback for the integration tests.
# Usage: scripts/services/slapd.sh start|resume|stop|status
#   start   ends a leftover instance of its own, throws the old data away, starts empty
#   resume  starts again on the data a `stop` left (the "server came back" case of the tests)
#   HANDOFF_TEST_ROOT         parent folder (default /tmp/handoff-test)
#   HANDOFF_SLAPD_DIR         data folder (default $HANDOFF_TEST_ROOT/slapd): a second instance needs its own
#   HANDOFF_SLAPD_PORT        LDAP + StartTLS port on 127.0.0.1 (default 3890)
#   HANDOFF_SLAPD_LDAPS_PORT  LDAPS port (default: LDAP port + 1000)
#   HANDOFF_SLAPD_TLS_DIR     ca.pem, server.pem, server.key to serve (default: scripts/services/tls.sh's)
#   HANDOFF_SLAPD_SECURITY    a slapd.conf `security` line, e.g. "simple_bind=128": binds with a
#                             password only over TLS (the tests that prove StartTLS encrypts)
# Suffix dc=example,dc=test with ou=people and ou=groups; rootdn cn=admin,dc=example,dc=test whose
# password is generated on start and written to $DIR/password (mode 600). TLS uses the certificate
# of scripts/services/tls.sh (trust $HANDOFF_TEST_ROOT/tls/ca.pem). Loads the ppolicy overlay (a
# locked account cannot bind) and the unique overlay for uid (a username is unique in the whole suffix,
# as sAMAccountName is in an AD domain), and the core, cosine, inetorgperson and nis schemas.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${HANDOFF_TEST_ROOT:-/tmp/handoff-test}
DIR=${HANDOFF_SLAPD_DIR:-$ROOT/slapd}
PORT=${HANDOFF_SLAPD_PORT:-3890}
LDAPS_PORT=${HANDOFF_SLAPD_LDAPS_PORT:-$((PORT + 1000))}
URI="ldap://127.0.0.1:$PORT/"
BASE="dc=example,dc=test"
ROOTDN="cn=admin,$BASE"

stop_server() {
  if [ -f "$DIR/slapd.pid" ]; then
    local pid
    pid=$(cat "$DIR/slapd.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/slapd.pid"
  fi
}

tls_dir() { if [ -n "${HANDOFF_SLAPD_TLS_DIR:-}" ]; then echo "$HANDOFF_SLAPD_TLS_DIR"; else "$HERE/tls.sh"; fi; }

run_server() {
  TLS=$(tls_dir)
  slaptest -Q -u -f "$DIR/slapd.conf" >/dev/null 2>&1 || { slaptest -u -f "$DIR/slapd.conf" >&2; exit 1; }
  # no -u/-g: runs as the caller; -h restricts the listeners to loopback
  slapd -h "$URI ldaps://127.0.0.1:$LDAPS_PORT/" -f "$DIR/slapd.conf"
  for _ in $(seq 1 100); do
    ldapsearch -x -H "$URI" -b "" -s base namingContexts >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "slapd.sh: slapd did not answer on $URI" >&2
  exit 1
}

case "${1:-start}" in
start)
  stop_server
  rm -rf "$DIR"
  mkdir -p "$DIR/db"
  TLS=$(tls_dir)
  PASSWORD=$(openssl rand -hex 16)
  umask 077
  printf '%s' "$PASSWORD" >"$DIR/password"
  cat >"$DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile  $DIR/slapd.pid
argsfile $DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload unique
sizelimit unlimited
TLSCACertificateFile $TLS/ca.pem
TLSCertificateFile $TLS/server.pem
TLSCertificateKeyFile $TLS/server.key
database mdb
suffix   "$BASE"
rootdn   "$ROOTDN"
rootpw   $PASSWORD
directory $DIR/db
maxsize  4294967296
dbnosync
index objectClass eq
index uid,cn,mail,employeeNumber,member eq
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$BASE"
overlay unique
unique_uri ldap:///?uid?sub
CONF
  if [ -n "${HANDOFF_SLAPD_SECURITY:-}" ]; then
    # a global directive: before the first `database` line
    sed -i "s/^database mdb/security ${HANDOFF_SLAPD_SECURITY}\ndatabase mdb/" "$DIR/slapd.conf"
  fi
  run_server
  ZZ=()
  [ -n "${HANDOFF_SLAPD_SECURITY:-}" ] && ZZ=(-ZZ)
  LDAPTLS_CACERT=$TLS/ca.pem ldapadd -x "${ZZ[@]}" -H "$URI" -D "$ROOTDN" -y "$DIR/password" >/dev/null <<LDIF
dn: $BASE
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,$BASE
objectClass: organizationalUnit
ou: people

dn: ou=groups,$BASE
objectClass: organizationalUnit
ou: groups

dn: ou=policies,$BASE
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,$BASE
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
LDIF
  echo "slapd: ready on $URI and ldaps://127.0.0.1:$LDAPS_PORT/ (pid $(cat "$DIR/slapd.pid"), data $DIR)"
  ;;
resume)
  [ -f "$DIR/slapd.conf" ] || { echo "slapd.sh: nothing to resume in $DIR; use start" >&2; exit 1; }
  stop_server
  run_server
  echo "slapd: resumed on $URI (pid $(cat "$DIR/slapd.pid"))"
  ;;
stop)
  stop_server
  echo "slapd: stopped"
  ;;
status)
  if [ -f "$DIR/slapd.pid" ] && kill -0 "$(cat "$DIR/slapd.pid")" 2>/dev/null; then
    echo "slapd: running on $URI"
  else
    echo "slapd: not running"; exit 3
  fi
  ;;
*)
  echo "usage: $0 start|resume|stop|status" >&2; exit 2
  ;;
esac
