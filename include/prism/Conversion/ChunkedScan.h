//===- ChunkedScan.h - Chunked schedules of a scan --------------*- C++ -*-===//
//
// The chunked lowering of recurrence.scan (prism-math.md section 5), shared by
// the CPU and GPU targets: see lib/Conversion/RecurrenceToSCF/ChunkedScan.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_CHUNKEDSCAN_H
#define PRISM_CONVERSION_CHUNKEDSCAN_H

#include "prism/Analysis/RecurrenceInfo.h"
#include "prism/Target/GPUTarget.h"

#include "mlir/IR/Builders.h"

namespace prism {
namespace lowering {

/// Parameters of a chunked schedule, after defaults are filled in.
struct ChunkedParams {
  int64_t chunk = 64;
  int64_t vTile = 64;
  int64_t warps = 4;
  int64_t stages = 1;
  /// chunked_two_pass: a kernel that walks the chunks and writes each
  /// chunk's start state, then one that computes every chunk's outputs in
  /// parallel. Otherwise chunked_fused: one kernel does both per chunk.
  bool twoPass = false;
  /// The GPU whose limits the kernels respect (shared memory per block);
  /// the CPU backend lays out its scratch the same way.
  const GPUTarget *target = &defaultGPUTarget();
};

/// Element type of the chunked schedules' matrix-product operands (and of
/// the two-pass workspaces): the inputs' 16-bit type when they all share it,
/// else f32.
mlir::Type chunkedOperandType(RecurrenceInfo &info);

/// The V-tile of the two-pass schedule's output kernel: all of V up to 128
/// when its scratch fits (the chunk's scores are then computed once), else
/// `params.vTile`.
int64_t chunkedOutputVTile(RecurrenceInfo &info, const ChunkedParams &params);

/// The workspaces of the two-pass schedule:
/// - states: the state at the start of every chunk, in the operand type,
///   [B, H, ceil(T / chunk), V, K];
/// - summaries: each chunk's update from a zero state, [B, H, ceil(T /
///   chunk), V, K]: f32 for the decay families, the operand type for the
///   delta forget (B0 = sum_l D_l^T K~_l + X0^T W~);
/// - decays (scalar and diagonal decay, the gated delta forget): each
///   chunk's total log decay in base 2 (log2 of its decay factor), f32,
///   [B, H, ceil(T / chunk)] or [B, H, ceil(T / chunk), K];
/// - values (delta forget): the solved values x_t of its virtual injection,
///   in the operand type, [B, T, H, V]; the chunk summaries write those of a
///   zero start state (x0_t), the state walk adds S0 psi_t in place;
/// - responses (delta forget): psi_t, the response of x_t to the chunk's
///   start state S0 (x_t = x0_t + S0 psi_t), in the operand type,
///   [B, T, H, K];
/// - erasedKeys (delta forget): the erase keys decayed to their chunk's end,
///   w~_t = w_t e^{G_end - G_t} (normalised first when the forget asks), in
///   the operand type, [B, T, H, K].
/// With them a chunk's transition is S -> e^{G_end} S + B0 + sum_t
/// (S psi_t) w~_t^T: the K x K matrix e^{G_end} I + sum_t psi_t w~_t^T in
/// factored form.
struct ChunkedWorkspaces {
  mlir::Value states, summaries, decays, values, responses, erasedKeys;
};

/// Checks that the chunked-fused schedule `params` can be built for `info`;
/// emits a diagnostic at the scan and fails otherwise. `gpu` adds the limits
/// of `params.target` (shared memory per block).
mlir::LogicalResult checkChunkedScan(RecurrenceInfo &info,
                                     const ChunkedParams &params, bool gpu);

/// Bytes of shared memory (the scratch of one program) the schedule uses;
/// for the two-pass schedule, the larger of its two kernels'.
int64_t chunkedScratchBytes(RecurrenceInfo &info, const ChunkedParams &params);

/// Emits the chunked scan at `b`: per kernel one scf.parallel over programs
/// (head, batch, V-tile; the two-pass per-chunk kernels: chunk x V-tile,
/// head, batch; its scan: head, batch, state slice); on the GPU with one
/// more "lane" dimension for the threads of a block, on the CPU with the
/// lanes as loops per phase. `workspaces` are the two-pass schedule's
/// (unused by chunked_fused).
void emitChunkedScan(mlir::OpBuilder &b, RecurrenceInfo &info,
                     llvm::function_ref<mlir::Value(mlir::Value)> memrefOf,
                     bool gpu, const ChunkedParams &params,
                     ChunkedWorkspaces workspaces = {});

/// Name of the module-level workgroup buffer the GPU kernels carve their
/// scratch from (dynamic shared memory).
inline constexpr llvm::StringLiteral kSharedScratchName = "__prism_shared";
/// Attribute on the memref.get_global of that buffer: bytes a launch needs.
inline constexpr llvm::StringLiteral kSharedBytesAttr = "prism.shared_bytes";

} // namespace lowering
} // namespace prism

#endif // PRISM_CONVERSION_CHUNKEDSCAN_H
