//===- RecurrenceToTile.cpp - Specifications to tile programs -------------===//
//
// Applies a scan's schedule target-independently: the specification function
// over tensors becomes a program over buffers (SpecBuffers: the order, names
// and manifest every lowering shares) whose body is a sequence of tile
// kernels: one per short convolution, then the schedule's. Each schedule is
// one file; this one registers them.
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"
#include "prism/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace prism {
#define GEN_PASS_DEF_CONVERTRECURRENCETOTILE
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;
using namespace prism::tiling;

namespace {

/// The schedules with a tile-level rewrite: adding one is a file and a line.
const Schedule *scheduleFor(ScheduleKind kind) {
  static const Schedule sequential{declareVTiles, buildSequential};
  static const Schedule chunkedFused{declareVTiles, buildChunkedFused};
  static const Schedule chunkedTwoPass{declareChunkedTwoPass,
                                       buildChunkedTwoPass};
  static const Schedule tree{declareTree, buildTree};
  switch (kind) {
  case ScheduleKind::sequential:
    return &sequential;
  case ScheduleKind::chunked_fused:
    return &chunkedFused;
  case ScheduleKind::chunked_two_pass:
    return &chunkedTwoPass;
  case ScheduleKind::tree:
    return &tree;
  }
  return nullptr;
}

/// Rewrites one specification into its tile program.
LogicalResult convertSpec(func::FuncOp func, RecurrenceInfo &info,
                          ScheduleAttr schedule, const Schedule &rewrite) {
  ForgetAlgebra forget;
  if (info.scan) {
    forget =
        dyn_cast_or_null<ForgetAlgebra>(info.scan.getForget().getDefiningOp());
    if (!forget)
      return info.scan.emitOpError()
             << "forget operand has no tile-level algebra (ForgetAlgebra)";
  }
  SpecBuffers buffers(func, info);
  OpBuilder b(func);
  ScheduleContext ctx{b, info, buffers, schedule, forget, {}, {}};
  if (failed(rewrite.declare(ctx)) || failed(buffers.checkSizes()))
    return failure();
  ctx.program = buffers.createProgram(b);
  ctx.program->setAttr("prism.schedule", schedule);
  b.setInsertionPointToStart(&ctx.program.getBody().front());
  for (ShortConvOp conv : info.convs)
    buildShortConv(ctx, conv);
  rewrite.build(ctx);
  func::ReturnOp::create(b, func.getLoc());
  func.erase();
  return success();
}

struct ConvertRecurrenceToTilePass
    : prism::impl::ConvertRecurrenceToTileBase<ConvertRecurrenceToTilePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registerForgetAlgebraModels(registry);
  }

  void runOnOperation() override {
    SmallVector<func::FuncOp> specs;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (isRecurrenceSpec(func))
        specs.push_back(func);
    // A state-dependent step has its own walk (StepWalk.cpp).
    static const Schedule stepWalk{declareStep, buildStepWalk};
    for (func::FuncOp func : specs) {
      const bool step = holdsStep(func);
      if (onlySteps && !step)
        continue;
      FailureOr<RecurrenceInfo> info =
          step ? analyzeStepSpec(func) : analyzeRecurrence(func);
      if (failed(info))
        return signalPassFailure();
      // Scans without a schedule, or with one that has no tile-level
      // rewrite yet, are left to prism-convert-recurrence-to-scf.
      ScheduleAttr schedule =
          step ? info->step.getScheduleAttr() : info->scan.getScheduleAttr();
      const Schedule *rewrite = !schedule ? nullptr
                                : step    ? &stepWalk
                                          : scheduleFor(schedule.getKind());
      if (!rewrite)
        continue;
      if (failed(convertSpec(func, *info, schedule, *rewrite)))
        return signalPassFailure();
    }
  }
};

} // namespace
