"""Bit packing and a hardware popcount for the Numba kernels.

Input bit-planes and cell bit-planes are packed 64 rows to a ``uint64`` word so that a
column sum over ``R`` rows of 1-bit inputs and 1-bit cell planes is ``ceil(R/64)``
AND + popcount operations (LLVM's ``ctpop``, one POPCNT instruction on x86-64).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def popcount64(typingctx, x):
    """Number of set bits of a uint64 (LLVM ctpop)."""
    if x != types.uint64:
        return None
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@njit(cache=True)
def popcount_array(a):
    """Total set bits of a uint64 array (used by tests and activity checks)."""
    total = 0
    for v in a.ravel():
        total += popcount64(v)
    return total


def pack_rows(bits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Pack a 0/1 array along ``axis`` into uint64 words (row r -> word r//64, bit r%64).

    The packed axis becomes the last axis, of length ``ceil(n/64)``.
    """
    bits = np.moveaxis(np.asarray(bits, dtype=np.uint8), axis, -1)
    n = bits.shape[-1]
    words = -(-n // 64) if n else 0
    padded = np.zeros(bits.shape[:-1] + (words * 64,), dtype=np.uint8)
    padded[..., :n] = bits
    # np.packbits with little bit order puts row r at bit r%8 of byte r//8; eight bytes make
    # one little-endian uint64 with row r at bit r%64.
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)
