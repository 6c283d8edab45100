#!/usr/bin/env bash
# Two Switchboard replicas behind haproxy, on this machine's loopback, for tests, benchmarks and
# trying failover by hand:
#
#   redis-server (no persistence)  ◄── hub1 ──┐
#   [PostgreSQL, with --postgres]  ◄── hub2 ──┴── haproxy (deploy/haproxy.cfg) ◄── clients
#
#   bash scripts/replicas.sh start [--postgres]   start everything on free ports; prints the LB URL
#   bash scripts/replicas.sh status               what runs, and /readyz of each replica and the LB
#   bash scripts/replicas.sh stop                 stop what `start` started, remove its temp dirs
#   bash scripts/replicas.sh kill hub1|hub2       SIGKILL one replica (a crash)
#   bash scripts/replicas.sh restart hub1|hub2    start one replica again (same port and flags)
#
# Business data is one SQLite file both replicas share, or with --postgres a PostgreSQL cluster
# created with initdb in a temp dir (database `switchboard`; run as the postgres user when root).
# Sessions live in the shared redis-server. Everything listens on 127.0.0.1 only. Every client
# reaches the replicas from haproxy's address, so their per-address connection limit is off
# (limit per client at the balancer).
#
# haproxy also gets an admin socket (HAPROXY_SOCK in the state file): `show stat`, and
# `set server hubs/hub1 state drain|maint|ready` to steer new connections.
#
# The state (ports, pids, paths) is written to $SWITCHBOARD_REPLICAS_DIR/state.env (default
# ${TMPDIR:-/tmp}/switchboard-replicas/state.env) as KEY=VALUE lines a shell can source. One set
# of replicas per state directory; `stop` only signals processes whose pid and command line
# match what `start` recorded.
#
# Environment:
#   SWITCHBOARD_BIN                hub binary (default .build/release/switchboard if it exists,
#                                  else .build/debug/switchboard)
#   SWITCHBOARD_REPLICAS_DIR       state directory (see above)
#   SWITCHBOARD_SECRET_KEY         the replicas' shared --secret-key (default: a random one per run)
#   SWITCHBOARD_REPLICAS_ARGS      extra `switchboard serve` arguments for both replicas
#                                  (e.g. "--event-loops 1 --log-level warning")
#   SWITCHBOARD_REPLICAS_KEEP_LOGS a directory `stop` copies every log into before removing the
#                                  temp dirs
#   READY_TIMEOUT                  seconds to wait for each component to answer (default 60)
#   POSTGRES_BIN_DIR               PostgreSQL server binaries (default newest /usr/lib/postgresql/*/bin)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_dir="${SWITCHBOARD_REPLICAS_DIR:-${TMPDIR:-/tmp}/switchboard-replicas}"
state_file="$state_dir/state.env"
ready_timeout="${READY_TIMEOUT:-60}"

say() { printf 'replicas: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# ---------------------------------------------------------------------------------------------
# Small helpers

# A TCP port on 127.0.0.1 nothing listens on, below the kernel's ephemeral range (so outgoing
# connections do not take it meanwhile), different from every port in $taken_ports.
taken_ports=" "
free_port() {
  local low=20000 high=32000 port i
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r i _ </proc/sys/net/ipv4/ip_local_port_range
    [ "$i" -gt 2048 ] && high=$((i - 1)) && low=$((high / 2 > 1024 ? high / 2 : 1025))
  fi
  for i in $(seq 1 200); do
    port=$((low + (RANDOM * 32768 + RANDOM) % (high - low)))
    case "$taken_ports" in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! port_bound "$port"; then
      taken_ports="$taken_ports$port "
      echo "$port"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1"
}

# Whether a socket (any state) is bound to 127.0.0.1:PORT or *:PORT (from /proc/net/tcp{,6}).
port_bound() {
  local hex
  hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" {found=1} END {exit !found}'
}

# Whether pid $1 is alive and its command line contains $2.
pid_matches() {
  local pid="$1" needle="$2" cmdline
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  case "$cmdline" in *"$needle"*) return 0 ;; *) return 1 ;; esac
}

