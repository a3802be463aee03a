# Sourced by the other scripts: where things live. No side effects beyond exports.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Caches shared by every checkout on this machine, so a fresh clone builds warm.
CACHE=${CLOUD_SOURCES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloud-sources}
VENV="$CACHE/venv"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
export PATH="$HOME/.cargo/bin:$PATH"
# Tools cargo-leptos would otherwise try to download from GitHub come from npm.
export PATH="$ROOT/node_modules/.bin:$PATH"
export CLOUD_SOURCES_VENV="$VENV"
CARGO_LEPTOS_VERSION=0.3.10

# Prints "==> name", runs the command, then how long it took; the durations are
# summed up at the end by `phase_summary`.
PHASES=()
phase() {
  local name=$1; shift
  local start=$SECONDS
  echo "==> $name"
  "$@"
  local took=$((SECONDS - start))
  PHASES+=("$(printf '%-34s %4d s' "$name" "$took")")
  echo "    $name: ${took} s"
}
phase_summary() {
  echo "==> Phase timings"
  printf '    %s\n' "${PHASES[@]}"
}

# A free loopback TCP port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until a loopback port accepts connections, or fails after $2 seconds.
wait_for_port() {
  local port=$1 timeout=${2:-30} start=$SECONDS
  until python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1', $port)))" 2>/dev/null; do
    if ((SECONDS - start > timeout)); then
      echo "nothing listening on 127.0.0.1:$port after ${timeout} s" >&2
      return 1
    fi
    sleep 0.2
  done
}
