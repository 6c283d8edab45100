#!/usr/bin/env bash
# Switchboard audio fast-path benchmark: the hub against a plain libwebsockets relay.
#
#   sudo bash Benchmarks/run.sh        (or, as root: bash Benchmarks/run.sh)
#
#   SMOKE=1 bash Benchmarks/run.sh    (perf smoke: about 2 minutes plus the build)
#
# Installs what it needs, builds the C tools and the hub, then measures, on loopback only:
#   - latency and relay CPU per frame for direct (loadgen -> echo-model), the reference
#     relay (loadgen -> ref-relay -> echo-model) and each hub variant (loadgen -> switchboard
#     -> echo-model): `hub` with one event loop (like the single-threaded reference) and
#     `hub-default` with the hub's default (one event loop per core); for each session count,
#     ROUNDS rounds, the paths in a rotating order;
#   - RSS per idle session (fresh ref-relay and fresh one-loop hub);
#   - sessions opened per second (one-loop hub and reference relay).
# Results: Benchmarks/results/<run id>/*.json (env.json records the commit measured),
# Benchmarks/results/latest.{json,md}, and the Markdown report on stdout (SMOKE=1: the
# compact hub/reference ratio table instead).
#
# Environment (defaults in brackets):
#   SESSIONS ["50 200 500"]  ROUNDS [3]  WARMUP [5]  DURATION [20]  DRAIN [3]  RATE [50]
#   IDLE [10000]  IDLE_HOLD [5]  OPEN_N [5000]  OPEN_CONC [64]
#   SMOKE [0]          1: perf smoke: SESSIONS="50 200" ROUNDS=1 WARMUP=2 DURATION=5 DRAIN=1
#                      SKIP_IDLE=1 SKIP_OPEN=1 RUN_QUIET_WAIT=5 QUIET_WAIT=10 (each still
#                      overridable), then prints the hub/reference ratios
#   SKIP_HUB [0]       1: measure only direct and the reference relay (no Swift build)
#   SKIP_HUB_BUILD [0] 1: use the existing hub binary
#   HUB_VARIANTS ["hub hub-default"]  hub: `--event-loops 1`; hub-default: no --event-loops
#   HUB_BIN [.build/release/switchboard]  HUB_ARGS [""] extra arguments for `serve`, both variants
#   HUB_COMMIT [this checkout's commit]  the commit HUB_BIN was built from, for the record
#   TRACE_DIR [unset]  set: each latency run writes loadgen --trace to
#                      $TRACE_DIR/trace-<path>-<sessions>-r<round>.txt
#   REF_EVLIB [ev]     event loop of ref-relay: ev (epoll, through libev) or poll (lws's default)
#   ECHO_EVLIB [ev]    event loop of echo-model
#   SKIP_INSTALL [0]   SKIP_IDLE [0]  SKIP_OPEN [0]
#   QUIET_WAIT [60]    seconds to wait for an idle machine before starting; RUN_QUIET_WAIT [20] before each run
#   LOCK_WAIT [1800]   seconds to wait for another run.sh to finish (one at a time)
#   BASE_PORT [18100]
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BIN="$BENCH_DIR/bin"

# Perf smoke: a few seconds per measurement, only what the ratios need. The environment
# still overrides each of these.
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
	SESSIONS=${SESSIONS:-"50 200"}
	ROUNDS=${ROUNDS:-1}
	WARMUP=${WARMUP:-2}
	DURATION=${DURATION:-5}
	DRAIN=${DRAIN:-1}
	SKIP_IDLE=${SKIP_IDLE:-1}
	SKIP_OPEN=${SKIP_OPEN:-1}
	RUN_QUIET_WAIT=${RUN_QUIET_WAIT:-5}
	QUIET_WAIT=${QUIET_WAIT:-10}
fi

