#!/usr/bin/env bash
# Installs the pinned Keycloak server distribution into the project-local cache ./.keycloak/<version>/ for the
# Keycloak tests (local/keycloak/): downloaded from Maven Central, checked against its pinned SHA-256, unpacked,
# and built once for the dev-mode options local/keycloak/process.ts starts it with, so that a test start does
# not rebuild the server (about 20 s, and a write into the shared install). Quick when already installed.
#
# Progress goes to stderr. stdout gets one JSON line for local/keycloak/process.ts:
#   {"version":"26.7.3","home":"/abs/.keycloak/26.7.3","java":"/usr/bin/java"}
set -euo pipefail

VERSION=26.7.3
SHA256=77657f30b7e90d70f727712ce1c967f430fd6a5e9f458d32d8c6df0635345f47
URL="https://repo.maven.apache.org/maven2/org/keycloak/keycloak-quarkus-dist/$VERSION/keycloak-quarkus-dist-$VERSION.tar.gz"
# Build-time options of `kc.sh start-dev`; must equal BUILD_OPTIONS in local/keycloak/process.ts, or every start
# rebuilds. Part of the stamp, so changing them here redoes the build.
BUILD_OPTIONS=(--db=dev-mem)
# JVM options of every start, as JAVA_OPTS_APPEND in local/keycloak/process.ts.
JAVA_OPTIONS="-XX:TieredStopAtLevel=1"
# Keycloak 26 runs on Java 17 or newer (26.7.3 checked on 17 and 25).
MIN_JAVA=17

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.keycloak"
home="$cache/$VERSION"
stamp="$home/.installed"
want="$SHA256 ${BUILD_OPTIONS[*]}"

log() { echo "setup-keycloak: $*" >&2; }
die() { log "$*"; exit 1; }

java_major() {
  # `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` (or "1.8.0_412" for Java 8) on stderr.
  "$1" -version 2>&1 | sed -nE '1s/.*version "([0-9]+)(\.[0-9]+)*.*/\1/p'
}

# $JAVA, then $JAVA_HOME, then java on PATH, then any JDK under /usr/lib/jvm: the first one that is new enough.
find_java() {
  local candidate major
  local candidates=()
  [ -n "${JAVA:-}" ] && candidates+=("$JAVA")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for candidate in /usr/lib/jvm/*/bin/java; do [ -e "$candidate" ] && candidates+=("$candidate"); done
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] || continue
    major="$(java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge "$MIN_JAVA" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# Settings a developer's shell may carry that would change how kc.sh or Keycloak run (KC_* options, JVM
# options, kc.sh's DEBUG, which opens a debug port); local/keycloak/process.ts drops the same ones.
for variable in $(compgen -e); do
  case "$variable" in
    KC_* | KEYCLOAK_* | QUARKUS_* | JAVA_OPTS* | JAVA_ADD_OPENS | DEBUG | DEBUG_PORT | DEBUG_SUSPEND) unset "$variable" ;;
  esac
done

java="$(find_java)" || die "Keycloak $VERSION needs Java $MIN_JAVA or newer, and none was found (looked at \$JAVA, \$JAVA_HOME, java on PATH and /usr/lib/jvm/*). Install one (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME."

installed() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$home/bin/kc.sh" ]; }
report() { printf '{"version":"%s","home":"%s","java":"%s"}\n' "$VERSION" "$home" "$java"; }

if installed; then
  report
  exit 0
fi

mkdir -p "$cache"
# Two test runs starting at once must not unpack into the same directory together.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
  if installed; then
    report
    exit 0
  fi
fi

# Runs `kc.sh start-dev` in the background in its own process group (kc.sh runs java as a child; both must
# stop together), output to $1. Sets $server_pid.
start_server() {
  set -m
  JAVA="$java" JAVA_OPTS_APPEND="$JAVA_OPTIONS" "$home/bin/kc.sh" start-dev "${BUILD_OPTIONS[@]}" \
    --http-host=127.0.0.1 --http-port=0 --http-management-port=0 >"$1" 2>&1 </dev/null &
  server_pid=$!
  set +m
}

# SIGTERM to the group, SIGKILL after $1 seconds.
stop_server() {
  [ -n "${server_pid:-}" ] || return 0
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  local waited=0
  while kill -0 -- "-$server_pid" 2>/dev/null; do
    if [ "$waited" -ge "$(($1 * 10))" ]; then
      kill -KILL -- "-$server_pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  server_pid=""
}

# Waits until file $1 contains $2, for at most $3 seconds, while the server runs. Fails otherwise.
wait_for_line() {
  local tenths=0
  while [ "$tenths" -lt "$(($3 * 10))" ]; do
    grep -q "$2" "$1" && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.1
    tenths=$((tenths + 1))
  done
  return 1
}

trap 'stop_server 5' EXIT

command -v curl >/dev/null 2>&1 || die "curl is needed to download Keycloak"
archive="$cache/keycloak-quarkus-dist-$VERSION.tar.gz"
if [ ! -f "$archive" ] || [ "$(sha256sum "$archive" | cut -d' ' -f1)" != "$SHA256" ]; then
  log "downloading Keycloak $VERSION from Maven Central (about 170 MB)"
  curl -fsSL --retry 3 --retry-delay 2 -o "$archive.part" "$URL" || die "download failed: $URL"
  got="$(sha256sum "$archive.part" | cut -d' ' -f1)"
  if [ "$got" != "$SHA256" ]; then
    rm -f "$archive.part"
    die "checksum mismatch for $URL: expected $SHA256, got $got"
  fi
  mv "$archive.part" "$archive"
fi

log "unpacking into .keycloak/$VERSION"
rm -rf "$home"
mkdir -p "$home"
tar -xzf "$archive" -C "$home" --strip-components=1

# `kc.sh start-dev` rebuilds the server for its options on first use and then starts it; there is no
# build-only command for dev mode (`kc.sh build` refuses the dev profile). So start it once and stop it as soon
# as the rebuilt server begins to start: this line is printed only after the rebuild has finished.
log "building Keycloak for dev mode with ${BUILD_OPTIONS[*]} (once, about 20-40 s)"
start_server "$home/.build.log"
if ! wait_for_line "$home/.build.log" 'Running the server in development mode' 600; then
  stop_server 5
  tail -n 30 "$home/.build.log" >&2 || true
  die "the dev-mode build of Keycloak failed (log above, full log in $home/.build.log)"
fi
stop_server 10
grep -q 'Updating the configuration' "$home/.build.log" || log "warning: no rebuild seen; the first test start may rebuild"
rm -f "$archive"
echo "$want" >"$stamp"

trap - EXIT
log "Keycloak $VERSION ready in .keycloak/$VERSION (Java: $java)"
report
