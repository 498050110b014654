#!/usr/bin/env bash
# Installs everything runagents-mcp needs to build, run and test, on Debian 12. Idempotent: what
# is already there is left alone, so a second run takes about a second.
#   - Debian packages: compilers and CMake (clang and its libFuzzer runtime for tests/fuzz/), the C++ libraries (cpp-httplib, nlohmann/json, spdlog,
#     doctest, valijson, SQLite, OpenSSL, Boost headers, CLI11, nghttp2, libarchive), bubblewrap, slirp4netns and
#     iproute2 (a devbox's own network with network: true), python3, Node.js; help2man and dpkg-dev
#     (the man page and the .deb of `cmake --install` / `cpack`).
#   - npm packages for the tests (tests/) and the benchmark (bench/), from their lockfiles.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  g++ cmake make pkg-config clang-format clang libclang-rt-14-dev
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev doctest-dev libvalijson-dev
  libsqlite3-dev libssl-dev libboost-dev libcli11-dev libnghttp2-dev libarchive-dev
  bubblewrap slirp4netns iproute2 python3 nodejs npm curl ca-certificates
  help2man dpkg-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js may come from elsewhere than Debian (it does on the project's machines): keep it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  keep=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || keep+=("$p"); done
  missing=("${keep[@]+"${keep[@]}"}")
fi

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, reinstalled only when a lockfile changed.
for dir in tests bench; do
  [[ -f "$root/$dir/package-lock.json" ]] || continue
  stamp="$root/$dir/node_modules/.runagents-lock-sha"
  want="$(sha256sum "$root/$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "setup: npm ci in $dir/"
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
done
echo "setup: all dependencies present"