SESSIONS=${SESSIONS:-"50 200 500"}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-20}
DRAIN=${DRAIN:-3}
RATE=${RATE:-50}
IDLE=${IDLE:-10000}
IDLE_HOLD=${IDLE_HOLD:-5}
OPEN_N=${OPEN_N:-5000}
OPEN_CONC=${OPEN_CONC:-64}
SKIP_HUB=${SKIP_HUB:-0}
SKIP_HUB_BUILD=${SKIP_HUB_BUILD:-0}
SKIP_INSTALL=${SKIP_INSTALL:-0}
SKIP_IDLE=${SKIP_IDLE:-0}
SKIP_OPEN=${SKIP_OPEN:-0}
HUB_BIN=${HUB_BIN:-"$REPO/.build/release/switchboard"}
# hub: one event loop, like the single-threaded reference relay; hub-default: the hub's own
# default (no --event-loops: one loop per core). HUB_ARGS goes to both.
HUB_VARIANTS=${HUB_VARIANTS:-"hub hub-default"}
HUB_ARGS=${HUB_ARGS:-}
TRACE_DIR=${TRACE_DIR:-}
# The load generator opens thousands of connections from one loopback address: the hub's
# per-address, connection and session limits are lifted, as the reference relay has none.
HUB_LIMITS="--max-connections-per-ip 0 --max-connections 0 --max-sessions 0"
REF_EVLIB=${REF_EVLIB:-ev}
ECHO_EVLIB=${ECHO_EVLIB:-ev}
QUIET_WAIT=${QUIET_WAIT:-60}
RUN_QUIET_WAIT=${RUN_QUIET_WAIT:-20}
NEXT_PORT=${BASE_PORT:-18100}
QUERY="model=bench"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in $HUB_VARIANTS; do
	case $v in
	hub | hub-default) ;;
	*) die "unknown hub variant '$v' in HUB_VARIANTS (known: hub hub-default)" ;;
	esac
done
case " $HUB_ARGS " in
*" --event-loops"*) log "warning: HUB_ARGS sets --event-loops: hub-default is then not the hub's default" ;;
esac
# The default variant must get the hub's own default, not one inherited from this shell.
if [ -n "${SWITCHBOARD_EVENT_LOOPS:-}" ]; then
	log "note: ignoring SWITCHBOARD_EVENT_LOOPS=$SWITCHBOARD_EVENT_LOOPS (hub variants set the loops)"
	unset SWITCHBOARD_EVENT_LOOPS
fi

RESULTS="$BENCH_DIR/results"
mkdir -p "$RESULTS"
# One benchmark at a time: two runs on two cores would only measure each other.
exec 8>"$RESULTS/.lock"
if ! flock -n 8; then
	printf '[bench] another run.sh is running; waiting for it (up to %ss)\n' "${LOCK_WAIT:-1800}" >&2
	flock -w "${LOCK_WAIT:-1800}" 8 || { echo "[bench] error: still locked" >&2; exit 1; }
fi
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$RESULTS/$RUN_ID"
LOGS="$OUT/logs"
mkdir -p "$LOGS"

if [ -n "$TRACE_DIR" ]; then
	mkdir -p "$TRACE_DIR" || die "cannot create TRACE_DIR $TRACE_DIR"
	TRACE_DIR=$(cd "$TRACE_DIR" && pwd)
fi

