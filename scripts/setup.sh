#!/usr/bin/env bash
# Installs the Debian packages keras.cpp needs, and only those that are missing.
# Silent when everything is already there, so `make` can call it on every run.
#
#   scripts/setup.sh               build + test dependencies
#   scripts/setup.sh --bench       ... plus PyTorch, libtorch and matplotlib for bench/
#   scripts/setup.sh --examples    ... plus the data sets the examples read
#   scripts/setup.sh --check       list what is missing and exit 1 if anything is; install nothing
set -euo pipefail

packages=(build-essential cmake ccache pkg-config libopenblas-dev libgtest-dev libgmock-dev
          libbenchmark-dev libhdf5-dev libzip-dev zlib1g-dev nlohmann-json3-dev python3 python3-numpy)
bench_packages=(python3-torch libtorch-dev python3-matplotlib)
example_packages=(dataset-fashion-mnist)

check_only=0
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=("${bench_packages[@]}") ;;
    --examples) packages+=("${example_packages[@]}") ;;
    --check) check_only=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup.sh: dpkg-query not found. This script installs Debian packages (Debian 12 / Ubuntu);" >&2
  echo "          on other systems install the equivalents of: ${packages[*]}" >&2
  exit 1
fi

# One dpkg-query for all packages; a package dpkg has never heard of prints nothing.
declare -A installed=()
while read -r name status; do
  [[ "$status" == "install ok installed" ]] && installed["${name%%:*}"]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for p in "${packages[@]}"; do
  [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if ((check_only)); then
  echo "missing packages: ${missing[*]}"
  exit 1
fi

as_root=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup.sh: these packages are missing and I am not root (and sudo is not installed):" >&2
    echo "          ${missing[*]}" >&2
    echo "          install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
log="$(mktemp "${TMPDIR:-/tmp}/kerascpp-setup.XXXXXX.log")"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be empty (fresh containers) or stale, so refresh them first.
if ! "${as_root[@]}" apt-get update -q >"$log" 2>&1 ||
   ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  echo "setup.sh: apt-get failed; the last lines of $log:" >&2
  tail -n 25 "$log" >&2
  exit 1
fi
rm -f "$log"
echo "setup: done"
