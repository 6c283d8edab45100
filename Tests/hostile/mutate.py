"""Seeded mutations of valid messages: bit flips, byte insertions and deletions, truncations,
chunk duplication, and swaps of numeric tokens for extreme ones."""

from __future__ import annotations

import random
import re

EXTREME_TOKENS = [b"1e19", b"-1e19", b"1e308", b"-0", b"18446744073709551616", b"-9223372036854775809",
                  b"1e400", b"1.5", b"NaN", b"\"NaN\"", b"99999999999999999999999999999", b"-1", b"0",
                  b"4294967296", b"65536", b"1e-400"]
STRUCTURAL = b'{}[]",:\\0123456789-+.eE \x00\xff\xc3\xed'
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def mutate(rng: random.Random, data: bytes, rounds: int | None = None) -> tuple[bytes, str]:
    """`data` with 1-4 random mutations; returns the mutant and what was done."""
    out = bytearray(data)
    done = []
    for _ in range(rounds or rng.randint(1, 4)):
        kind = rng.choice(["flip", "flip", "insert", "delete", "truncate", "number", "number", "duplicate", "replace"])
        if not out:
            out += b"{"
        i = rng.randrange(len(out))
        if kind == "flip":
            out[i] ^= 1 << rng.randrange(8)
        elif kind == "insert":
            out[i:i] = bytes(rng.choice(STRUCTURAL) for _ in range(rng.randint(1, 8)))
        elif kind == "delete":
            del out[i:i + rng.randint(1, 16)]
        elif kind == "truncate":
            del out[rng.randrange(max(1, len(out))):]
        elif kind == "number":
            numbers = list(_NUMBER.finditer(bytes(out)))
            if numbers:
                m = rng.choice(numbers)
                out[m.start():m.end()] = rng.choice(EXTREME_TOKENS)
            else:
                kind = "number(none)"
        elif kind == "duplicate":
            j = min(len(out), i + rng.randint(1, 64))
            out[j:j] = out[i:j] * rng.randint(1, 50)
        elif kind == "replace":
            # a string value becomes a number, or a number a string
            strings = list(re.finditer(rb'"[^"\\]{0,40}"', bytes(out)))
            if strings:
                m = rng.choice(strings[1:] or strings)
                out[m.start():m.end()] = rng.choice(EXTREME_TOKENS)
        done.append(kind)
    return bytes(out), "+".join(done)
