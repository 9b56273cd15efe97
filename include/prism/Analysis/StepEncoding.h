//===- StepEncoding.h - Step bodies as instructions -------------*- C++ -*-===//
//
// A recurrence.step body as the instructions of prism/Runtime/StepBody.h,
// which the float64 oracle (prism/Reference/StepOracle.h) runs: prism-run
// checks a compiled step against it, whatever the step was rewritten into,
// and a lowered state-dependent program carries it to its manifest
// (#recurrence.step_program).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_ANALYSIS_STEPENCODING_H
#define PRISM_ANALYSIS_STEPENCODING_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"
#include "prism/Runtime/StepBody.h"

namespace prism {

/// The body of a verified `step`: value 0 its state, 1..n its slices, then
/// one value per op.
runtime::StepBody encodeStepBody(recurrence::StepOp step);

/// The instructions as attributes of #recurrence.step_program.
llvm::SmallVector<recurrence::StepInstrAttr>
stepInstrAttrs(mlir::MLIRContext *context, const runtime::StepBody &body);

} // namespace prism

#endif // PRISM_ANALYSIS_STEPENCODING_H
