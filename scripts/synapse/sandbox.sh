#!/usr/bin/env bash
# A real Synapse (Debian sid's matrix-synapse package) in a debootstrap chroot on a Debian host, for the
# real-server test lane and for checking the devserver against the real thing. See docs/synapse.md.
#
# usage: sandbox.sh build
#        sandbox.sh start --mas URL --mas-secret SECRET [--port 8008] [--data DIR]
#                         [--msc4388-mode open|authenticated|off] [--extra-config FILE]
#                         [--timeout SECONDS] [--foreground]
#        sandbox.sh stop [--port N]          (without --port: every instance this script started)
#        sandbox.sh status
#
# Exit status 77 means "Synapse cannot be built or run on this machine" (not root, no debootstrap, mirror
# unreachable, sid's package broken today); the test runner reports that as skipped, never as passed.
# Only `start` writes to stdout, exactly one line: "synapse ready at <base URL>". Everything else goes to stderr.
set -euo pipefail

readonly SKIP_STATUS=77
readonly CACHE_DIR="${MATRIX_QR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/matrix-qr-login}"
readonly ROOT="$CACHE_DIR/synapse-chroot"
# Built here first and renamed to $ROOT only when complete, so an interrupted build is never mistaken for a
# usable chroot; the debootstrap stage is kept, so a retry (e.g. the next day, when sid installs again) only
# repeats the package install.
readonly PARTIAL="$CACHE_DIR/synapse-chroot.partial"
readonly STATE_DIR="$CACHE_DIR/synapse-state"
readonly LEDGER="$STATE_DIR/mounts"       # "owner<TAB>mount point" for every mount this script made
readonly INSTANCES="$STATE_DIR/instances" # one file per running port: pid and data dir
readonly READY_STAMP=".matrix-qr-login-ready"
readonly DEBOOTSTRAP_STAMP=".matrix-qr-login-debootstrapped"
readonly DATA_MARKER=".matrix-qr-sandbox-data"
# Where a run's data directory appears inside the chroot (bind-mounted from the host).
readonly INNER_DATA_BASE="/srv/matrix-qr-login"

