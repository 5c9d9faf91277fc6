# Shared by scripts/run and scripts/test: install what is missing, then start throw-away services.
# Sourced, not executed. Every step is idempotent and fast when nothing changed.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_system_packages() {
  local missing=()
  [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    say "Installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

find_python() {
  local candidate version
  for candidate in python3.13 python3.12 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python \
      python3; do
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    version=$("$candidate" -c 'import sys; print(sys.version_info >= (3, 12))' 2>/dev/null) || continue
    if [ "$version" = "True" ]; then command -v "$candidate" 2>/dev/null || echo "$candidate"; return 0; fi
  done
  return 1
}

install_python_packages() {
  local python stamp want
  if [ ! -x "$VENV/bin/python" ]; then
    python=$(find_python) || die "Python 3.12 or newer is needed (Django 6.1). Install python3.13 or python3.12, or a pyenv version, and run this again."
    say "Creating virtualenv with $python"
    "$python" -m venv "$VENV"
  fi
  stamp="$VENV/.installed"
  want=$(cat pyproject.toml "$VENV/bin/python" 2>/dev/null | sha256sum | cut -c1-32)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing the pinned Python packages"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" - <<'PY' > "$VENV/requirements.txt"
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))
PY
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$VENV/requirements.txt"
    echo "$want" > "$stamp"
  fi
}

free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVICES_DIR=""
stop_services() {
  local rc=$?
  if [ -n "$SERVICES_DIR" ] && [ -d "$SERVICES_DIR" ]; then
    if [ -f "$SERVICES_DIR/postgres/data/postmaster.pid" ]; then
      as_pg "$(pg_bindir)/pg_ctl" -D "$SERVICES_DIR/postgres/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$SERVICES_DIR"
  fi
  return $rc
}

as_pg() {
  # PostgreSQL refuses to run as root: run its programs as the postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_services() {
  if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
    say "Using DATABASE_URL and REDIS_URL from the environment"
    return 0
  fi
  SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/portal-services.XXXXXX")
  chmod 755 "$SERVICES_DIR"
  trap stop_services EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ -z "${DATABASE_URL:-}" ]; then
    local port bindir
    port=$(free_port); bindir=$(pg_bindir)
    local pgroot="$SERVICES_DIR/postgres"
    mkdir -p "$pgroot"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pgroot"; fi
    as_pg "$bindir/initdb" -D "$pgroot/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$SERVICES_DIR/initdb.log" 2>&1 \
      || { cat "$SERVICES_DIR/initdb.log" >&2; die "initdb failed"; }
    as_pg "$bindir/pg_ctl" -D "$pgroot/data" -l "$pgroot/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $pgroot -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$pgroot/server.log" >&2; die "PostgreSQL did not start"; }
    as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres portal
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/portal"
    export PG_DATA_DIR="$pgroot/data" PG_BIN_DIR="$bindir"
    say "PostgreSQL on 127.0.0.1:$port (temporary, $pgroot)"
  fi
  if [ -z "${REDIS_URL:-}" ]; then
    local rport
    rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR" >/dev/null
    for _ in $(seq 50); do
      redis-cli -p "$rport" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -p "$rport" ping >/dev/null 2>&1 || { cat "$SERVICES_DIR/redis.log" >&2; die "Redis did not start"; }
    export REDIS_URL="redis://127.0.0.1:$rport/0"
    say "Redis on 127.0.0.1:$rport (temporary)"
  fi
}

setup() {
  install_system_packages
  install_python_packages
  export PATH="$VENV/bin:$PATH"
}
