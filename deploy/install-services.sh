#!/usr/bin/env bash
# Installs what Curbside needs from the operating system on a bare Debian or Ubuntu machine:
# Mosquitto, PostgreSQL and the TimescaleDB extension for the local PostgreSQL major version,
# and, for the web pages' tests (tests/api/test_pages.py), Chromium, its WebDriver and a font.
# promtool too, for the tests of the Prometheus configuration (deploy/prometheus).
# Idempotent: when everything is present it only checks and reports, in a second or two.
#
# TimescaleDB comes from, in order of preference:
#   1. an installed build (its control file is in PostgreSQL's extension folder);
#   2. a binary package that the machine's apt sources carry for this PostgreSQL major;
#   3. the Apache-licensed edition built from the distribution's `timescaledb` source
#      package in a newer suite (Debian 13 "trixie" carries 2.19.3), fetched through the
#      archive address that this machine's own apt sources already use.
#
# Environment:
#   CURBSIDE_TIMESCALEDB_SUITE   suite to take the source package from (default: trixie on
#                                Debian, the running release on Ubuntu)
#   CURBSIDE_BUILD_DIR           where the source is unpacked and built (default: a temp dir)
set -euo pipefail

log() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "run as root or install sudo"
  SUDO="sudo"
fi

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  apt_update_once
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

has_candidate() {
  local cand
  cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$cand" ] && [ "$cand" != "(none)" ]
}

# --- Mosquitto and PostgreSQL -------------------------------------------------------------
apt_install mosquitto mosquitto-clients postgresql postgresql-contrib
PG_CONFIG=""
for candidate in /usr/lib/postgresql/*/bin/pg_config; do
  [ -x "$candidate" ] && PG_CONFIG="$candidate"
done
[ -n "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || true)
[ -n "$PG_CONFIG" ] || die "no pg_config found after installing postgresql"
PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
PG_SHAREDIR=$("$PG_CONFIG" --sharedir)
PG_BINDIR=$("$PG_CONFIG" --bindir)
log "PostgreSQL $PG_MAJOR at $PG_BINDIR; Mosquitto $(mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}')"

timescaledb_installed() { ls "$PG_SHAREDIR"/extension/timescaledb--*.sql >/dev/null 2>&1; }

# --- Chromium: the tests load the web pages in it, headless, and take screenshots --------
apt_install chromium chromium-driver fonts-dejavu-core

# --- promtool: the tests check deploy/prometheus with it (tests/deploy/test_prometheus.py) --
# Debian ships it in the `prometheus` package; the server it also installs is not needed.
apt_install prometheus

# --- TimescaleDB: a packaged build --------------------------------------------------------
if ! timescaledb_installed; then
  apt_update_once
  for pkg in "postgresql-$PG_MAJOR-timescaledb" "timescaledb-2-postgresql-$PG_MAJOR"; do
    if has_candidate "$pkg"; then
      apt_install "$pkg"
      break
    fi
  done
fi

# --- TimescaleDB: built from the distribution's source package ----------------------------
archive_uris() {
  # Print the archive URIs of this machine's apt sources (deb822 and one-line formats),
  # leaving out the security archive, which does not carry the newer suites.
  {
    grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -E 's/^URIs:[[:space:]]*//' | tr ' ' '\n' || true
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk '{print $2}' || true
  } | grep -vE 'security|^$' | awk '!seen[$0]++' || true
}

build_from_source() {
  local os_id suite components uri workdir aptdir
  os_id=$(. /etc/os-release && echo "$ID")
  case "$os_id" in
    debian) suite="${CURBSIDE_TIMESCALEDB_SUITE:-trixie}" components="main" ;;
    ubuntu) suite="${CURBSIDE_TIMESCALEDB_SUITE:-$(. /etc/os-release && echo "$VERSION_CODENAME")}" components="main universe" ;;
    *) die "no TimescaleDB for $os_id: install it and run again" ;;
  esac
  uri=$(archive_uris | grep -iE "debian|ubuntu" | awk 'NR == 1' || true)
  [ -n "$uri" ] || die "no Debian or Ubuntu archive in this machine's apt sources"
  log "building TimescaleDB (Apache-2 edition) from the $suite source package at $uri"

  apt_install build-essential cmake dpkg-dev "postgresql-server-dev-$PG_MAJOR" libssl-dev

  workdir="${CURBSIDE_BUILD_DIR:-$(mktemp -d)}"
  aptdir="$workdir/apt"
  mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ "$os_id" = ubuntu ] && keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
  cat >"$aptdir/sources.list" <<EOF
deb-src [signed-by=$keyring] $uri $suite $components
EOF
  # A private apt state: the machine's own sources and lists are left as they are.
  local aptopts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache::Archives=$aptdir/archives"
    -o "APT::Sandbox::User=root")
  apt-get "${aptopts[@]}" update -qq
  (cd "$workdir" && apt-get "${aptopts[@]}" source --download-only -qq timescaledb)
  local dsc
  dsc=$(ls "$workdir"/timescaledb_*.dsc | head -n 1)
  [ -n "$dsc" ] || die "the $suite suite has no timescaledb source package"
  rm -rf "$workdir/src"
  dpkg-source --no-check -x "$dsc" "$workdir/src" >/dev/null
  log "configuring $(basename "$dsc" .dsc)"
  cmake -S "$workdir/src" -B "$workdir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPG_CONFIG="$PG_CONFIG" -DAPACHE_ONLY=ON -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
    -DWARNINGS_AS_ERRORS=OFF -DSEND_TELEMETRY_DEFAULT=OFF -DUSE_TELEMETRY=OFF >"$workdir/cmake.log" 2>&1 ||
    { tail -n 30 "$workdir/cmake.log" >&2; die "cmake failed (log: $workdir/cmake.log)"; }
  log "compiling on $(nproc) cores"
  cmake --build "$workdir/build" -j "$(nproc)" >"$workdir/build.log" 2>&1 ||
    { tail -n 30 "$workdir/build.log" >&2; die "build failed (log: $workdir/build.log)"; }
  $SUDO cmake --install "$workdir/build" >/dev/null
  [ -n "${CURBSIDE_BUILD_DIR:-}" ] || rm -rf "$workdir"
}

if ! timescaledb_installed; then
  build_from_source
fi
timescaledb_installed || die "TimescaleDB is still not installed"

# --- Verify: CREATE EXTENSION in a throwaway cluster ----------------------------------------
verify_timescaledb() {
  local tmp port version run=()
  tmp=$(mktemp -d)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$tmp"
    run=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${run[@]}" "$PG_BINDIR/initdb" -D "$tmp/data" -A trust -U postgres >/dev/null
  "${run[@]}" "$PG_BINDIR/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o "-p $port -k $tmp -c listen_addresses='' -c shared_preload_libraries=timescaledb" start >/dev/null
  version=$("${run[@]}" psql -h "$tmp" -p "$port" -U postgres -d postgres -Atq \
    -c "CREATE EXTENSION timescaledb" -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'" 2>&1 | tail -n 1) || true
  "${run[@]}" "$PG_BINDIR/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null || true
  rm -rf "$tmp"
  [[ "$version" =~ ^[0-9]+\.[0-9]+ ]] || die "CREATE EXTENSION timescaledb failed: $version"
  log "TimescaleDB $version works with PostgreSQL $PG_MAJOR (CREATE EXTENSION timescaledb)"
}
verify_timescaledb
