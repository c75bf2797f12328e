#!/usr/bin/env bash
# Installs what officestream needs on a Debian machine, only where it is missing:
# a Java 17 JDK (Kafka; javac compiles the Vespa package check, ops/vespa), Maven (downloads
# Kafka, the registry and Vespa's config model), redis-server, chromium (the
# notifier page's browser test), a Python 3.11+
# virtualenv with the project installed. Apicurio Registry 3.3 needs Java 21+: Debian 12 has no
# such package, so a JDK 21+ must already be there (JAVA_HOME, PATH or /usr/lib/jvm) or be named
# by OFFICESTREAM_STACK_REGISTRY_JAVA_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# Debian's Chromium: the notifier's page is tested in a real headless browser.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "[bootstrap] apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: officestream needs Python 3.11+, $python is $("$python" --version 2>&1); set PYTHON" >&2
  exit 1
fi
[ -x "$VENV/bin/python" ] || { echo "[bootstrap] creating $VENV" >&2; "$python" -m venv "$VENV"; }

# Reinstall only when the project's dependency list changed since the last install.
stamp="$VENV/.officestream-installed"
if [ ! -f "$stamp" ] || ! cmp -s pyproject.toml "$stamp"; then
  echo "[bootstrap] installing officestream and its dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
  cp pyproject.toml "$stamp"
fi