# What the command lines of the processes `start` started contain (pids are checked against
# these before any signal, so a reused pid is never signalled).
hub_needle() { echo "--port $2 --sessions $SESSIONS --replica-id $1"; }
haproxy_needle() { echo "-p $RUN_DIR/haproxy.pid"; }
redis_needle() { echo "redis-server 127.0.0.1:$REDIS_PORT"; }

# Sends $2 (a signal) to pid $1 if it matches $3, then waits up to $4 s for it to go; SIGKILL after.
stop_pid() {
  local pid="$1" sig="$2" needle="$3" wait_s="$4" i
  pid_matches "$pid" "$needle" || return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for i in $(seq 1 $((wait_s * 10))); do
    pid_matches "$pid" "$needle" || return 0
    sleep 0.1
  done
  say "pid $pid ($needle) did not stop within ${wait_s} s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do pid_matches "$pid" "$needle" || return 0; sleep 0.1; done
}

# GET http://127.0.0.1:$1$2 with a 2 s limit; prints the body, fails unless 200.
http_get() {
  curl -fsS --max-time 2 --noproxy '*' "http://127.0.0.1:$1$2" 2>/dev/null
}

# The hub binary: SWITCHBOARD_BIN, else the release build, else the debug build.
hub_binary() {
  local bin="${SWITCHBOARD_BIN:-}"
  if [ -z "$bin" ]; then
    if [ -x "$repo/.build/release/switchboard" ]; then bin="$repo/.build/release/switchboard"
    else bin="$repo/.build/debug/switchboard"; fi
  fi
  case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
  [ -x "$bin" ] || die "hub binary $bin is missing or not executable: build it (swift build --product switchboard) or set SWITCHBOARD_BIN"
  echo "$bin"
}

postgres_bin_dir() {
  if [ -n "${POSTGRES_BIN_DIR:-}" ]; then
    [ -x "$POSTGRES_BIN_DIR/initdb" ] || die "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR has no initdb"
    echo "$POSTGRES_BIN_DIR"; return
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4nr); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return; fi
  done
  die "--postgres needs the PostgreSQL server binaries (initdb, pg_ctl, postgres) under /usr/lib/postgresql/*/bin: apt-get install postgresql, or set POSTGRES_BIN_DIR"
}

# Runs a PostgreSQL binary, as the postgres user when this script runs as root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Writes KEY=VALUE (shell-quoted) to the state file.
state_set() {
  local key="$1" value="$2" tmp
  tmp="$state_file.tmp.$$"
  { [ -f "$state_file" ] && grep -v "^$key=" "$state_file" || true; printf '%s=%q\n' "$key" "$value"; } >"$tmp"
  mv "$tmp" "$state_file"
}

load_state() {
  [ -f "$state_file" ] || return 1
  # shellcheck disable=SC1090
  source "$state_file"
}

tail_log() {
  [ -f "$1" ] && { say "last lines of $1:"; tail -n 30 "$1" >&2; } || true
}

# ---------------------------------------------------------------------------------------------
# Components

start_redis() {
  command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
  local port attempt
  mkdir -p "$RUN_DIR/redis"
  for attempt in 1 2 3; do
    port=$(free_port)
    # No persistence: no RDB snapshots, no AOF; the data dir is the temp dir anyway.
    if redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$RUN_DIR/redis" \
        --daemonize yes --pidfile "$RUN_DIR/redis/redis.pid" --logfile "$RUN_DIR/redis.log" \
        --protected-mode yes >/dev/null 2>&1 </dev/null; then
      local i
      for i in $(seq 1 $((ready_timeout * 10))); do
        if [ -s "$RUN_DIR/redis/redis.pid" ] && redis_ping "$port"; then
          state_set REDIS_PORT "$port"
          state_set REDIS_PID "$(cat "$RUN_DIR/redis/redis.pid")"
          say "redis-server on 127.0.0.1:$port"
          return 0
        fi
        [ -s "$RUN_DIR/redis/redis.pid" ] || [ "$i" -lt 30 ] || break
        sleep 0.1
      done
    fi
    say "redis-server did not start on port $port (attempt $attempt)"; tail_log "$RUN_DIR/redis.log"
  done
  die "redis-server did not start"
}

