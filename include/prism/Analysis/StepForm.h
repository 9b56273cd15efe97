//===- StepForm.h - Definition 3.1 on a step body ---------------*- C++ -*-===//
//
// Decides whether a recurrence.step body is a state-independent linear
// recurrence S_t = S_{t-1} A_t + B_t (prism-math.md section 2, the paper's
// Definition 3.1): A_t and B_t free of the state, A_t acting on the key
// side. When it is not, says which value of the body makes it depend on the
// state, and where.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_ANALYSIS_STEPFORM_H
#define PRISM_ANALYSIS_STEPFORM_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include <string>

namespace prism {

struct StepForm {
  /// Definition 3.1 holds for the next state.
  bool stateIndependent = false;
  /// Why not, e.g. "reads S_{t-1} k_t through math.tanh" (empty when it
  /// holds).
  std::string reason;
  /// The op where the dependence arises (null when it holds).
  mlir::Operation *culprit = nullptr;
  /// The output is a linear function of the states (as the readout of a
  /// scan is); when not, `outputReason` says why.
  bool linearOutput = false;
  std::string outputReason;
};

/// Classifies the body of `step`: how the next state and the output depend
/// on S_{t-1}.
StepForm classifyStep(recurrence::StepOp step);

/// A short description of a body value in the paper's notation where it has
/// one: "S_{t-1}", "k_t" (an input named k), "S_{t-1} k_t".
std::string describeStepValue(recurrence::StepOp step, mlir::Value value);

} // namespace prism

#endif // PRISM_ANALYSIS_STEPFORM_H
