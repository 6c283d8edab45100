#!/usr/bin/env bash
# The `type` peek on a 20 ms audio append (1,280 bytes of base64), optimised build: the trusted
# peek (stops at the first member) against the client peek (reads every top-level member so a
# second `type` is caught). Builds the two source files as they are, with a ByteBuffer stand-in.
set -euo pipefail
cd "$(dirname "$0")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for f in TypePeek MemberPeek; do sed 's/^import NIOCore$//' "../../Sources/RealtimeProtocol/$f.swift" > "$out/$f.swift"; done
export PATH="/opt/swift/usr/bin:$PATH"
swiftc -O -module-name PeekBench stub.swift "$out/TypePeek.swift" "$out/MemberPeek.swift" main.swift -o "$out/peek"
"$out/peek"
