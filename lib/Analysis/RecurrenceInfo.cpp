//===- RecurrenceInfo.cpp - What a recurrence specification is ------------===//

#include "prism/Analysis/RecurrenceInfo.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

bool prism::isRecurrenceSpec(func::FuncOp func) {
  bool found = false;
  func.walk([&](Operation *op) {
    if (isa<RecurrenceDialect>(op->getDialect()))
      found = true;
  });
  return found;
}

bool prism::holdsStep(func::FuncOp func) {
  return !func.isExternal() && !func.getBody().getOps<StepOp>().empty();
}

namespace {
/// Checks what every lowered specification needs of its function: a body of
/// one block, a name that can name kernels and files.
LogicalResult checkFunction(func::FuncOp func) {
  if (func.isExternal())
    return func.emitOpError()
           << "is a declaration; a specification needs a body";
  if (!func.getBody().hasOneBlock())
    return func.emitOpError() << "must have a single block to be lowered";
  // The name becomes kernel symbols (PTX identifiers), file names and the
  // runtime's lookup key: a plain identifier only.
  StringRef name = func.getSymName();
  bool plain =
      !name.empty() && (llvm::isAlpha(name[0]) || name[0] == '_') &&
      llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
  if (!plain)
    return func.emitOpError()
           << "name '" << name
           << "' must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*) to be "
              "lowered: it names the program's kernels and files";
  return success();
}

/// The function returns results of `op` (a scan or a step, named `what`)
/// only: its output, and its final state where it makes one.
LogicalResult checkResults(func::FuncOp func, Operation *op, Value output,
                           Value finalState, StringRef what) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (Value result : ret.getOperands())
    if (result.getDefiningOp() != op)
      return ret.emitOpError()
             << "may only return results of recurrence." << what;
  if (!llvm::is_contained(ret.getOperands(), output))
    return ret.emitOpError() << "must return the " << what << "'s output";
  if (finalState && !llvm::is_contained(ret.getOperands(), finalState))
    return ret.emitOpError()
           << "must return the " << what << "'s final state, or the " << what
           << " should not produce one";
  return success();
}

/// A sequence input must be a function argument or a short convolution
/// result whose own operands are function arguments: both become buffers.
LogicalResult checkSource(Operation *user, Value value, StringRef what) {
  if (isa<BlockArgument>(value))
    return success();
  if (value.getDefiningOp<ShortConvOp>())
    return success();
  return user->emitOpError()
         << what
         << " must be a function argument or the result of "
            "recurrence.short_conv, so that it lives in a buffer";
}
} // namespace

FailureOr<RecurrenceInfo> prism::analyzeStepSpec(func::FuncOp func) {
  if (failed(checkFunction(func)))
    return failure();
  SmallVector<StepOp> steps;
  SmallVector<ShortConvOp> convs;
  for (Operation &op : func.getBody().front()) {
    if (auto step = dyn_cast<StepOp>(op))
      steps.push_back(step);
    else if (auto conv = dyn_cast<ShortConvOp>(op))
      convs.push_back(conv);
    else if (!isa<func::ReturnOp>(op))
      return op.emitOpError()
             << "cannot be lowered beside a state-dependent recurrence.step: "
                "its specification holds short convolutions, the step and "
                "func.return only";
  }
  if (steps.size() != 1)
    return func.emitOpError()
           << "must hold exactly one recurrence.step, found " << steps.size();
  StepOp step = steps.front();
  for (auto [i, input] : llvm::enumerate(step.getInputs()))
    if (failed(checkSource(step, input, "input " + std::to_string(i))))
      return failure();
  for (ShortConvOp conv : convs)
    for (Value operand : conv->getOperands())
      if (!isa<BlockArgument>(operand))
        return conv.emitOpError()
               << "operands must be function arguments (chained short "
                  "convolutions are not supported)";
  if (step.getInitialState() && !isa<BlockArgument>(step.getInitialState()))
    return step.emitOpError() << "initial state must be a function argument";
  if (failed(checkResults(func, step, step.getOutput(), step.getFinalState(),
                          "step")))
    return failure();
  RecurrenceInfo info;
  info.step = step;
  info.valueDim = step.getStateShape()[0];
  info.keyDim = step.getStateShape()[1];
  info.layout = step.getStateLayout();
  info.initialState = step.getInitialState();
  info.convs = convs;
  return info;
}

