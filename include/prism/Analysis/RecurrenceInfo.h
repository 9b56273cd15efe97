//===- RecurrenceInfo.h - What a recurrence specification is ----*- C++ -*-===//
//
// Reads a function holding a recurrence.scan and answers what the lowerings
// need: the forget family and its inputs, the rank L, whether the write path
// is a refinement (fused into the scan), which short convolutions produce
// intermediate sequences, and where every tensor comes from.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_ANALYSIS_RECURRENCEINFO_H
#define PRISM_ANALYSIS_RECURRENCEINFO_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace prism {

struct RecurrenceInfo {
  recurrence::ScanOp scan;
  /// A state-dependent recurrence.step instead of a scan (analyzeStepSpec):
  /// `scan` is null and only the dimensions, the layout and the initial
  /// state below are set.
  recurrence::StepOp step;
  recurrence::ForgetFamily family = recurrence::ForgetFamily::identity;
  int64_t rank = 1;
  int64_t keyDim = 0;
  int64_t valueDim = 0;
  double scale = 1.0;
  recurrence::StateLayout layout = recurrence::StateLayout::kv;

  mlir::Value query;
  /// g: [B,T,H] (scalar forget, gate of the delta forget) or [B,T,H,K].
  mlir::Value logDecay;
  /// Delta forget only.
  mlir::Value eraseKey, eraseStrength;
  bool normalizeEraseKey = false;
  double eraseBetaMax = 1.0;

  llvm::SmallVector<mlir::Value> keys;
  /// Injection values delta^(l); empty when `refine` is set.
  llvm::SmallVector<mlir::Value> values;
  llvm::SmallVector<mlir::Value> injectGates;
  /// Refinement write path producing the injection values, fused.
  recurrence::RefineOp refine;

  mlir::Value initialState;
  /// Short convolutions whose results feed the scan, in program order.
  llvm::SmallVector<recurrence::ShortConvOp> convs;

  /// The scan's or the step's op, output and final state.
  mlir::Operation *op() {
    return scan ? scan.getOperation() : step.getOperation();
  }
  mlir::Value output() { return scan ? scan.getOutput() : step.getOutput(); }
  mlir::Value finalState() {
    return scan ? scan.getFinalState() : step.getFinalState();
  }
};

/// Analyses `func`, which must hold exactly one recurrence.scan and only
/// recurrence ops besides its return, every tensor being a function argument
/// or the result of a short convolution of function arguments. Emits a
/// diagnostic at the offending op and fails otherwise.
mlir::FailureOr<RecurrenceInfo> analyzeRecurrence(mlir::func::FuncOp func);

/// Analyses `func`, which must hold exactly one recurrence.step (one that
/// prism-classify-steps left a step: a state-dependent body) and only a
/// return besides, every input and the initial state a function argument.
/// Emits a diagnostic at the offending op and fails otherwise.
mlir::FailureOr<RecurrenceInfo> analyzeStepSpec(mlir::func::FuncOp func);

/// Whether `func` holds a recurrence.step.
bool holdsStep(mlir::func::FuncOp func);

/// Whether `func` holds recurrence ops (and so is a specification).
bool isRecurrenceSpec(mlir::func::FuncOp func);

} // namespace prism

#endif // PRISM_ANALYSIS_RECURRENCEINFO_H
