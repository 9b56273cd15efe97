//===- ChunkedScan.h - Chunked schedules of a scan --------------*- C++ -*-===//
//
// The chunked lowering of recurrence.scan (prism-math.md section 5), shared by
// the CPU and GPU targets: see lib/Conversion/RecurrenceToSCF/ChunkedScan.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_CHUNKEDSCAN_H
#define PRISM_CONVERSION_CHUNKEDSCAN_H

#include "prism/Analysis/RecurrenceInfo.h"

#include "mlir/IR/Builders.h"

namespace prism {
namespace lowering {

/// Shared memory a block may use on sm_90 (227 KiB, opt-in).
inline constexpr int64_t kMaxSharedBytesSm90 = 232448;

/// Parameters of a chunked schedule, after defaults are filled in.
struct ChunkedParams {
  int64_t chunk = 64;
  int64_t vTile = 64;
  int64_t warps = 4;
  int64_t stages = 1;
};

/// Checks that the chunked-fused schedule `params` can be built for `info`;
/// emits a diagnostic at the scan and fails otherwise. `gpu` adds the limits
/// of the device (shared memory per block).
mlir::LogicalResult checkChunkedScan(RecurrenceInfo &info,
                                     const ChunkedParams &params, bool gpu);

/// Bytes of shared memory (the scratch of one program) the schedule uses.
int64_t chunkedScratchBytes(RecurrenceInfo &info, const ChunkedParams &params);

/// Emits the chunked-fused scan at `b`: one scf.parallel over programs
/// (head, batch, V-tile); on the GPU with one more "lane" dimension for the
/// threads of a block, on the CPU with the lanes as loops per phase.
void emitChunkedScan(mlir::OpBuilder &b, RecurrenceInfo &info,
                     llvm::function_ref<mlir::Value(mlir::Value)> memrefOf,
                     bool gpu, const ChunkedParams &params);

/// Name of the module-level workgroup buffer the GPU kernels carve their
/// scratch from (dynamic shared memory).
inline constexpr llvm::StringLiteral kSharedScratchName = "__prism_shared";
/// Attribute on the memref.get_global of that buffer: bytes a launch needs.
inline constexpr llvm::StringLiteral kSharedBytesAttr = "prism.shared_bytes";

} // namespace lowering
} // namespace prism

#endif // PRISM_CONVERSION_CHUNKEDSCAN_H
