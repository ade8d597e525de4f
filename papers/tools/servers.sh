# Shared by the papers/*.sh scripts (source it from the repository root).
#
#   start_redis PORT            start redis-server (no persistence) on PORT
#   start_redis_as LABEL PORT ARGS...  start redis-server with ARGS (e.g. an
#                               append-only file in a directory of its own)
#   start_convoy LABEL PORT ARGS...  start target/release/convoy with ARGS
#   write_machine FILE          record the machine and the code measured
#
# Every server started is recorded in `servers` (LABEL=PORT, for
# interleave.py) and `pid_of` (PORT -> pid), and stopped by its pid when the
# script exits, however it exits.
#
#   cpu_ticks PORT              CPU time the server on PORT has used so far
#                               (user + system, all threads, in clock ticks)
#   cpu_mark                    note every server's CPU time now
#   write_cpu_csv FILE REQUESTS each server's CPU since cpu_mark, as CSV
#                               (server,cpu_s,requests: the requests it served)

pids=()
servers=()
declare -A pid_of=()
stop_servers() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_servers EXIT

wait_ready() {
  for _ in $(seq 1 200); do
    redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return
    sleep 0.05
  done
  echo "port $1 never answered" >&2
  exit 1
}

start_redis() { start_redis_as redis "$1" --appendonly no; }

start_redis_as() {
  local label=$1 port=$2
  shift 2
  redis-server --port "$port" --save "" --daemonize no "$@" >/dev/null &
  pids+=($!)
  pid_of[$port]=$!
  wait_ready "$port"
  servers+=("$label=$port")
}

start_convoy() {
  local label=$1 port=$2
  shift 2
  target/release/convoy --port "$port" "$@" 2>/dev/null &
  pids+=($!)
  pid_of[$port]=$!
  wait_ready "$port"
  servers+=("$label=$port")
}

# Fields 14 and 15 of /proc/PID/stat: utime and stime of the whole process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/${pid_of[$1]}/stat"; }

declare -A cpu_marked=()
cpu_mark() { for s in "${!pid_of[@]}"; do cpu_marked[$s]=$(cpu_ticks "$s"); done; }

# The CPU each server used since cpu_mark: over its own runs, as a server
# is idle while the others are measured.
write_cpu_csv() {
  {
    echo "server,cpu_s,requests"
    for entry in "${servers[@]}"; do
      local label=${entry%=*} port=${entry#*=}
      echo "$label,$(( $(cpu_ticks "$port") - ${cpu_marked[$port]} ))e-2,$2"
    done
  } > "$1"
}

write_machine() {
  {
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "cores: $(nproc)"
    echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "kernel: $(uname -r)"
    if command -v redis-server >/dev/null; then echo "redis: $(redis-server --version)"; fi
    echo "convoy: $(git rev-parse --short HEAD), release build, glibc malloc behind convoy's counting allocator (src/metrics/alloc.rs), --threads $(nproc)"
    echo "date: $(date -u +%FT%TZ)"
  } > "$1"
}
