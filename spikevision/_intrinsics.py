"""LLVM intrinsics for the numba kernels of every toolkit (one instruction each where the CPU has it)."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["popcount64", "ctz64"]


@intrinsic
def popcount64(typingctx, v):  # pragma: no cover - compiled
    """Number of set bits of a uint64 (LLVM ``ctpop``: one POPCNT instruction, vectorised where the CPU has it)."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def ctz64(typingctx, v):  # pragma: no cover - compiled
    """Index of the lowest set bit of a non-zero uint64 (LLVM ``cttz``: one TZCNT instruction)."""
    if v != types.uint64:
        return None
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        fn = builder.module.declare_intrinsic("llvm.cttz", [i64], ir.FunctionType(i64, [i64, ir.IntType(1)]))
        return builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 1)])

    return sig, codegen
