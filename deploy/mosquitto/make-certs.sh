#!/usr/bin/env bash
# Makes a certificate authority and a server certificate for the broker's TLS listener, for
# tests, demos and a city without a CA of its own:
#
#   deploy/mosquitto/make-certs.sh DIR NAME [NAME...]
#
# DIR receives ca.crt and ca.key (made once, kept when present), server.crt and server.key
# (made anew on every run). Each NAME (a DNS name, or an IPv4 or IPv6 address) is one the
# clients may connect to; the first is also the certificate's common name. Clients trust
# ca.crt (the ingest: CURBSIDE_MQTT_CA_FILE; a gateway: its "CA certificate" setting). ca.key
# signs any further server certificate: keep it away from the broker in a real deployment.
#
# Environment:
#   CURBSIDE_CERT_DAYS   validity of the server certificate in days (default 825);
#                        the CA's is ten times that
#   CURBSIDE_CERT_KEY    ec (P-256, the default) or rsa (3072 bits, for old TLS stacks)
#   CURBSIDE_CERT_OWNER  user[:group] to give server.key to when run as root (default
#                        mosquitto when that user exists; 1883:1883 for the container image)
set -euo pipefail

die() { printf 'make-certs: %s\n' "$*" >&2; exit 2; }

[ "$#" -ge 2 ] || die "usage: make-certs.sh DIR NAME [NAME...]"
dir=$1
shift
days=${CURBSIDE_CERT_DAYS:-825}
[[ "$days" =~ ^[1-9][0-9]*$ ]] || die "CURBSIDE_CERT_DAYS must be a positive number of days"
case "${CURBSIDE_CERT_KEY:-ec}" in
  ec) keyopts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) usage="digitalSignature" ;;
  rsa) keyopts=(-algorithm RSA -pkeyopt rsa_keygen_bits:3072) usage="digitalSignature, keyEncipherment" ;;
  *) die "CURBSIDE_CERT_KEY must be ec or rsa" ;;
esac

# The names as a subjectAltName: addresses as IP entries, the rest as DNS entries.
san=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9]+(\.[0-9]+){3}$ || "$name" == *:* ]]; then
    entry="IP:$name"
  elif [[ "$name" =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    entry="DNS:$name"
  else
    die "not a host name or address: $name"
  fi
  san="${san:+$san,}$entry"
done

mkdir -p "$dir"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -s "$dir/ca.key" ] || [ ! -s "$dir/ca.crt" ]; then
  openssl genpkey "${keyopts[@]}" -out "$dir/ca.key" 2>/dev/null
  openssl req -new -x509 -key "$dir/ca.key" -out "$dir/ca.crt" -days $((days * 10)) \
    -subj "/O=Curbside/CN=Curbside broker CA $(date -u +%Y-%m-%d)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
  printf 'make-certs: new CA in %s/ca.crt\n' "$dir" >&2
fi

cat >"$work/server.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, $usage
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl genpkey "${keyopts[@]}" -out "$work/server.key" 2>/dev/null
openssl req -new -key "$work/server.key" -out "$work/server.csr" -subj "/O=Curbside/CN=$1"
openssl x509 -req -in "$work/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
  -CAcreateserial -CAserial "$work/ca.srl" -days "$days" -sha256 \
  -extfile "$work/server.ext" -out "$work/server.crt" 2>/dev/null
openssl verify -CAfile "$dir/ca.crt" "$work/server.crt" >/dev/null ||
  die "the new server certificate does not verify against $dir/ca.crt"

chmod 644 "$dir/ca.crt" "$work/server.crt"
chmod 640 "$work/server.key"
if [ "$(id -u)" -eq 0 ]; then
  owner=${CURBSIDE_CERT_OWNER:-}
  if [ -z "$owner" ] && id mosquitto >/dev/null 2>&1; then
    owner=mosquitto:mosquitto
  fi
  [ -z "$owner" ] || chown "$owner" "$work/server.key"
fi
mv "$work/server.key" "$dir/server.key"
mv "$work/server.crt" "$dir/server.crt"
printf 'make-certs: %s/server.crt for %s, valid %s days\n' "$dir" "$san" "$days" >&2