redis_ping() {
  if command -v redis-cli >/dev/null; then
    [ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = PONG ]
  else
    local reply
    reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && timeout 2 head -c 7 <&3) 2>/dev/null ) || return 1
    [ "${reply%$'\r'*}" = "+PONG" ]
  fi
}

start_postgres() {
  local bin port attempt pg_dir password
  bin=$(postgres_bin_dir)
  if [ "$(id -u)" = 0 ]; then
    command -v runuser >/dev/null || die "running as root: runuser is needed to run PostgreSQL as the postgres user"
    id postgres >/dev/null 2>&1 || die "running as root: PostgreSQL refuses root, and there is no postgres user (apt-get install postgresql creates it)"
  fi
  pg_dir="$RUN_DIR/pg"
  [ "$(id -u)" = 0 ] && chmod 711 "$RUN_DIR"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$RUN_DIR" 2>/dev/null; then
    # The postgres user cannot reach the run dir's parent: a directory of its own under /tmp.
    pg_dir=$(mktemp -d /tmp/switchboard-replicas-pg.XXXXXX)
  fi
  mkdir -p "$pg_dir"
  state_set PG_DIR "$pg_dir"
  password=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$pg_dir/password"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$pg_dir"
  as_pg "$bin/initdb" -D "$pg_dir/data" -U switchboard --pwfile "$pg_dir/password" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C --no-sync >"$RUN_DIR/initdb.log" 2>&1 \
    || { tail_log "$RUN_DIR/initdb.log"; die "initdb failed"; }
  for attempt in 1 2 3; do
    port=$(free_port)
    if as_pg "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t "$ready_timeout" \
        -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >"$RUN_DIR/pg_ctl.log" 2>&1 </dev/null; then
      state_set PG_PORT "$port"
      state_set PG_PID "$(head -n 1 "$pg_dir/data/postmaster.pid")"
      state_set PG_BIN "$bin"
      as_pg "$bin/createdb" -h "$pg_dir" -p "$port" -U switchboard switchboard >>"$RUN_DIR/pg_ctl.log" 2>&1 \
        || { tail_log "$RUN_DIR/pg_ctl.log"; die "createdb switchboard failed"; }
      state_set PG_URL "postgres://switchboard:$password@127.0.0.1:$port/switchboard?sslmode=disable"
      say "PostgreSQL on 127.0.0.1:$port (database switchboard, data in $pg_dir)"
      return 0
    fi
    say "PostgreSQL did not start on port $port (attempt $attempt)"
    tail_log "$pg_dir/server.log"
  done
  die "PostgreSQL did not start"
}

