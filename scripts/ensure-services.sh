#!/usr/bin/env bash
# Makes sure the real PostgreSQL and Redis the tests need are answering on 127.0.0.1:
# starts them when installed but stopped, installs them from Debian's packages when missing.
set -u

log() { echo "[services] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
wait_for() { local check=$1 i; for i in $(seq 1 40); do "$check" && return 0; sleep 0.5; done; return 1; }

if [ -z "${DATABASE_URL:-}${TEST_DATABASE_URL:-}" ]; then
  if ! pg_ready; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      log "installing PostgreSQL"
      apt_install postgresql
    fi
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then log "no PostgreSQL cluster found"; exit 1; fi
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || as_root pg_ctlcluster "$version" main start
    wait_for pg_ready || { log "PostgreSQL did not become ready"; exit 1; }
    # Fresh clusters allow only peer auth for postgres over the socket; the tests connect over TCP.
    if ! psql -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
      hba=$(ls /etc/postgresql/"$version"/main/pg_hba.conf)
      as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
    fi
  fi
  log "PostgreSQL ready"
fi

if ! redis_ready; then
  if ! command -v redis-server >/dev/null 2>&1; then
    log "installing Redis"
    apt_install redis-server
  fi
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
  wait_for redis_ready || { log "Redis did not become ready"; exit 1; }
fi
log "Redis ready"

if [ ! -x /usr/bin/chromium ] && [ "${PAKN_SKIP_BROWSER:-}" != 1 ]; then
  log "installing Debian chromium for the browser tests"
  apt_install chromium || log "chromium could not be installed; browser tests will fail"
fi
exit 0
