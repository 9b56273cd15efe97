//===- MapParallelLoops.cpp - Program/lane roles to GPU processors --------===//
//
// The GPU target mapping of prism's loop nests: "program" dimensions become
// blocks and "lane" dimensions threads. Upstream convert-parallel-loops-to-gpu
// then turns the annotated nests into gpu.launch ops.
//
//===----------------------------------------------------------------------===//

#include "prism/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"

namespace prism {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPU
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;

namespace {
struct MapParallelLoopsToGPUPass
    : prism::impl::MapParallelLoopsToGPUBase<MapParallelLoopsToGPUPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](scf::ParallelOp loop) {
      auto roles = loop->getAttrOfType<ArrayAttr>("prism.loop_roles");
      if (!roles)
        return WalkResult::advance();
      if (roles.size() != loop.getNumLoops()) {
        loop.emitOpError() << "has " << loop.getNumLoops() << " dimensions but "
                           << roles.size() << " prism.loop_roles";
        return WalkResult::interrupt();
      }
      MLIRContext *ctx = loop.getContext();
      AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
      int programs = 0, lanes = 0;
      SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
      for (Attribute role : roles) {
        StringRef name = cast<StringAttr>(role).getValue();
        gpu::Processor processor;
        if (name == "program" && programs < 3) {
          processor = static_cast<gpu::Processor>(
              static_cast<int>(gpu::Processor::BlockX) + programs++);
        } else if (name == "lane" && lanes < 3) {
          processor = static_cast<gpu::Processor>(
              static_cast<int>(gpu::Processor::ThreadX) + lanes++);
        } else {
          loop.emitOpError() << "cannot place loop role '" << name
                             << "' on the GPU (at most 3 programs and 3 "
                                "lanes)";
          return WalkResult::interrupt();
        }
        mapping.push_back(gpu::ParallelLoopDimMappingAttr::get(
            ctx, processor, identity, identity));
      }
      if (failed(gpu::setMappingAttr(loop, mapping))) {
        loop.emitOpError() << "could not set the GPU mapping";
        return WalkResult::interrupt();
      }
      loop->removeAttr("prism.loop_roles");
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