# start_hub NAME [PORT]: starts replica NAME (on PORT, or a free port) and waits for its /readyz.
start_hub() {
  local name="$1" port="${2:-}" upper attempt pid log i extra=()
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  log="$RUN_DIR/$name.log"
  # shellcheck disable=SC2206
  [ -n "${SWITCHBOARD_REPLICAS_ARGS:-}" ] && extra=(${SWITCHBOARD_REPLICAS_ARGS})
  for attempt in 1 2 3; do
    [ -n "$port" ] || port=$(free_port)
    {
      echo "# $(date -u +%FT%TZ) start attempt $attempt"
      echo "\$ $BIN serve --host 127.0.0.1 --port $port --sessions $SESSIONS --replica-id $name --data <data> --max-connections-per-ip 0 ${extra[*]:-}"
    } >>"$log"
    # Every replica signs and accepts the same client secrets: one key per run, unless given.
    [ -s "$RUN_DIR/secret-key" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$RUN_DIR/secret-key")
    ( cd "$RUN_DIR" && SWITCHBOARD_SECRET_KEY="${SWITCHBOARD_SECRET_KEY:-$(cat "$RUN_DIR/secret-key")}" \
      exec "$BIN" serve --host 127.0.0.1 --port "$port" --sessions "$SESSIONS" \
        --replica-id "$name" --data "$DATA" --packs "$repo/Personas" --web "$repo/web-static" \
        --max-connections-per-ip 0 ${extra[@]+"${extra[@]}"} ) >>"$log" 2>&1 </dev/null &
    pid=$!
    for i in $(seq 1 $((ready_timeout * 10))); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if http_get "$port" /readyz | grep -q "replica=$name"; then
        state_set "${upper}_PORT" "$port"
        state_set "${upper}_PID" "$pid"
        say "$name on 127.0.0.1:$port (pid $pid)"
        return 0
      fi
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      tail_log "$log"; die "$name did not answer /readyz within ${ready_timeout} s"
    fi
    wait "$pid" 2>/dev/null || true
    say "$name exited before it was ready (attempt $attempt)"; tail_log "$log"
    # A port taken meanwhile: try another one (unless the port is fixed, as on restart).
    [ -n "${2:-}" ] && die "$name did not start on its port $port"
    port=""
  done
  die "$name did not start"
}

start_haproxy() {
  command -v haproxy >/dev/null || die "haproxy is not installed (apt-get install haproxy)"
  local port attempt i seen
  # A second global section after deploy/haproxy.cfg adds an admin socket (`show servers state`,
  # `set server hubs/hub1 state maint` to take a replica out of rotation).
  printf 'global\n    stats socket %s mode 600 level admin\n' "$RUN_DIR/haproxy.sock" >"$RUN_DIR/haproxy-admin.cfg"
  # haproxy needs about 2 descriptors per connection and, as root, refuses to start when it
  # cannot raise its open-files limit to what the config's maxconn 20000 needs: -n (which takes
  # precedence over the config's maxconn) lowers it to what the hard limit allows.
  local hard maxconn=20000
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ $(((hard - 100) / 2)) -lt $maxconn ]; then maxconn=$(((hard - 100) / 2)); fi
  for attempt in 1 2 3; do
    port=$(free_port)
    rm -f "$RUN_DIR/haproxy.pid"
    if SWITCHBOARD_LB_BIND="127.0.0.1:$port" SWITCHBOARD_HUB1="127.0.0.1:$HUB1_PORT" SWITCHBOARD_HUB2="127.0.0.1:$HUB2_PORT" \
        haproxy -f "$repo/deploy/haproxy.cfg" -f "$RUN_DIR/haproxy-admin.cfg" -n "$maxconn" -D -p "$RUN_DIR/haproxy.pid" \
        >>"$RUN_DIR/haproxy.log" 2>&1 </dev/null; then
      # Ready when /readyz through the LB has reached both replicas.
      seen=" "
      for i in $(seq 1 $((ready_timeout * 10))); do
        local body
        body=$(http_get "$port" /readyz || true)
        case "$body" in *replica=hub1*) seen="$seen hub1" ;; *replica=hub2*) seen="$seen hub2" ;; esac
        case "$seen" in *hub1*hub2* | *hub2*hub1*)
          state_set LB_PORT "$port"
          state_set HAPROXY_PID "$(head -n 1 "$RUN_DIR/haproxy.pid")"
          state_set HAPROXY_SOCK "$RUN_DIR/haproxy.sock"
          say "haproxy on 127.0.0.1:$port (pid $(head -n 1 "$RUN_DIR/haproxy.pid")), both replicas answer through it"
          return 0 ;;
        esac
        sleep 0.1
      done
      tail_log "$RUN_DIR/haproxy.log"; die "haproxy did not reach both replicas within ${ready_timeout} s"
    fi
    say "haproxy did not start on port $port (attempt $attempt)"; tail_log "$RUN_DIR/haproxy.log"
  done
  die "haproxy did not start"
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_start() {
  local postgres=0 arg
  for arg in "$@"; do
    case "$arg" in
      --postgres) postgres=1 ;;
      *) die "start: unknown option $arg" ;;
    esac
  done
  command -v curl >/dev/null || die "curl is needed to probe /readyz (apt-get install curl)"
  mkdir -p "$state_dir"
  if load_state 2>/dev/null; then
    if pid_matches "${HUB1_PID:-}" "$(hub_needle hub1 "${HUB1_PORT:-}")" || pid_matches "${HUB2_PID:-}" "$(hub_needle hub2 "${HUB2_PORT:-}")" \
        || pid_matches "${HAPROXY_PID:-}" "$(haproxy_needle)" || pid_matches "${REDIS_PID:-}" "$(redis_needle)"; then
      die "replicas from $state_file are running; run 'scripts/replicas.sh stop' first"
    fi
    say "removing what is left of an earlier run ($state_file)"
    cmd_stop >/dev/null 2>&1 || true
  fi
  BIN=$(hub_binary)
  say "hub binary: $BIN"
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-replicas.XXXXXX")
  : >"$state_file"
  state_set RUN_DIR "$RUN_DIR"
  state_set BIN "$BIN"
  state_set REPO "$repo"
  state_set POSTGRES "$postgres"
  state_set SERVE_ARGS "${SWITCHBOARD_REPLICAS_ARGS:-}"
  # Anything that fails from here on stops what was started.
  trap 'status=$?; if [ $status -ne 0 ]; then say "start failed: stopping what was started"; cmd_stop >/dev/null 2>&1 || true; fi' EXIT

  start_redis
  load_state
  SESSIONS="redis://127.0.0.1:$REDIS_PORT"
  state_set SESSIONS "$SESSIONS"
  if [ "$postgres" = 1 ]; then
    start_postgres
    load_state
    DATA="$PG_URL"
  else
    DATA="sqlite:$RUN_DIR/switchboard.sqlite"
  fi
  state_set DATA "$DATA"
  # One after the other: the first creates and seeds the shared database, the second finds it.
  start_hub hub1
  start_hub hub2
  load_state
  start_haproxy
  load_state
  state_set LB_URL "http://127.0.0.1:$LB_PORT"
  trap - EXIT
  say "state in $state_file"
  echo "http://127.0.0.1:$LB_PORT"
}

