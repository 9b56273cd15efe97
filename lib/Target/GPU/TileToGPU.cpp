//===- TileToGPU.cpp - Tile kernels with layouts to GPU launches ----------===//
//
// The last step of the GPU target mapping: every tile.kernel becomes a
// gpu.launch of one block of `32 x tilegpu.warps` threads per program (its
// grid the kernel's, its program ids the block ids), and every tile with a
// layout becomes, in each thread, the vector of the elements that thread
// holds (MemoryOps.cpp, ComputeOps.cpp). The chunk loops carry those
// vectors. What is left is gpu, nvgpu, nvvm, vector, memref, arith, math
// and scf, which the GPU pipeline outlines and lowers to NVVM.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Conversion/ChunkedScan.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Passes.h"
#include "prism/Target/GPUTarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"

namespace prism {
#define GEN_PASS_DEF_CONVERTTILETOGPU
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::gpumap;

namespace {

/// The launch of a kernel: its grid, one block of its warps per program.
LogicalResult launchKernel(tile::KernelOp kernel) {
  auto warps = kernel->getAttrOfType<IntegerAttr>("tilegpu.warps");
  auto bytes = kernel->getAttrOfType<IntegerAttr>("tilegpu.shared_bytes");
  if (!warps || !bytes)
    return kernel.emitOpError()
           << "has no layouts or shared-memory offsets: run "
              "prism-tile-gpu-assign-layouts and "
              "prism-tile-gpu-allocate-shared first";
  OpBuilder b(kernel);
  Location loc = kernel.getLoc();
  SmallVector<Value, 3> grid(kernel.getGrid());
  while (grid.size() < 3)
    grid.push_back(indexConst(b, loc, 1));
  Value threads = indexConst(b, loc, 32 * warps.getInt());
  Value one = indexConst(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, grid[0], grid[1], grid[2],
                                      threads, one, one);
  launch->setAttr("tilegpu.shared_bytes", bytes);
  Block &body = launch.getBody().front();
  b.setInsertionPointToEnd(&body);
  gpu::TerminatorOp::create(b, loc);
  Block &from = kernel.getBody().front();
  gpu::KernelDim3 ids = launch.getBlockIds();
  Value blockIds[3] = {ids.x, ids.y, ids.z};
  for (auto [i, arg] : llvm::enumerate(from.getArguments()))
    arg.replaceAllUsesWith(blockIds[i]);
  from.getTerminator()->erase();
  body.getOperations().splice(body.getTerminator()->getIterator(),
                              from.getOperations());
  kernel.erase();
  // Constants from outside are made again inside (a dimension index must
  // stay a constant, not become a kernel parameter).
  b.setInsertionPointToStart(&body);
  DenseMap<Value, Value> copies;
  launch.getBody().walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      auto cst = operand.get().getDefiningOp<arith::ConstantOp>();
      if (!cst || launch->isAncestor(cst))
        continue;
      Value &copy = copies[cst];
      if (!copy)
        copy = b.clone(*cst)->getResult(0);
      operand.set(copy);
    }
  });
  return success();
}

/// Legal once no tile with a layout remains.
bool hasTiles(Operation *op) {
  auto isTile = [](Type t) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    return tensor && tensor.getEncoding();
  };
  if (llvm::any_of(op->getOperandTypes(), isTile) ||
      llvm::any_of(op->getResultTypes(), isTile))
    return true;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      if (llvm::any_of(block.getArgumentTypes(), isTile))
        return true;
  return false;
}

struct ConvertTileToGPUPass
    : prism::impl::ConvertTileToGPUBase<ConvertTileToGPUPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    const GPUTarget *gpu =
        lookupGPUTarget(chip, module, "prism-convert-tile-to-gpu");
    if (!gpu)
      return signalPassFailure();
    SmallVector<tile::KernelOp> kernels;
    module.walk([&](tile::KernelOp kernel) { kernels.push_back(kernel); });
    if (kernels.empty())
      return;
    for (tile::KernelOp kernel : kernels)
      if (failed(launchKernel(kernel)))
        return signalPassFailure();

    // The module-level buffer that shared memory is carved from.
    if (!module.lookupSymbol(lowering::kSharedScratchName)) {
      OpBuilder b(module.getContext());
      b.setInsertionPointToStart(module.getBody());
      auto space = gpu::AddressSpaceAttr::get(module.getContext(),
                                              gpu::AddressSpace::Workgroup);
      memref::GlobalOp::create(
          b, module.getLoc(), lowering::kSharedScratchName,
          b.getStringAttr("public"),
          MemRefType::get({0}, b.getI8Type(), AffineMap(), space), Attribute(),
          /*constant=*/false, b.getI64IntegerAttr(16));
    }

    MLIRContext *ctx = &getContext();
    TileTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateMemoryPatterns(converter, patterns, gpu->stmatrix);
    populateComputePatterns(converter, patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<tile::TileDialect, tilegpu::TileGPUDialect>();
    target.markUnknownOpDynamicallyLegal(
        [](Operation *op) { return !hasTiles(op); });
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