# The commit measured, "-dirty" when tracked files differ from it (untracked files do not count).
# safe.directory: under sudo the checkout belongs to another user; no optional locks: read only.
git_repo() { git --no-optional-locks -C "$REPO" -c safe.directory="$REPO" "$@"; }
commit_id() {
	local c
	c=$(git_repo rev-parse --short HEAD 2>/dev/null) || { echo unknown; return 0; }
	if [ -n "$(git_repo status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		c="$c-dirty"
	fi
	echo "$c"
}
COMMIT=${HUB_COMMIT:-$(commit_id)}  # HUB_COMMIT: the commit HUB_BIN was built from, when not this checkout
if [ "$SMOKE" = 1 ]; then log "run $RUN_ID (perf smoke), commit $COMMIT"; else log "run $RUN_ID, commit $COMMIT"; fi

# ------------------------------------------------------------------ process bookkeeping
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	PIDS=()
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

stop_pid() {
	local pid=$1 keep=() p
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# sets PORT to the next port nobody listens on (not in a subshell: the counter must advance)
alloc_port() {
	NEXT_PORT=$((NEXT_PORT + 1))
	while port_in_use "$NEXT_PORT"; do NEXT_PORT=$((NEXT_PORT + 1)); done
	PORT=$NEXT_PORT
}

# GET /healthz on 127.0.0.1:$1 answers 200 (plain bash, no curl needed)
healthy() {
	local port=$1
	(
		exec 9<>"/dev/tcp/127.0.0.1/$port" || exit 1
		printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$port" >&9 || exit 1
		IFS= read -r -t 2 line <&9 || exit 1
		[[ "$line" == HTTP/1.?" 200"* ]]
	) 2>/dev/null
}

wait_ready() {
	local port=$1 pid=$2 name=$3
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || die "$name exited during start-up (see $LOGS)"
		if healthy "$port"; then
			sleep 0.2
			kill -0 "$pid" 2>/dev/null || die "$name exited during start-up (see $LOGS)"
			return 0
		fi
		sleep 0.1
	done
	die "$name did not answer GET /healthz with 200 on port $port within 30 s"
}

# Each start takes a fresh port: no TIME_WAIT leftovers from earlier runs share a destination.
start_echo() { # sets ECHO_PID ECHO_PORT
	alloc_port; ECHO_PORT=$PORT
	"$BIN/echo-model" --port "$ECHO_PORT" --evlib "$ECHO_EVLIB" >>"$LOGS/echo-model.log" 2>&1 8>&- &
	ECHO_PID=$!
	PIDS+=("$ECHO_PID")
	wait_ready "$ECHO_PORT" "$ECHO_PID" echo-model
}

start_ref() { # sets RELAY_PID RELAY_PORT
	alloc_port; RELAY_PORT=$PORT
	"$BIN/ref-relay" --port "$RELAY_PORT" --upstream "ws://127.0.0.1:$ECHO_PORT/v1/realtime" \
		--evlib "$REF_EVLIB" >>"$LOGS/ref-relay.log" 2>&1 8>&- &
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	wait_ready "$RELAY_PORT" "$RELAY_PID" ref-relay
}

start_hub() { # variant (hub | hub-default); sets RELAY_PID RELAY_PORT
	local variant=$1 loops
	case $variant in
	hub) loops="--event-loops 1" ;;  # one event loop, like the reference relay
	hub-default) loops="" ;;         # the hub's default: one event loop per core
	*) die "unknown hub variant $variant" ;;
	esac
	alloc_port; RELAY_PORT=$PORT
	# shellcheck disable=SC2086
	"$HUB_BIN" serve --host 127.0.0.1 --port "$RELAY_PORT" \
		--model "ws://127.0.0.1:$ECHO_PORT/v1/realtime" $HUB_LIMITS $loops $HUB_ARGS \
		>>"$LOGS/switchboard-$variant.log" 2>&1 8>&- &
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	wait_ready "$RELAY_PORT" "$RELAY_PID" "switchboard ($variant)"
}

# Wait (bounded) until the machine is mostly idle, so other work does not skew the figures.
busy_cores() {
	local a
	read -r _ u1 n1 s1 _ _ q1 sq1 st1 _ < /proc/stat
	sleep 1
	read -r _ u2 n2 s2 _ _ q2 sq2 st2 _ < /proc/stat
	a=$(( (u2 + n2 + s2 + q2 + sq2 + st2) - (u1 + n1 + s1 + q1 + sq1 + st1) ))
	awk -v a="$a" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", a / t }'
}

wait_quiet() { # [max seconds]
	local waited=0 busy limit=${1:-$QUIET_WAIT}
	while :; do
		busy=$(busy_cores)
		if awk -v b="$busy" 'BEGIN{exit !(b < 0.25)}'; then return 0; fi
		if [ "$waited" -ge "$limit" ]; then
			log "warning: the machine is busy with other work ($busy cores); figures will be noisy"
			return 0
		fi
		[ "$waited" -eq 0 ] && log "waiting up to ${limit}s for other work to finish ($busy cores busy)"
		waited=$((waited + 1))
	done
}

# ------------------------------------------------------------------ 1. install, limits, build
if [ "$(id -u)" -ne 0 ]; then
	log "warning: not root: package installs and raising the open-files limit may fail"
