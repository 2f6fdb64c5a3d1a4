#!/usr/bin/env bash
# Builds a static x86_64-unknown-linux-musl release binary (rustls, bundled SQLite: no OpenSSL, no
# glibc) into dist/, with its sha256 beside it. Installs what it needs where it can (the musl target
# through rustup, musl-tools through apt as root) and otherwise says exactly what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" || { echo "missing: the Rust target $target (run: rustup target add $target)" >&2; exit 1; }
fi
if ! command -v musl-gcc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null
  else
    echo "missing: musl-gcc, for SQLite's and ring's C code (Debian/Ubuntu: apt-get install musl-tools)" >&2
    exit 1
  fi
fi

# The binary's path as cargo reports it, so CARGO_TARGET_DIR and build.target-dir are honoured.
built=$(CC_x86_64_unknown_linux_musl=musl-gcc cargo build --release --locked --target "$target" \
  --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\/media-lab\)".*/\1/p' | tail -n 1)
if [ -z "$built" ] || [ ! -x "$built" ]; then
  echo "cargo did not report the media-lab binary it built" >&2
  exit 1
fi
mkdir -p dist
cp "$built" dist/media-lab
(cd dist && sha256sum media-lab > media-lab.sha256)
if ldd dist/media-lab 2>&1 | grep -q "=>"; then
  echo "dist/media-lab is dynamically linked:" >&2
  ldd dist/media-lab >&2
  exit 1
fi
echo "built dist/media-lab ($(du -h dist/media-lab | cut -f1), static): $(cat dist/media-lab.sha256)"
