#!/usr/bin/env bash
# Adds, changes, removes and lists the broker's users: a password in passwd (through
# mosquitto_passwd) and a block of topics in acl, both in the broker's private folder.
#
#   users.sh ingest NAME                    reads every topic and $SYS; publishes nothing
#   users.sh tts NAME APPLICATION[@TENANT]  publishes v3/APPLICATION@TENANT/devices/+/up
#   users.sh chirpstack NAME APPLICATION_ID publishes application/APPLICATION_ID/device/+/event/up
#   users.sh devices NAME DEVICE_ID...      publishes PREFIX/devices/DEVICE_ID/up and .../status
#                                           for each device named
#   users.sh remove NAME
#   users.sh list
#
# Adding a user that exists replaces its password and its topics. The password is the first
# line of standard input; from a terminal, a new random one is made and printed instead.
# Gateways read nothing. The broker rereads both files on SIGHUP (`systemctl reload
# mosquitto`, `docker compose kill -s HUP mosquitto`); docs/broker.md has the details.
#
# Environment:
#   CURBSIDE_BROKER_DIR    the folder of passwd and acl (default: private/ beside this script,
#                          which deploy/compose.yaml mounts; /etc/mosquitto/curbside on a host)
#   CURBSIDE_TOPIC_PREFIX  the prefix of Curbside's own topics (default curbside/v1), as the
#                          ingest's setting of the same name
#   CURBSIDE_BROKER_OWNER  user[:group] to give the files to when run as root (default
#                          mosquitto when that user exists; 1883:1883 for the container image)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${CURBSIDE_BROKER_DIR:-$here/private}
prefix=${CURBSIDE_TOPIC_PREFIX:-curbside/v1}
passwd="$dir/passwd"
acl="$dir/acl"

die() { printf 'users: %s\n' "$*" >&2; exit 2; }
usage() { printf 'usage:\n' >&2; sed -n '5,12s/^#//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

# A user name goes into the ACL file as one word: letters, digits and . _ - @ only.
check_name() {
  [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$ ]] || die "not a valid user name: '$1'"
}

# One level of a topic: no separator, no wildcard, no white space.
check_level() {
  [[ -n "$2" && ! "$2" =~ [/+#[:space:]] ]] || die "not a valid $1: '$2'"
}

prepare() {
  command -v mosquitto_passwd >/dev/null || die "mosquitto_passwd not found: install mosquitto"
  [[ -n "$prefix" && ! "$prefix" =~ [+#[:space:]] && "$prefix" != /* && "$prefix" != */ ]] ||
    die "not a valid topic prefix: '$prefix'"
  umask 027
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    own "$dir"
  fi
  [ -e "$passwd" ] || : >"$passwd"
  [ -e "$acl" ] || cp "$here/acl" "$acl"
}

# What the broker reads is not for others, and the broker's user owns it when we are root:
# the broker rereads the files on SIGHUP after it has given up root.
own() {
  if [ "$(id -u)" -eq 0 ]; then
    local owner=${CURBSIDE_BROKER_OWNER:-}
    if [ -z "$owner" ] && id mosquitto >/dev/null 2>&1; then
      owner=mosquitto:mosquitto
    fi
    [ -z "$owner" ] || chown "$owner" "$@"
  fi
}

settle() {
  chmod 640 "$@"
  own "$@"
}

# The ACL file without NAME's block (from its `user` line to the blank line that ends it).
without_block() {
  awk -v user="user $1" '
    $0 == user { skipping = 1; next }
    skipping && /^[[:space:]]*$/ { skipping = 0; next }
    !skipping
  ' "$acl"
}

password() {
  local password
  if [ -t 0 ]; then
    password=$(openssl rand -base64 33 | tr -d '/+=\n')
    printf '%s\n' "$password"
  else
    IFS= read -r password || true
    [ -n "$password" ] || die "no password on standard input"
  fi
  REPLY=$password
}

add() {
  local kind=$1 name=$2
  shift 2
  local topics=()
  case "$kind" in
    ingest)
      [ "$#" -eq 0 ] || usage
      topics=("read #" "read \$SYS/#")
      ;;
    tts)
      [ "$#" -eq 1 ] || usage
      [[ "$1" =~ ^[A-Za-z0-9._-]+(@[A-Za-z0-9._-]+)?$ ]] ||
        die "not a valid The Things Stack application[@tenant]: '$1'"
      topics=("write v3/$1/devices/+/up")
      ;;
    chirpstack)
      [ "$#" -eq 1 ] || usage
      [[ "$1" =~ ^[A-Za-z0-9._-]+$ ]] || die "not a valid ChirpStack application id: '$1'"
      topics=("write application/$1/device/+/event/up")
      ;;
    devices)
      [ "$#" -ge 1 ] || usage
      local device
      for device in "$@"; do
        check_level "device id" "$device"
        topics+=("write $prefix/devices/$device/up" "write $prefix/devices/$device/status")
      done
      ;;
  esac
  check_name "$name"
  prepare
  password
  local password=$REPLY
  printf '%s\n%s\n' "$password" "$password" | mosquitto_passwd "$passwd" "$name" >/dev/null
  {
    without_block "$name"
    printf 'user %s\n# users.sh: %s\n' "$name" "$kind${*:+ $*}"
    printf 'topic %s\n' "${topics[@]}"
    printf '\n'
  } >"$acl.new"
  settle "$passwd" "$acl.new"
  mv "$acl.new" "$acl"
  printf 'users: %s (%s) set; reload the broker to apply\n' "$name" "$kind" >&2
}

has_password() { cut -d: -f1 "$passwd" | grep -qxF -- "$1"; }

remove() {
  check_name "$1"
  prepare
  has_password "$1" || [ "$(without_block "$1")" != "$(cat "$acl")" ] || die "no user $1"
  if has_password "$1"; then
    mosquitto_passwd -D "$passwd" "$1" >/dev/null
  fi
  without_block "$1" >"$acl.new"
  settle "$passwd" "$acl.new"
  mv "$acl.new" "$acl"
  printf 'users: %s removed; reload the broker to apply\n' "$1" >&2
}

list() {
  [ -e "$acl" ] || return 0
  awk '
    /^user / { user = $2 }
    user && /^# users.sh: / { sub(/^# users.sh: /, ""); print user "\t" $0; user = "" }
  ' "$acl"
}

[ "$#" -ge 1 ] || usage
command=$1
shift
case "$command" in
  ingest | tts | chirpstack | devices)
    [ "$#" -ge 1 ] || usage
    add "$command" "$@"
    ;;
  remove) [ "$#" -eq 1 ] || usage; remove "$1" ;;
  list) [ "$#" -eq 0 ] || usage; list ;;
  *) usage ;;
esac
