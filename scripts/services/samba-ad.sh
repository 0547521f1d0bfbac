#!/usr/bin/env bash
# Throwaway Samba Active Directory domain controller on loopback (LDAP 389, LDAPS 636, KDC 88).
# Usage: scripts/services/samba-ad.sh start|stop|status
#   HANDOFF_TEST_ROOT  parent folder (default /tmp/handoff-test); the DC runs from $HANDOFF_TEST_ROOT/samba
# Realm EXAMPLE.TEST (base DN DC=example,DC=test), administrator@example.test whose password is
# generated when the domain is provisioned and kept in $DIR/password (mode 600).
# Provisioning takes ~10 s, so it happens once: the provisioned folder is kept in
# $HANDOFF_TEST_ROOT/samba-provisioned and copied back to the same path on each start (~1 s); delete
# that folder to provision again. `ldap server require strong auth = no` lets simple binds and
# unicodePwd writes through on 389 (test setting); LDAPS on 636 uses scripts/services/tls.sh's
# certificate (trust $HANDOFF_TEST_ROOT/tls/ca.pem). The ports are fixed by Samba: one instance per machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${HANDOFF_TEST_ROOT:-/tmp/handoff-test}
DIR=$ROOT/samba
CACHE=$ROOT/samba-provisioned
STAMP="v1 realm=EXAMPLE.TEST"

stop_server() {
  if [ -f "$DIR/samba.pid" ]; then
    local pid
    pid=$(cat "$DIR/samba.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/samba.pid"
  fi
}

provision() {
  rm -rf "$DIR" "$CACHE"
  mkdir -p "$DIR"
  : >"$DIR/empty.conf" # don't inherit /etc/samba/smb.conf
  # a password that meets the domain's complexity policy
  local pass
  pass="Hd$(openssl rand -hex 12)!9"
  if ! samba-tool domain provision -s "$DIR/empty.conf" --targetdir="$DIR" \
      --realm=EXAMPLE.TEST --domain=EXAMPLE --server-role=dc --dns-backend=NONE \
      --use-rfc2307 --host-name=dc1 --backend-store=mdb --adminpass="$pass" \
      --option="interfaces=lo" --option="bind interfaces only=yes" >"$DIR/provision.log" 2>&1; then
    echo "samba-ad.sh: provisioning failed:" >&2; tail -n 30 "$DIR/provision.log" >&2; exit 1
  fi
  (umask 077; printf '%s' "$pass" >"$DIR/password")
  # settings provision does not persist; trim the service list (no smbd/nmbd/rpc/dns)
  sed -i -e 's/^\s*server services = .*/\tserver services = ldap, cldap, kdc/' -e "/^\[global\]/a\\
\tldap server require strong auth = no\\
\tldb:nosync = true\\
\ttls enabled = yes\\
\ttls keyfile = $DIR/tls/server.key\\
\ttls certfile = $DIR/tls/server.pem\\
\ttls cafile = $DIR/tls/ca.pem\\
\tlog file = $DIR/log.%m\\
\tpid directory = $DIR" "$DIR/etc/smb.conf"
  echo "$STAMP" >"$DIR/stamp"
  cp -a "$DIR" "$CACHE"
}

case "${1:-start}" in
start)
  stop_server
  if [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$STAMP" ]; then
    rm -rf "$DIR"
    cp -a "$CACHE" "$DIR"
  else
    provision
  fi
  TLS=$("$HERE/tls.sh")
  mkdir -p "$DIR/tls"
  cp "$TLS/server.pem" "$TLS/server.key" "$TLS/ca.pem" "$DIR/tls/"
  chmod 600 "$DIR/tls/server.key"
  samba -i -s "$DIR/etc/smb.conf" >"$DIR/samba.out" 2>&1 &
  echo $! >"$DIR/samba.pid"
  for _ in $(seq 1 300); do
    ldapsearch -x -H ldap://127.0.0.1:389 -D administrator@example.test -y "$DIR/password" \
      -b "" -s base defaultNamingContext >/dev/null 2>&1 && break
    kill -0 "$(cat "$DIR/samba.pid")" 2>/dev/null || { echo "samba-ad.sh: samba exited:" >&2; tail -n 20 "$DIR/samba.out" >&2; exit 1; }
    sleep 0.2
  done
  ldapsearch -x -H ldap://127.0.0.1:389 -D administrator@example.test -y "$DIR/password" \
    -b "" -s base defaultNamingContext >/dev/null 2>&1 || { echo "samba-ad.sh: no answer on 389" >&2; exit 1; }
  echo "samba-ad: ready on ldap://127.0.0.1:389 and ldaps://127.0.0.1:636 (pid $(cat "$DIR/samba.pid"), data $DIR)"
  ;;
stop)
  stop_server
  echo "samba-ad: stopped"
  ;;
status)
  if [ -f "$DIR/samba.pid" ] && kill -0 "$(cat "$DIR/samba.pid")" 2>/dev/null; then
    echo "samba-ad: running on 127.0.0.1:389"
  else
    echo "samba-ad: not running"; exit 3
  fi
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2
  ;;
esac
