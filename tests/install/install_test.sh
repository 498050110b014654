#!/usr/bin/env bash
# `cmake --install` and `cpack` as a user runs them: the installed binary runs and serves, its man
# page is there, and the .deb holds both and depends on what the local platform needs.
# Usage: tests/install/install_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
bin="$tmp/prefix/bin/runagents-mcp"
[[ -x "$bin" ]] || fail "cmake --install put no runagents-mcp in bin/"
[[ "$("$bin" --version)" == "runagents-mcp "* ]] || fail "the installed binary does not run"
# It carries all it needs: the tools list comes up from the installed copy alone.
tools="$(RUNAGENTS_DATA_DIR="$tmp/data" HOME="$tmp" "$bin" tools)"
grep -q "devbox_exec" <<<"$tools" || fail "the installed binary lists no devbox_exec: $tools"
man="$tmp/prefix/share/man/man1/runagents-mcp.1"
[[ -s "$man" ]] || fail "no man page at share/man/man1/runagents-mcp.1"
grep -q -- '\\fB\\-\\-http\\fR' "$man" || fail "the man page does not document --http"
grep -q "^\.TH RUNAGENTS-MCP \"1\"" "$man" || fail "the man page has no section-1 header"

(cd "$build" && cpack -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
debs=("$tmp"/deb/runagents-mcp_*.deb)
[[ -f "${debs[0]}" ]] || fail "cpack made no runagents-mcp_*.deb"
deb="${debs[0]}"
depends="$(dpkg-deb -f "$deb" Depends)"
for dep in bubblewrap python3 libsqlite3-0 libnghttp2-14 libarchive13 libc6; do
  grep -q "\b$dep\b" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
contents="$(dpkg-deb -c "$deb")"
grep -q " \./usr/bin/runagents-mcp$" <<<"$contents" || fail "the .deb has no /usr/bin/runagents-mcp"
grep -q " \./usr/libexec/runagents-mcp/drop-privileges$" <<<"$contents" ||
  fail "the .deb has no /usr/libexec/runagents-mcp/drop-privileges (the sandbox's privilege drop)"
grep -q " \./usr/share/man/man1/runagents-mcp\.1" <<<"$contents" || fail "the .deb has no man page"
# Stripped: the package is a fraction of the build's binary with its debug info.
size=$(stat -c %s "$deb")
(( size < $(stat -c %s "$build/runagents-mcp") / 4 )) || fail "the .deb is $size bytes: not stripped?"
echo "install_test: ok ($(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version), $((size / 1024)) KiB; Depends: $depends)"
