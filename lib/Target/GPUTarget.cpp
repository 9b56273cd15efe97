//===- GPUTarget.cpp - What each GPU offers the lowerings -----------------===//
//
// Figures from the CUDA C++ Programming Guide's table of technical
// specifications per compute capability.
//
//===----------------------------------------------------------------------===//

#include "prism/Target/GPUTarget.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

using namespace prism;

namespace {
constexpr GPUTarget kTargets[] = {
    // A100: 163 KiB of shared memory per block (of 164 KiB per SM, 1 KiB
    // of it reserved per resident block).
    {"sm_80", 80, 163 * 1024, 164 * 1024, 1024, 255, 1024, 65536, 65536, true,
     false, false, false},
    // H100 / H200: 227 KiB per block (of 228 KiB per SM); wgmma and TMA
    // need the architecture-specific `a` variant.
    {"sm_90", 90, 227 * 1024, 228 * 1024, 1024, 255, 1024, 65536, 65536, true,
     false, false, true},
    {"sm_90a", 90, 227 * 1024, 228 * 1024, 1024, 255, 1024, 65536, 65536, true,
     true, true, true},
};
} // namespace

const GPUTarget *prism::lookupGPUTarget(llvm::StringRef chip) {
  for (const GPUTarget &target : kTargets)
    if (target.chip == chip)
      return &target;
  return nullptr;
}

const GPUTarget *prism::lookupGPUTarget(llvm::StringRef chip,
                                        mlir::Operation *where,
                                        llvm::StringRef pass) {
  const GPUTarget *target = lookupGPUTarget(chip);
  if (!target)
    mlir::emitError(where->getLoc())
        << pass << ": unknown chip '" << chip
        << "' (known: " << knownGPUTargets() << ")";
  return target;
}

std::string prism::knownGPUTargets() {
  std::string names;
  for (const GPUTarget &target : kTargets) {
    if (!names.empty())
      names += ", ";
    names += target.chip.str();
  }
  return names;
}

const GPUTarget &prism::defaultGPUTarget() {
  return *lookupGPUTarget("sm_90a");
}
