#!/usr/bin/env bash
# Throwaway 3-master Redis Cluster on loopback, for tests and CI.
#
#   scripts/redis-cluster.sh start [DIR]   -> prints "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
#   scripts/redis-cluster.sh stop  [DIR]   -> shuts the nodes down and removes DIR
#
# DIR defaults to $PWD/.redis-ci/cluster (gitignored). Each node lives in DIR/<port>/
# with its own nodes-<port>.conf, log and pidfile; DIR/nodes.txt lists the nodes.
#
# Contract: on `start`, stdout carries ONLY the comma-separated node list (callers do
# NODES=$(scripts/redis-cluster.sh start)); every diagnostic goes to stderr.
#
# Knobs (env): BATON_CLUSTER_BASE_PORT (first port tried, default 7100).
set -euo pipefail

readonly HOST=127.0.0.1
readonly BASE_PORT="${BATON_CLUSTER_BASE_PORT:-7100}"
readonly MAX_PORT=$((BASE_PORT + 500))
# Marker so `stop` only ever deletes a directory this script created.
readonly MARKER=.baton-redis-cluster

log() { echo "redis-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  echo "usage: $0 start|stop [DIR]" >&2
  exit 2
}

# True if nothing listens on TCP port $1 (any address). `ss` sees listeners bound to
# any interface; the /dev/tcp probe is a fallback for machines without iproute2.
port_free() {
  local p=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]] || return 1
  fi
  # A successful connect means someone is listening.
  if (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then
    return 1
  fi
  return 0
}

# A node needs its client port P and its cluster-bus port P+10000.
node_ports_free() { port_free "$1" && port_free $(($1 + 10000)); }

# PID recorded in DIR/<port>/redis.pid, if that process is still a redis-server.
# (Checking the command name guards against acting on a recycled PID.)
live_pid() {
  local pidfile=$1 pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q redis-server "/proc/$pid/comm" 2>/dev/null || [[ ! -d /proc ]] || return 1
  echo "$pid"
}

# process_id reported by whatever Redis answers on port $1 (empty if none).
node_pid() {
  timeout 5 redis-cli -h "$HOST" -p "$1" info server 2>/dev/null | tr -d '\r' |
    sed -n 's/^process_id://p' || true
}

# Stop the node whose data dir is $1 (DIR/<port>): polite SHUTDOWN NOSAVE first,
# then SIGTERM/SIGKILL on the recorded PID if it does not go away.
stop_node() {
  local nodedir=$1 port pid i
  port=$(basename "$nodedir")
  pid=$(live_pid "$nodedir/redis.pid") || return 0
  # Only send SHUTDOWN if the process on the port is really ours (never stop somebody
  # else's server that happens to sit on a port we once used); else signal our PID.
  if [[ "$(node_pid "$port")" == "$pid" ]]; then
    redis-cli -h "$HOST" -p "$port" shutdown nosave >/dev/null 2>&1 || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "node $port (pid $pid) ignored SHUTDOWN; sending SIGTERM"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
  local dir=$1 nodedir
  [[ -d "$dir" ]] || return 0
  if [[ ! -e "$dir/$MARKER" ]]; then
    die "$dir was not created by $0 (no $MARKER); refusing to touch it"
  fi
  for nodedir in "$dir"/*/; do
    [[ -d "$nodedir" ]] && stop_node "${nodedir%/}"
  done
  rm -rf -- "$dir"
}

# Wait until redis-server with data dir $1 answers on port $2 AND the answering
# process is the one we started (its pidfile matches INFO's process_id). With
# --daemonize yes a failed bind only shows up in the log, so this is the real check.
wait_node_up() {
  local nodedir=$1 port=$2 i pid
  for i in $(seq 100); do
    if pid=$(live_pid "$nodedir/redis.pid"); then
      [[ "$(node_pid "$port")" == "$pid" ]] && return 0
    fi
    sleep 0.1
  done
  return 1
}

start_all() {
  local dir=$1
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (apt-get install redis-server)"
  command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found (apt-get install redis-tools)"

  if [[ -e "$dir/nodes.txt" ]]; then
    die "$dir already holds a cluster ($dir/nodes.txt); run '$0 stop $dir' first"
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  touch "$dir/$MARKER"
  # Any failure from here on (die, set -e, signal): tear down whatever we started.
  START_DIR=$dir
  trap 'stop_all "$START_DIR" >/dev/null 2>&1 || true' EXIT
  trap 'exit 130' INT TERM

  # Serialize port picking + binding across concurrent starts (e.g. two jest workers
  # each starting a private cluster), otherwise both could pick the same free ports.
  local lock="${TMPDIR:-/tmp}/baton-redis-cluster.lock"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$lock"
    flock -w 120 9 || die "timed out waiting for $lock"
  fi

  local ports=() p=$BASE_PORT nodedir
  while ((${#ports[@]} < 3)); do
    ((p <= MAX_PORT)) || die "no free port pair in $BASE_PORT..$MAX_PORT"
    if node_ports_free "$p"; then
      nodedir="$dir/$p"
      mkdir -p "$nodedir"
      redis-server --port "$p" --bind "$HOST" \
        --cluster-enabled yes --cluster-config-file "nodes-$p.conf" \
        --cluster-node-timeout 5000 \
        --save '' --appendonly no --daemonize yes \
        --dir "$nodedir" --pidfile "$nodedir/redis.pid" --logfile "$nodedir/redis.log" \
        >/dev/null 9>&-
      # (9>&-: the daemon must not inherit the lock fd, or it would hold the lock
      # for its whole lifetime and block every later start.)
      if wait_node_up "$nodedir" "$p"; then
        ports+=("$p")
      else
        # Lost a race for the port (or something else broke): log it, try the next one.
        log "node on port $p did not come up; log tail:"
        tail -n 5 "$nodedir/redis.log" >&2 2>/dev/null || true
        stop_node "$nodedir"
        rm -rf -- "$nodedir"
      fi
    fi
    p=$((p + 1))
  done
  # Ports are now bound by our servers; other starters may proceed.
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi

  local addrs=()
  for p in "${ports[@]}"; do addrs+=("$HOST:$p"); done
  log "creating cluster on ${addrs[*]}"
  # redis-cli is chatty on stdout; keep our stdout clean for the node list.
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >&2 </dev/null

  # --cluster create returns once slots are assigned, but nodes may still disagree for
  # a moment. Wait until every node reports cluster_state:ok so clients can connect
  # through any of them.
  local i ok
  for i in $(seq 300); do
    ok=0
    for p in "${ports[@]}"; do
      redis-cli -h "$HOST" -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && ok=$((ok + 1))
    done
    ((ok == ${#ports[@]})) && break
    sleep 0.1
  done
  ((ok == ${#ports[@]})) || die "cluster did not reach cluster_state:ok within 30s"

  trap - EXIT INT TERM
  local list
  list=$(IFS=,; echo "${addrs[*]}")
  printf '%s\n' "${addrs[@]}" >"$dir/nodes.txt"
  log "cluster ready: $list"
  echo "$list"
}

cmd=${1:-}
dir=${2:-$PWD/.redis-ci/cluster}
[[ -n "$dir" && "$dir" != "/" ]] || die "refusing to use DIR='$dir'"
case "$cmd" in
  start) start_all "$dir" ;;
  stop) stop_all "$dir" ;;
  *) usage ;;
esac