log() { printf 'sandbox: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
skip() {
  log "cannot run Synapse here: $*"
  exit "$SKIP_STATUS"
}
usage() {
  sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

require_root() {
  [[ $(id -u) -eq 0 ]] || skip "must run as root (debootstrap, chroot and mount need it), e.g. with sudo"
}

# All state changes (building, mounting, the ledger, instance files) happen under one lock, so two test
# processes starting sandboxes at once cannot both build or both mount. Children must not inherit fd 9, or a
# background Synapse would hold the lock forever.
take_lock() {
  mkdir -p "$STATE_DIR" "$INSTANCES"
  touch "$LEDGER"
  exec 9>"$STATE_DIR/lock"
  flock 9
}
release_lock() { flock -u 9 2>/dev/null || true; }

# --- mounts: only ever undo what the ledger says we did --------------------------------------------------

ledger_has() { awk -F '\t' -v m="$1" '$2 == m { f = 1 } END { exit !f }' "$LEDGER" 2>/dev/null; }

mount_tracked() { # owner mountpoint mount-args...
  local owner=$1 target=$2
  shift 2
  if mountpoint -q "$target"; then
    # Ours from an earlier run (shared by instances), or someone else's: either way leave it as it is.
    ledger_has "$target" || log "$target is already mounted by something else; using it and leaving it alone"
    return 0
  fi
  mkdir -p "$target"
  mount "$@" "$target"
  printf '%s\t%s\n' "$owner" "$target" >>"$LEDGER"
}

unmount_owned() { # owner: unmount its mounts, newest first
  local owner=$1 target
  [[ -f $LEDGER ]] || return 0
  while IFS= read -r target; do
    [[ -n $target ]] || continue
    if mountpoint -q "$target"; then
      umount "$target" || die "could not unmount $target (still busy?); it stays in $LEDGER"
    fi
    awk -F '\t' -v o="$owner" -v m="$target" '!($1 == o && $2 == m)' "$LEDGER" >"$LEDGER.new"
    mv "$LEDGER.new" "$LEDGER"
  done < <(awk -F '\t' -v o="$owner" '$1 == o { print $2 }' "$LEDGER" | tac)
}

mounts_under() { # findmnt escapes blanks in raw output (\x20); decode before comparing
  local target
  findmnt -rn -o TARGET | while IFS= read -r target; do
    target=$(printf '%b' "$target")
    if [[ $target == "$1" || $target == "$1"/* ]]; then printf '%s\n' "$target"; fi
  done
}

# rm -rf through a bind-mounted /dev or data directory would destroy host files: refuse if anything is
# mounted below the tree, and never cross file systems.
remove_tree() {
  local dir=$1 left
  [[ -e $dir ]] || return 0
  left=$(mounts_under "$dir")
  [[ -z $left ]] || die "refusing to delete $dir: still mounted below it: $left"
  rm -rf --one-file-system -- "$dir"
}

# --- build -------------------------------------------------------------------------------------------------

# The mirror this machine's apt already uses (deb822 sources first, then the one-line format), never the
# security archive, which has no sid.
host_mirror() {
  if [[ -n ${MATRIX_QR_DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "$MATRIX_QR_DEBIAN_MIRROR"
    return 0
  fi
  {
    grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{ for (i = 2; i <= NF; i++) print $i }'
    grep -hoE '^deb +(\[[^]]*\] +)?[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '{ print $NF }'
  } | grep -E '^https?://' | grep -v security | head -n 1
}

mirror_reachable() {
  local url="$1/dists/sid/Release"
  if command -v curl >/dev/null; then
    curl -fsS --max-time 20 -o /dev/null "$url"
  elif command -v wget >/dev/null; then
    wget -q --timeout=20 -O /dev/null "$url"
  else
    skip "neither curl nor wget is installed (debootstrap needs wget)"
  fi
}

tail_of() { tail -n "${2:-25}" "$1" | sed 's/^/    /' >&2; }

chroot_synapse_version() {
  chroot "$1" python3 -c 'import synapse; print(synapse.__version__)' 2>/dev/null
}

build() {
  require_root
  if [[ -f $ROOT/$READY_STAMP ]]; then
    log "chroot ready at $ROOT ($(cat "$ROOT/$READY_STAMP"))"
    return 0
  fi
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
  local mirror started=$SECONDS build_log
  mirror=$(host_mirror) || true
  [[ -n $mirror ]] || skip "no Debian mirror found in this machine's apt sources; set MATRIX_QR_DEBIAN_MIRROR"
  mirror_reachable "$mirror" || skip "Debian mirror $mirror is unreachable (no sid Release file)"

  take_lock
  # Another process may have finished the build while we waited for the lock.
  if [[ -f $ROOT/$READY_STAMP ]]; then
    release_lock
    log "chroot ready at $ROOT ($(cat "$ROOT/$READY_STAMP"))"
    return 0
  fi
  [[ ! -e $ROOT ]] || die "$ROOT exists but was not completed by this script; delete it and build again"
  build_log="$CACHE_DIR/synapse-build.log"
  : >"$build_log"
  trap 'unmount_owned build' EXIT

  local reused=true
  if [[ ! -f $PARTIAL/$DEBOOTSTRAP_STAMP ]]; then
    reused=false
    remove_tree "$PARTIAL"
    log "debootstrapping Debian sid from $mirror into $PARTIAL (log: $build_log)"
    debootstrap --variant=minbase --include=ca-certificates sid "$PARTIAL" "$mirror" >>"$build_log" 2>&1 || {
      tail_of "$build_log"
      skip "debootstrap of sid failed (see $build_log)"
    }
    touch "$PARTIAL/$DEBOOTSTRAP_STAMP"
  else
    log "reusing the debootstrapped base in $PARTIAL"
  fi

  # Package maintainer scripts must not start services inside the chroot (policy-rc.d exit 101 = "forbidden").
  printf '#!/bin/sh\nexit 101\n' >"$PARTIAL/usr/sbin/policy-rc.d"
  chmod 755 "$PARTIAL/usr/sbin/policy-rc.d"
  # Synapse may be pointed at http://localhost:PORT for the OAuth server.
  grep -qE '^127\.0\.0\.1[[:space:]].*\blocalhost\b' "$PARTIAL/etc/hosts" 2>/dev/null ||
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >>"$PARTIAL/etc/hosts"
  printf '%s\n' 'matrix-synapse matrix-synapse/server-name string localhost' \
    'matrix-synapse matrix-synapse/report-stats boolean false' | chroot "$PARTIAL" debconf-set-selections
  mount_tracked build "$PARTIAL/proc" -t proc proc
  mount_tracked build "$PARTIAL/dev" --bind /dev

  log "installing matrix-synapse from sid"
  {
    # A fresh debootstrap leaves the package lists it just fetched. A base kept from an earlier day needs new
    # ones. The mirror may be a frozen snapshot whose sid Release is past its Valid-Until date; debootstrap
    # does not check that date either, and the signatures are still verified.
    if [[ $reused == true ]]; then
      chroot "$PARTIAL" apt-get -o Acquire::Check-Valid-Until=false update
    fi &&
      chroot "$PARTIAL" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends matrix-synapse
  } >>"$build_log" 2>&1 || {
    tail_of "$build_log"
    skip "matrix-synapse from sid does not install today (see $build_log); the debootstrap stage is kept"
  }
  chroot "$PARTIAL" apt-get clean
  local version
  version=$(chroot_synapse_version "$PARTIAL") || skip "matrix-synapse installed but python3 cannot import it"
  unmount_owned build
  trap - EXIT

  printf 'matrix-synapse %s, built %s from %s\n' "$version" "$(date -u +%FT%TZ)" "$mirror" >"$PARTIAL/$READY_STAMP"
  rm -f "$PARTIAL/$DEBOOTSTRAP_STAMP"
  mv "$PARTIAL" "$ROOT"
  release_lock
  log "built $ROOT with matrix-synapse $version in $((SECONDS - started)) s"
}

# --- instances ---------------------------------------------------------------------------------------------

instance_file() { printf '%s/%s' "$INSTANCES" "$1"; }

instance_field() { # port key
  awk -F '=' -v k="$2" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$(instance_file "$1")" 2>/dev/null
}

# A pid from an instance file counts only while it is still a Synapse inside our chroot (pids get reused).
synapse_alive() {
  local pid=$1
  [[ -n $pid && -d /proc/$pid ]] || return 1
  [[ $(readlink "/proc/$pid/root" 2>/dev/null) == "$ROOT" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'synapse.app.homeserver'
}

# Stop one instance: TERM, then KILL after 10 s; then undo its data mount. Lock must be held.
stop_instance() {
  local port=$1 pid i
  pid=$(instance_field "$port" pid || true)
  if synapse_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      synapse_alive "$pid" || break
      sleep 0.1
    done
    if synapse_alive "$pid"; then
      log "Synapse on port $port ignored SIGTERM for 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    log "stopped Synapse on port $port (pid $pid)"
  fi
  unmount_owned "port-$port"
  rm -f "$(instance_file "$port")"
}

# The chroot-wide mounts (proc, dev) are shared by all instances: undo them when the last one has gone.
unmount_shared_if_idle() {
  local f
  for f in "$INSTANCES"/*; do
    if [[ -e $f ]]; then return 0; fi
  done
  unmount_owned chroot
}

stop() {
  require_root
  local port="" f
  while (($#)); do
    case $1 in
      --port) port=${2:?--port needs a value} && shift 2 ;;
      *) usage ;;
    esac
  done
  take_lock
  if [[ -n $port ]]; then
    stop_instance "$port"
  else
    for f in "$INSTANCES"/*; do
      if [[ -e $f ]]; then stop_instance "$(basename "$f")"; fi
    done
  fi
  unmount_shared_if_idle
  release_lock
  if [[ -f $LEDGER ]] && [[ -s $LEDGER ]]; then
    log "mounts still in use by running instances: $(cut -f2 "$LEDGER" | tr '\n' ' ')"
  fi
}

status() {
  local f port pid
  if [[ -f $ROOT/$READY_STAMP ]]; then
    log "chroot: $ROOT ($(cat "$ROOT/$READY_STAMP"))"
  else
    log "chroot: not built ($ROOT)"
  fi
  for f in "$INSTANCES"/*; do
    [[ -e $f ]] || continue
    port=$(basename "$f")
    pid=$(instance_field "$port" pid || true)
    if synapse_alive "$pid"; then
      log "running: port $port, pid $pid, data $(instance_field "$port" data)"
    else
      log "stale: port $port (pid $pid is gone; run stop)"
    fi
  done
  [[ ! -s $LEDGER ]] || log "mounts made by this script: $(cut -f2 "$LEDGER" | tr '\n' ' ')"
}

# --- start -------------------------------------------------------------------------------------------------

# Values end up inside single-quoted YAML scalars; refuse anything that could break out of them.
check_yaml_safe() { [[ $2 =~ ^[A-Za-z0-9._~:/?#@!\$\&\(\)*+,\;=%-]+$ ]] || die "$1 contains characters this script does not accept"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A fresh data directory per run: a reused database would carry sessions, users and devices from the last run.
# Only directories this script created (they carry a marker file) are ever emptied.
prepare_data_dir() {
  local dir=$1
  if [[ -e $dir ]]; then
    if [[ -n $(ls -A "$dir") && ! -f $dir/$DATA_MARKER ]]; then
      die "$dir is not empty and was not made by this script; refusing to reuse it"
    fi
    remove_tree "$dir"
  fi
  mkdir -p "$dir"
  touch "$dir/$DATA_MARKER"
}

signing_key_line() {
  # signedjson format: "ed25519 <key id> <unpadded base64 of the 32-byte seed>".
  printf 'ed25519 a_%s %s\n' "$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    "$(head -c 32 /dev/urandom | base64 | tr -d '=\n')"
}

random_secret() { head -c 24 /dev/urandom | base64 | tr -d '=\n+/'; }

write_config() { # file inner-data-dir port mas-endpoint mas-secret msc4388-mode
  local file=$1 inner=$2 port=$3 mas=$4 secret=$5 mode=$6
  cat >"$file" <<YAML
# Written by scripts/synapse/sandbox.sh for one test run; see docs/synapse.md.
server_name: localhost
public_baseurl: 'http://127.0.0.1:${port}/'
pid_file: ${inner}/homeserver.pid
report_stats: false
enable_metrics: false
signing_key_path: ${inner}/signing.key
macaroon_secret_key: '$(random_secret)'
form_secret: '$(random_secret)'
media_store_path: ${inner}/media
database:
  name: sqlite3
  args:
    database: ${inner}/homeserver.db

# Client-server API on loopback only; no federation listener, no key servers, nobody to federate with.
listeners:
  - port: ${port}
    type: http
    tls: false
    x_forwarded: false
    bind_addresses: ['127.0.0.1']
    resources:
      - names: [client]
        compress: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []

# Sign-in is delegated to the OAuth server (the devserver plays MAS); Synapse's own password login is off.
password_config:
  enabled: false
enable_registration: false
matrix_authentication_service:
  enabled: true
  endpoint: '${mas}'
  secret: '${secret}'

# MSC4108 v2024 rendezvous (/_synapse/client/rendezvous) and MSC4388 v2025 rendezvous
# (/_matrix/client/unstable/io.element.msc4388/rendezvous); both need the MAS integration above.
experimental_features:
  msc4108_enabled: true
  msc4388_mode: '${mode}'

# Tests make many requests from one address in a short time: make every limiter generous. A test that wants to
# see throttling passes --extra-config with lower values (later keys win).
$(generous_rate_limits)
YAML
}

generous_rate_limits() {
  cat <<'YAML'
rc_message: {per_second: 1000, burst_count: 1000}
rc_registration: {per_second: 1000, burst_count: 1000}
rc_registration_token_validity: {per_second: 1000, burst_count: 1000}
rc_login:
  address: {per_second: 1000, burst_count: 1000}
  account: {per_second: 1000, burst_count: 1000}
  failed_attempts: {per_second: 1000, burst_count: 1000}
rc_admin_redaction: {per_second: 1000, burst_count: 1000}
rc_joins:
  local: {per_second: 1000, burst_count: 1000}
  remote: {per_second: 1000, burst_count: 1000}
rc_joins_per_room: {per_second: 1000, burst_count: 1000}
rc_3pid_validation: {per_second: 1000, burst_count: 1000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 1000}
  per_user: {per_second: 1000, burst_count: 1000}
  per_issuer: {per_second: 1000, burst_count: 1000}
rc_third_party_invite: {per_second: 1000, burst_count: 1000}
rc_media_create: {per_second: 1000, burst_count: 1000}
rc_presence:
  per_user: {per_second: 1000, burst_count: 1000}
rc_delayed_event_mgmt: {per_second: 1000, burst_count: 1000}
rc_reports: {per_second: 1000, burst_count: 1000}
rc_room_creation: {per_second: 1000, burst_count: 1000}
rc_key_requests: {per_second: 1000, burst_count: 1000}
rc_user_directory: {per_second: 1000, burst_count: 1000}
YAML
}

start() {
  require_root
  local mas="" secret="" port=8008 data="" mode=open extra="" timeout=60 foreground=false
  while (($#)); do
    case $1 in
      --mas) mas=${2:?--mas needs a URL} && shift 2 ;;
      --mas-secret) secret=${2:?--mas-secret needs a value} && shift 2 ;;
      --port) port=${2:?--port needs a value} && shift 2 ;;
      --data) data=${2:?--data needs a directory} && shift 2 ;;
      --msc4388-mode) mode=${2:?--msc4388-mode needs a value} && shift 2 ;;
      --extra-config) extra=${2:?--extra-config needs a file} && shift 2 ;;
      --timeout) timeout=${2:?--timeout needs seconds} && shift 2 ;;
      --foreground) foreground=true && shift ;;
      *) usage ;;
    esac
  done
  [[ -n $mas && -n $secret ]] || usage
  [[ $mas =~ ^https?:// ]] || die "--mas must be an http(s) URL"
  check_yaml_safe --mas "$mas"
  check_yaml_safe --mas-secret "$secret"
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "--port must be a TCP port number"; fi
  [[ $mode =~ ^(open|authenticated|off)$ ]] || die "--msc4388-mode must be open, authenticated or off"
  [[ $timeout =~ ^[0-9]+$ ]] || die "--timeout must be whole seconds"
  [[ -z $extra || -r $extra ]] || die "cannot read --extra-config $extra"
  data=$(realpath -m -- "${data:-$CACHE_DIR/synapse-runs/$port}")
  case $data/ in "$ROOT"/* | "$PARTIAL"/*) die "--data must be outside the chroot" ;; esac

  build

  take_lock
  if [[ -f $(instance_file "$port") ]]; then
    if synapse_alive "$(instance_field "$port" pid || true)"; then
      die "a sandbox Synapse already runs on port $port; stop it first (sandbox.sh stop --port $port)"
    fi
    log "cleaning up after an instance on port $port that is gone"
    stop_instance "$port"
  fi
  if port_in_use "$port"; then die "something else already listens on 127.0.0.1:$port"; fi
  local f
  for f in "$INSTANCES"/*; do
    if [[ -e $f && $(instance_field "$(basename "$f")" data) == "$data" ]]; then
      die "port $(basename "$f") already runs from $data; pick another --data"
    fi
  done

  local inner="$INNER_DATA_BASE/$port" uid gid pid
  uid=$(chroot "$ROOT" id -u matrix-synapse) || die "the chroot has no matrix-synapse user"
  gid=$(chroot "$ROOT" id -g matrix-synapse)
  prepare_data_dir "$data"
  mkdir -p "$data/media"
  signing_key_line >"$data/signing.key"
  write_config "$data/homeserver.yaml" "$inner" "$port" "$mas" "$secret" "$mode"
  [[ -z $extra ]] || { printf '\n# --extra-config %s\n' "$extra" && cat "$extra"; } >>"$data/homeserver.yaml"
  chown -R "$uid:$gid" "$data"
  chmod 700 "$data"
  chmod 600 "$data/homeserver.yaml" "$data/signing.key"

  # What Synapse needs from the host inside the chroot: /proc (Twisted lists /proc/self/fd when spawning,
  # the process metrics read /proc/self/stat), /dev (null, urandom, ...) and its data directory.
  mount_tracked chroot "$ROOT/proc" -t proc proc
  mount_tracked chroot "$ROOT/dev" --bind /dev
  mount_tracked "port-$port" "$ROOT$inner" --bind "$data"

  # setsid: the server must outlive this script (and a Ctrl-C in its terminal) unless --foreground.
  # chroot and env exec in place, so $! is Synapse's own pid.
  setsid chroot --userspec="$uid:$gid" --groups="$gid" "$ROOT" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$inner" LANG=C.UTF-8 \
    python3 -m synapse.app.homeserver --config-path "$inner/homeserver.yaml" \
    </dev/null >>"$data/homeserver.log" 2>&1 9>&- &
  pid=$!
  printf 'pid=%s\ndata=%s\n' "$pid" "$data" >"$(instance_file "$port")"
  printf '%s\n' "$pid" >"$data/synapse.pid"
  release_lock
  # Until it answers, any failure (or Ctrl-C) must not leave a half-started server and its mounts behind.
  # shellcheck disable=SC2064 # the port is fixed now
  trap "cleanup_start $port" EXIT

  local base="http://127.0.0.1:$port" started=$SECONDS deadline=$((SECONDS + timeout))
  until curl -fsS -o /dev/null --max-time 2 "$base/_matrix/client/versions" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_of "$data/homeserver.log" 40
      die "Synapse exited during startup (log: $data/homeserver.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail_of "$data/homeserver.log" 40
      die "Synapse did not answer $base/_matrix/client/versions within $timeout s (log: $data/homeserver.log)"
    fi
    sleep 0.2
  done
  log "Synapse answered after $((SECONDS - started)) s (pid $pid, data $data)"

  if [[ $foreground == true ]]; then
    # Ctrl-C or TERM stops the server and undoes the mounts; so does Synapse exiting on its own.
    # shellcheck disable=SC2064
    trap "cleanup_start $port" EXIT INT TERM
    printf 'synapse ready at %s\n' "$base"
    local status=0
    wait "$pid" || status=$?
    cleanup_start "$port"
    return "$status"
  fi
  trap - EXIT
  printf 'synapse ready at %s\n' "$base"
}

cleanup_start() {
  trap - EXIT INT TERM
  take_lock
  stop_instance "$1"
  unmount_shared_if_idle
  release_lock
}

main() {
  local command=${1:-}
  (($#)) && shift
  case $command in
    build) (($# == 0)) || usage && build ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    status) status ;;
    *) usage ;;
  esac
}

main "$@"