FailureOr<RecurrenceInfo> prism::analyzeRecurrence(func::FuncOp func) {
  if (failed(checkFunction(func)))
    return failure();

  SmallVector<ScanOp> scans;
  for (Operation &op : func.getBody().front()) {
    if (auto scan = dyn_cast<ScanOp>(op))
      scans.push_back(scan);
    else if (isa<StepOp>(op))
      return op.emitOpError()
             << "is state-dependent (see prism-classify-steps' remark): it "
                "lowers through the tile level only (the CPU backend, or "
                "the GPU with mapping=tile), and alone in its function";
    else if (!isa<RecurrenceDialect>(op.getDialect()) &&
             !isa<func::ReturnOp>(op))
      return op.emitOpError()
             << "is not supported inside a recurrence specification: only "
                "recurrence ops and func.return may appear";
  }
  if (scans.size() != 1)
    return func.emitOpError()
           << "must hold exactly one recurrence.scan, found " << scans.size();
  for (Type type : func.getArgumentTypes())
    if (!isa<RankedTensorType>(type))
      return func.emitOpError()
             << "arguments must be ranked tensors, got " << type;

  RecurrenceInfo info;
  ScanOp scan = scans.front();
  info.scan = scan;
  info.query = scan.getQuery();
  info.initialState = scan.getInitialState();
  info.keyDim = cast<RankedTensorType>(scan.getQuery().getType()).getShape()[3];
  info.scale = scan.getEffectiveScale();
  info.layout = scan.getStateLayout();

  Operation *forget = scan.getForget().getDefiningOp();
  if (isa<IdentityForgetOp>(forget)) {
    info.family = ForgetFamily::identity;
  } else if (auto scalar = dyn_cast<ScalarForgetOp>(forget)) {
    info.family = ForgetFamily::scalar;
    info.logDecay = scalar.getLogDecay();
  } else if (auto diag = dyn_cast<DiagonalForgetOp>(forget)) {
    info.family = ForgetFamily::diagonal;
    info.logDecay = diag.getLogDecay();
  } else if (auto delta = dyn_cast<DeltaForgetOp>(forget)) {
    info.family = ForgetFamily::delta;
    info.eraseKey = delta.getKey();
    info.eraseStrength = delta.getStrength();
    info.logDecay = delta.getGate();
    info.normalizeEraseKey = delta.getNormalize();
    info.eraseBetaMax = delta.getBetaMax().convertToDouble();
  }

  auto inject = scan.getInjection().getDefiningOp<InjectOp>();
  info.rank = inject.getType().getRank();
  info.keys.assign(inject.getKeys().begin(), inject.getKeys().end());
  info.injectGates.assign(inject.getGates().begin(), inject.getGates().end());
  info.valueDim = cast<RankedTensorType>(inject.getValues().front().getType())
                      .getShape()[3];

  // The values are either all buffers, or exactly the results of one
  // refinement, in order: then the refinement is fused into the scan.
  if (auto refine = inject.getValues().front().getDefiningOp<RefineOp>()) {
    if (refine.getDeltas().size() != inject.getValues().size() ||
        !llvm::equal(refine.getDeltas(), inject.getValues()))
      return inject.emitOpError()
             << "values must be all results of one recurrence.refine, in "
                "order, or none of them";
    info.refine = refine;
    if (failed(checkSource(refine, refine.getAnchor(), "anchor")) ||
        failed(checkSource(refine, refine.getValue(), "value")))
      return failure();
    for (Value gain : refine.getGains())
      if (failed(checkSource(refine, gain, "gain")))
        return failure();
  } else {
    info.values.assign(inject.getValues().begin(), inject.getValues().end());
    for (Value value : info.values)
      if (failed(checkSource(inject, value, "value")))
        return failure();
  }

  for (Value key : info.keys)
    if (failed(checkSource(inject, key, "key")))
      return failure();
  for (Value gate : info.injectGates)
    if (failed(checkSource(inject, gate, "gate")))
      return failure();
  for (Value operand : forget->getOperands())
    if (failed(checkSource(forget, operand, "forget input")))
      return failure();
  if (failed(checkSource(scan, scan.getQuery(), "query")))
    return failure();
  if (info.initialState && !isa<BlockArgument>(info.initialState))
    return scan.emitOpError() << "initial_state must be a function argument";

  // Short convolutions: operands are function arguments; results feed the
  // recurrence (anything else would need a buffer we do not allocate).
  for (Operation &op : func.getBody().front()) {
    auto conv = dyn_cast<ShortConvOp>(op);
    if (!conv)
      continue;
    for (Value operand : conv->getOperands())
      if (!isa<BlockArgument>(operand))
        return conv.emitOpError()
               << "operands must be function arguments (chained short "
                  "convolutions are not supported)";
    info.convs.push_back(conv);
  }

  // Results: the function returns scan results only.
  if (failed(checkResults(func, scan, scan.getOutput(), scan.getFinalState(),
                          "scan")))
    return failure();
  return info;
}
