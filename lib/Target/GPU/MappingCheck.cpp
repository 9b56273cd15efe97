//===- MappingCheck.cpp - Whether a schedule maps onto a GPU --------------===//

#include "prism/Target/GPU/MappingCheck.h"
#include "prism/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace prism;

void prism::forEachTileGPUMappingPass(
    StringRef chip, function_ref<void(std::unique_ptr<Pass>)> add, bool widen) {
  add(createTilePipelineLoads());
  TileGPUAssignLayoutsOptions layouts;
  layouts.chip = chip.str();
  layouts.widen = widen;
  add(createTileGPUAssignLayouts(layouts));
  TileGPUAsyncCopiesOptions copies;
  copies.chip = chip.str();
  add(createTileGPUAsyncCopies(copies));
  TileGPUSinkToUsesOptions sink;
  sink.chip = chip.str();
  add(createTileGPUSinkToUses(sink));
  TileGPUAllocateSharedOptions shared;
  shared.chip = chip.str();
  add(createTileGPUAllocateShared(shared));
}

LogicalResult prism::checkTileGPUMapping(Operation *op,
                                         recurrence::ScheduleAttr schedule,
                                         StringRef chip, std::string *why) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return failure();
  MLIRContext *ctx = op->getContext();
  OwningOpRef<ModuleOp> module = ModuleOp::create(func.getLoc());
  IRMapping map;
  auto copy = cast<func::FuncOp>(func->clone(map));
  module->getBody()->push_back(copy);
  Operation *copied = map.lookup(op->getResult(0)).getDefiningOp();
  copied->setAttr("schedule", schedule);

  std::string first;
  ScopedDiagnosticHandler quiet(ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && first.empty())
      first = diag.str();
    return success();
  });
  PassManager pm(ctx, ModuleOp::getOperationName());
  pm.addPass(createConvertRecurrenceToTile());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // A candidate must fit at its own warps (the mapping would give a kernel
  // that does not more warps, and fewer registers a thread).
  forEachTileGPUMappingPass(
      chip, [&](std::unique_ptr<Pass> pass) { pm.addPass(std::move(pass)); },
      /*widen=*/false);
  if (succeeded(pm.run(*module)))
    return success();
  if (why)
    *why = first;
  return failure();
}
