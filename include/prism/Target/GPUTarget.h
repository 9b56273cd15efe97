//===- GPUTarget.h - What each GPU offers the lowerings --------*- C++ -*-===//
//
// One description per chip, chosen by the pipelines' `chip` option: every
// limit a lowering or a schedule choice respects (shared memory per block,
// registers, threads) and which matrix instructions exist come from here,
// never from constants in the passes.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TARGET_GPUTARGET_H
#define PRISM_TARGET_GPUTARGET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir {
class Operation;
} // namespace mlir

namespace prism {

struct GPUTarget {
  /// The name the pipelines take (`chip=`), as NVPTX spells it.
  llvm::StringLiteral chip;
  /// Compute capability times ten (80, 90).
  int computeCapability;
  /// Dynamic shared memory a block may use (the opt-in maximum), an SM
  /// holds, and the driver reserves for each block resident on an SM.
  int64_t sharedBytesPerBlock;
  int64_t sharedBytesPerSm;
  int64_t sharedBytesReservedPerBlock;
  /// Registers a thread may use, threads a block may have, registers a
  /// block may use (a block of more than 256 threads gets fewer than
  /// registersPerThread each).
  int64_t registersPerThread;
  int64_t threadsPerBlock;
  int64_t registersPerBlock;
  int64_t registersPerSm;
  /// Matrix instructions: mma.sync m16n8k16 with bf16/f16 operands, and
  /// Hopper's warpgroup wgmma with TMA copies.
  bool mmaSync;
  bool wgmma;
  bool tma;
  /// stmatrix: 8 x 8 16-bit matrices from a warp's registers to shared
  /// memory (sm_90).
  bool stmatrix;

  /// Blocks an SM can hold at once for their `bytes` of dynamic shared
  /// memory each (0 when one does not fit).
  int64_t blocksPerSmByShared(int64_t bytes) const {
    if (bytes > sharedBytesPerBlock)
      return 0;
    return sharedBytesPerSm / (bytes + sharedBytesReservedPerBlock);
  }
  /// The most dynamic shared memory a block may take while an SM still
  /// holds `blocks` of them.
  int64_t sharedBytesForBlocks(int64_t blocks) const {
    int64_t bytes = sharedBytesPerSm / blocks - sharedBytesReservedPerBlock;
    return bytes < sharedBytesPerBlock ? bytes : sharedBytesPerBlock;
  }
};

/// The description of `chip`, or null when prism does not know it.
const GPUTarget *lookupGPUTarget(llvm::StringRef chip);

/// The description of `chip`; null after an error at `where`, from the
/// pass `pass`, that names the chips prism knows.
const GPUTarget *lookupGPUTarget(llvm::StringRef chip, mlir::Operation *where,
                                 llvm::StringRef pass);

/// Every chip prism knows, for messages ("sm_80, sm_90, sm_90a").
std::string knownGPUTargets();

/// The default chip of the pipelines (the H200 of the benchmarks).
const GPUTarget &defaultGPUTarget();

} // namespace prism

#endif // PRISM_TARGET_GPUTARGET_H