fi
need_install=0
command -v cc >/dev/null 2>&1 || need_install=1
command -v make >/dev/null 2>&1 || need_install=1
command -v pkg-config >/dev/null 2>&1 || need_install=1
pkg-config --exists libwebsockets 2>/dev/null || need_install=1
[ -e /usr/lib/x86_64-linux-gnu/libwebsockets-evlib_ev.so ] || ls /usr/lib/*/libwebsockets-evlib_ev.so >/dev/null 2>&1 || need_install=1
PY=$(command -v python3 || true)
[ -n "$PY" ] || need_install=1
if [ "$need_install" = 1 ] && [ "$SKIP_INSTALL" != 1 ]; then
	log "installing build dependencies (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >"$LOGS/apt.log" 2>&1 || die "apt-get update failed (see $LOGS/apt.log)"
	apt-get install -y libwebsockets-dev pkg-config build-essential python3 >>"$LOGS/apt.log" 2>&1 \
		|| die "apt-get install failed (see $LOGS/apt.log)"
	PY=$(command -v python3)
fi
[ -n "$PY" ] || die "python3 is needed to summarise the results"

HARD_NOFILE=$(ulimit -Hn)
ulimit -n 1048576 2>/dev/null || ulimit -n "$HARD_NOFILE" 2>/dev/null || true
NOFILE=$(ulimit -n)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
log "open files limit: $NOFILE (hard $HARD_NOFILE)"

log "building the C tools"
make -C "$BENCH_DIR" >"$LOGS/make.log" 2>&1 || die "make failed (see $LOGS/make.log)"

if [ "$SKIP_HUB" != 1 ]; then
	if [ "$SKIP_HUB_BUILD" != 1 ]; then
		command -v swift >/dev/null 2>&1 || die "swift is not on PATH (or run with SKIP_HUB=1)"
		log "building the hub: swift build -c release --product switchboard"
		(cd "$REPO" && swift build -c release --product switchboard) >"$LOGS/swift-build.log" 2>&1 \
			|| die "swift build failed (see $LOGS/swift-build.log)"
	fi
	[ -x "$HUB_BIN" ] || die "no hub binary at $HUB_BIN (or run with SKIP_HUB=1)"
	PATHS="direct ref $(echo $HUB_VARIANTS)"
else
	log "SKIP_HUB=1: measuring direct and the reference relay only"
	PATHS="direct ref"
fi

# An idle session through a relay holds two descriptors in the relay (client + upstream).
IDLE_MAX=$(( (NOFILE - 128) / 2 ))
IDLE_EFF=$IDLE
if [ "$IDLE" -gt "$IDLE_MAX" ]; then
	IDLE_EFF=$IDLE_MAX
	log "warning: open-files limit $NOFILE allows at most $IDLE_MAX idle relayed sessions; using $IDLE_EFF instead of $IDLE"
fi

cat >"$OUT/env.json" <<EOF
{"run_id": "$RUN_ID", "nproc": $(nproc), "kernel": "$(uname -r)", "nofile": $NOFILE,
 "sessions": "$SESSIONS", "rounds": $ROUNDS, "warmup_s": $WARMUP, "duration_s": $DURATION,
 "rate": $RATE, "idle_requested": $IDLE, "idle_used": $IDLE_EFF, "idle_hold_s": $IDLE_HOLD,
 "open_n": $OPEN_N, "open_concurrency": $OPEN_CONC, "evlib": "$REF_EVLIB", "echo_evlib": "$ECHO_EVLIB",
 "paths": "$PATHS", "hub_bin": "$HUB_BIN", "hub_args": "$HUB_ARGS",
 "hub_variants": "$([ "$SKIP_HUB" = 1 ] || echo $HUB_VARIANTS)", "commit": "$COMMIT", "smoke": $([ "$SMOKE" = 1 ] && echo true || echo false),
 "trace_dir": "$TRACE_DIR",
 "lws_version": "$(pkg-config --modversion libwebsockets 2>/dev/null || echo unknown)"}
EOF

wait_quiet

# ------------------------------------------------------------------ 2. latency and CPU per frame
run_latency() { # path sessions round
	local path=$1 n=$2 r=$3 target_port watch=() trace=() f
	f="$OUT/latency-$path-$n-r$r.json"
	if [ -n "$TRACE_DIR" ]; then trace=(--trace "$TRACE_DIR/trace-$path-$n-r$r.txt"); fi
	start_echo
	case $path in
	direct) target_port=$ECHO_PORT ;;
	ref) start_ref; target_port=$RELAY_PORT; watch=(--watch "relay=$RELAY_PID") ;;
	hub | hub-default) start_hub "$path"; target_port=$RELAY_PORT; watch=(--watch "relay=$RELAY_PID") ;;
	esac
	wait_quiet "$RUN_QUIET_WAIT"
	log "latency: $path, $n sessions, round $r"
	"$BIN/loadgen" "ws://127.0.0.1:$target_port/v1/realtime?$QUERY" --sessions "$n" \
		--rate "$RATE" --warmup "$WARMUP" --duration "$DURATION" --drain "$DRAIN" \
		--concurrency 64 ${watch[@]+"${watch[@]}"} --watch "echo=$ECHO_PID" ${trace[@]+"${trace[@]}"} \
		>"$f" 2>>"$LOGS/loadgen.log" 8>&- || log "warning: loadgen failed for $path/$n/r$r"
	[ "$path" != direct ] && stop_pid "$RELAY_PID"
	stop_pid "$ECHO_PID"
}

read -r -a PATH_LIST <<<"$PATHS"
NP=${#PATH_LIST[@]}
for n in $SESSIONS; do
	for r in $(seq "$ROUNDS"); do
		# rotate the order each round so no path always goes first
		for k in $(seq 0 $((NP - 1))); do
			run_latency "${PATH_LIST[$(( (k + r - 1) % NP ))]}" "$n" "$r"
		done
	done
done

# ------------------------------------------------------------------ 3. RSS per idle session
run_idle() { # path
	local path=$1 f="$OUT/idle-$1.json"
	start_echo
	if [ "$path" = ref ]; then start_ref; else start_hub hub; fi
	wait_quiet "$RUN_QUIET_WAIT"
	log "idle: $path, $IDLE_EFF sessions held ${IDLE_HOLD}s"
	"$BIN/loadgen" "ws://127.0.0.1:$RELAY_PORT/v1/realtime?$QUERY" --idle "$IDLE_EFF" \
		--hold "$IDLE_HOLD" --settle 2 --concurrency 256 --open-timeout 120 \
		--watch "relay=$RELAY_PID" >"$f" 2>>"$LOGS/loadgen.log" 8>&- \
		|| log "warning: loadgen failed for idle/$path"
	stop_pid "$RELAY_PID"
	stop_pid "$ECHO_PID"
}

run_open() { # path
	local path=$1 f="$OUT/open-$1.json" target_port
	start_echo
	case $path in
	direct) target_port=$ECHO_PORT ;;
	ref) start_ref; target_port=$RELAY_PORT ;;
	hub) start_hub hub; target_port=$RELAY_PORT ;;
	esac
	wait_quiet "$RUN_QUIET_WAIT"
	log "open rate: $path, $OPEN_N sessions, $OPEN_CONC in flight"
	"$BIN/loadgen" "ws://127.0.0.1:$target_port/v1/realtime?$QUERY" --open-rate "$OPEN_N" \
		--concurrency "$OPEN_CONC" --open-timeout 120 >"$f" 2>>"$LOGS/loadgen.log" 8>&- \
		|| log "warning: loadgen failed for open/$path"
	[ "$path" != direct ] && stop_pid "$RELAY_PID"
	stop_pid "$ECHO_PID"
}

# idle and open rate: the reference and the one-loop hub only
RELAYS="ref"
[ "$SKIP_HUB" != 1 ] && RELAYS="ref hub"
if [ "$SKIP_IDLE" != 1 ]; then
	for p in $RELAYS; do run_idle "$p"; sleep 2; done
fi
if [ "$SKIP_OPEN" != 1 ]; then
	for p in direct $RELAYS; do run_open "$p"; sleep 1; done
fi

cleanup

# ------------------------------------------------------------------ 4. summary
"$PY" "$BENCH_DIR/summarize.py" "$OUT" >"$OUT/summary.md"
cp "$OUT/summary.md" "$RESULTS/latest.md"
cp "$OUT/summary.json" "$RESULTS/latest.json"
if [ "$SMOKE" = 1 ]; then
	"$PY" "$BENCH_DIR/summarize.py" --ratios "$OUT"
else
	cat "$OUT/summary.md"
fi
log "results: $OUT (summary: $RESULTS/latest.md)"
