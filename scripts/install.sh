#!/usr/bin/env bash
# Installs whatever is missing to run (`install.sh run`), test (`install.sh test`),
# benchmark (`install.sh bench`) or fuzz (`install.sh fuzz`) the app. Idempotent, and silent when nothing
# is missing. Only package registries are used (Debian, crates.io, npm, PyPI,
# rustup): nothing is fetched from GitHub or a CDN.
set -euo pipefail
source "$(dirname "$0")/env.sh"
PROFILE=${1:-test}

say() { echo "install: $*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=()
case "$PROFILE" in
  run) ;;
  test) apt_packages=(chromium dovecot-imapd rclone poppler-utils) ;;
  bench) apt_packages=(chromium dovecot-imapd rclone poppler-utils wrk valgrind) ;;
  # libFuzzer is C++, built by libfuzzer-sys.
  fuzz) apt_packages=(g++) ;;
  *) echo "usage: install.sh run|test|bench|fuzz" >&2; exit 2 ;;
esac

# Debian packages.
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    as_root apt-get update -qq >/dev/null
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Fuzzing needs only a nightly toolchain (sanitizers) and cargo-fuzz.
if [ "$PROFILE" = fuzz ]; then
  if ! rustup toolchain list | grep -q '^nightly-'; then
    say "rustup toolchain nightly"
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz (takes a while, once)"
    CARGO_TARGET_DIR="$CACHE/tool-build" cargo install cargo-fuzz --locked --quiet
  fi
  exit 0
fi

# The WebAssembly target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >/dev/null 2>&1
fi

# cargo-leptos, pinned (0.3.11 needs a newer rustc). Built without LTO and at
# opt-level 1: it only drives other tools, and this saves most of its build time.
if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  say "cargo-leptos $CARGO_LEPTOS_VERSION (takes a while, once)"
  CARGO_TARGET_DIR="$CACHE/tool-build" \
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --quiet
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock, byte for byte.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
  say "wasm-bindgen-cli $bindgen_version"
  CARGO_TARGET_DIR="$CACHE/tool-build" CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$bindgen_version" --quiet
fi

# npm: Tailwind and wasm-opt for cargo-leptos; Playwright, oidc-provider and
# google-drive-mock (with its express and cors peers) for tests.
npm_ci() {
  local dir=$1
  # Reinstall only when the lock file changed since the last install.
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm packages in ${dir#"$ROOT"/}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent >/dev/null)
  fi
}
npm_ci "$ROOT"
[ "$PROFILE" = run ] || npm_ci "$ROOT/end2end"

# Python test peers: secantusdb (MongoDB wire protocol), wsgidav (WebDAV) and
# jira820 (Jira Data Center).
if [ "$PROFILE" != run ]; then
  requirements="$ROOT/scripts/requirements-peers.txt"
  stamp="$VENV/.requirements"
  if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
    say "Python test peers (secantusdb, wsgidav, jira820)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --pre -r "$requirements"
    cp "$requirements" "$stamp"
  fi
fi