cmd_stop() {
  if ! load_state; then
    say "nothing to stop (no $state_file)"
    return 0
  fi
  local keep="${SWITCHBOARD_REPLICAS_KEEP_LOGS:-}"
  stop_pid "${HAPROXY_PID:-}" TERM "$(haproxy_needle)" 10
  stop_pid "${HUB1_PID:-}" TERM "$(hub_needle hub1 "${HUB1_PORT:-}")" 15
  stop_pid "${HUB2_PID:-}" TERM "$(hub_needle hub2 "${HUB2_PORT:-}")" 15
  stop_pid "${REDIS_PID:-}" TERM "$(redis_needle)" 10
  if [ -n "${PG_DIR:-}" ] && [ -n "${PG_BIN:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || stop_pid "${PG_PID:-}" QUIT postgres 10
  fi
  if [ -n "$keep" ]; then
    if mkdir -p "$keep" 2>/dev/null && [ -w "$keep" ]; then
      [ -n "${RUN_DIR:-}" ] && cp "$RUN_DIR"/*.log "$keep"/ 2>/dev/null || true
      [ -n "${PG_DIR:-}" ] && cp "$PG_DIR/server.log" "$keep/postgres.log" 2>/dev/null || true
    else
      say "cannot write to $keep: logs not kept"
    fi
  fi
  # Only the temp dirs this script made (their names say so).
  case "${RUN_DIR:-}" in */switchboard-replicas.??????) rm -rf "$RUN_DIR" ;; esac
  case "${PG_DIR:-}" in */switchboard-replicas.??????/pg | */switchboard-replicas-pg.??????) rm -rf "$PG_DIR" ;; esac
  rm -f "$state_file"
  rmdir "$state_dir" 2>/dev/null || true
  say "stopped"
}

