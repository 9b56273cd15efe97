//===- AttachSharedScratch.cpp - Dynamic shared memory for launches -------===//
//
// The loop-nest lowering cannot name a launch's dynamic shared memory before
// the launch exists: it refers to a module-level workgroup buffer instead.
// Once launches are built, each use becomes gpu.dynamic_shared_memory and the
// launch gets the bytes its kernel asked for.
//
//===----------------------------------------------------------------------===//

#include "prism/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace prism {
#define GEN_PASS_DEF_ATTACHSHAREDSCRATCH
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kScratch = "__prism_shared";
constexpr llvm::StringLiteral kBytes = "prism.shared_bytes";

struct AttachSharedScratchPass
    : prism::impl::AttachSharedScratchBase<AttachSharedScratchPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool failedAny = false;
    module.walk([&](memref::GetGlobalOp use) {
      if (use.getName() != kScratch)
        return;
      auto launch = use->getParentOfType<gpu::LaunchOp>();
      auto bytes = use->getAttrOfType<IntegerAttr>(kBytes);
      if (!launch || !bytes) {
        use.emitOpError() << "uses the shared scratch outside a gpu.launch "
                             "or without "
                          << kBytes;
        failedAny = true;
        return;
      }
      // The launch's size: the largest request inside it.
      int64_t current = 0;
      if (Value size = launch.getDynamicSharedMemorySize())
        if (auto cst = size.getDefiningOp<arith::ConstantOp>())
          current = cast<IntegerAttr>(cst.getValue()).getInt();
      if (bytes.getInt() > current) {
        OpBuilder b(launch);
        Value size = arith::ConstantOp::create(
            b, launch.getLoc(), b.getI32IntegerAttr(bytes.getInt()));
        launch.getDynamicSharedMemorySizeMutable().assign(size);
      }
      OpBuilder b(use);
      auto type = cast<MemRefType>(use.getType());
      auto dynamic =
          MemRefType::get({ShapedType::kDynamic}, type.getElementType(),
                          AffineMap(), type.getMemorySpace());
      Value shared =
          gpu::DynamicSharedMemoryOp::create(b, use.getLoc(), dynamic);
      // Views take any 1-D i8 buffer: retype the uses.
      use.getResult().replaceAllUsesWith(shared);
      use.erase();
    });
    if (failedAny)
      return signalPassFailure();
    if (Operation *global = module.lookupSymbol(kScratch))
      global->erase();
  }
};
} // namespace
