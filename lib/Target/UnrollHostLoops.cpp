//===- UnrollHostLoops.cpp - Host loops of launches as launch lists -------===//
//
// A manifest lists launches; it has no loops. A schedule may launch one
// kernel in a host loop with constant bounds (the tree schedule's prefix
// rounds): after outlining, such a loop is unrolled into its launches, each
// with its own parameters and grid, all of one kernel. Loops with other
// bounds stay and are reported by prism-collect-launches.
//
//===----------------------------------------------------------------------===//

#include "prism/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace prism {
#define GEN_PASS_DEF_UNROLLHOSTLOOPS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;

namespace {
struct UnrollHostLoopsPass
    : prism::impl::UnrollHostLoopsBase<UnrollHostLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->getParentOfType<gpu::GPUModuleOp>() ||
          loop->getParentOfType<gpu::LaunchOp>())
        return;
      bool launches = false;
      loop.walk([&](gpu::LaunchFuncOp) { launches = true; });
      if (launches)
        loops.push_back(loop);
    });
    // Innermost first (post-order walk).
    for (scf::ForOp loop : loops) {
      if (!getConstantIntValue(loop.getLowerBound()) ||
          !getConstantIntValue(loop.getUpperBound()) ||
          !getConstantIntValue(loop.getStep()))
        continue;
      if (failed(loopUnrollFull(loop))) {
        loop.emitOpError() << "could not be unrolled into launches";
        return signalPassFailure();
      }
    }
  }
};
} // namespace