cmd_status() {
  if ! load_state; then
    echo "not running (no $state_file)"
    return 1
  fi
  local ok=0 name upper pid port body
  echo "state:   $state_file"
  echo "binary:  $BIN"
  echo "data:    $( [ "${POSTGRES:-0}" = 1 ] && echo "PostgreSQL (database switchboard)" || echo "${DATA:-?}")"
  if pid_matches "${REDIS_PID:-}" "$(redis_needle)" && redis_ping "$REDIS_PORT"; then
    echo "redis:   127.0.0.1:$REDIS_PORT pid $REDIS_PID: PONG"
  else
    echo "redis:   127.0.0.1:${REDIS_PORT:-?} pid ${REDIS_PID:-?}: DOWN"; ok=1
  fi
  if [ "${POSTGRES:-0}" = 1 ]; then
    if [ -n "${PG_PORT:-}" ] && "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
      echo "postgres: 127.0.0.1:$PG_PORT pid ${PG_PID:-?}: accepting connections"
    else
      echo "postgres: 127.0.0.1:${PG_PORT:-?}: DOWN"; ok=1
    fi
  fi
  for name in hub1 hub2; do
    upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
    eval "pid=\${${upper}_PID:-} port=\${${upper}_PORT:-}"
    if pid_matches "$pid" "$(hub_needle "$name" "$port")" && body=$(http_get "$port" /readyz); then
      echo "$name:    127.0.0.1:$port pid $pid: $body"
    else
      echo "$name:    127.0.0.1:${port:-?} pid ${pid:-?}: DOWN"; ok=1
    fi
  done
  if pid_matches "${HAPROXY_PID:-}" "$(haproxy_needle)" && body=$(http_get "$LB_PORT" /readyz); then
    echo "haproxy: 127.0.0.1:$LB_PORT pid $HAPROXY_PID: $body"
  else
    echo "haproxy: 127.0.0.1:${LB_PORT:-?} pid ${HAPROXY_PID:-?}: DOWN"; ok=1
  fi
  echo "LB URL:  ${LB_URL:-?}"
  return $ok
}

replica_arg() {
  case "${1:-}" in hub1 | hub2) ;; *) die "name a replica: hub1 or hub2" ;; esac
}

cmd_kill() {
  replica_arg "${1:-}"
  load_state || die "not running (no $state_file)"
  local upper pid port i
  upper=$(echo "$1" | tr '[:lower:]' '[:upper:]')
  eval "pid=\${${upper}_PID:-} port=\${${upper}_PORT:-}"
  pid_matches "$pid" "$(hub_needle "$1" "$port")" || die "$1 is not running"
  kill -KILL "$pid"
  for i in $(seq 1 50); do pid_matches "$pid" "$(hub_needle "$1" "$port")" || break; sleep 0.1; done
  say "$1 (pid $pid) killed"
}

cmd_restart() {
  replica_arg "${1:-}"
  load_state || die "not running (no $state_file)"
  local upper pid port
  upper=$(echo "$1" | tr '[:lower:]' '[:upper:]')
  eval "pid=\${${upper}_PID:-} port=\${${upper}_PORT:-}"
  stop_pid "$pid" TERM "$(hub_needle "$1" "$port")" 15
  [ -n "${SERVE_ARGS:-}" ] && SWITCHBOARD_REPLICAS_ARGS="$SERVE_ARGS"
  start_hub "$1" "$port"
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  restart) cmd_restart "$@" ;;
  -h | --help | help) usage 0 ;;
  "") usage 2 >&2 ;;
  *) say "unknown command $command"; usage 2 >&2 ;;
esac
