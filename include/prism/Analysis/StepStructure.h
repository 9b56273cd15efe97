//===- StepStructure.h - A step body as structured ops ----------*- C++ -*-===//
//
// For a step body that is S_{t-1} A_t + B_t (StepForm.h), finds the forget
// family of A_t and the rank-1 terms of B_t with their parameters taken from
// the step's inputs, and the readout, so that the step can become
// recurrence.{*_forget, inject, scan}. When the body's A_t, B_t or output
// are computed in a way the structured ops cannot take (a decay that is not
// exp of an input, a value computed in the body), says which.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_ANALYSIS_STEPSTRUCTURE_H
#define PRISM_ANALYSIS_STEPSTRUCTURE_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace prism {

/// Indices are into the step's inputs.
struct StepSlot {
  unsigned key = 0, value = 0;
  std::optional<unsigned> gate;
};

/// The refinement write path that gives the injection values (input
/// indices; prism-math.md section 3).
struct StepRefine {
  unsigned anchor = 0, value = 0;
  llvm::SmallVector<unsigned> gains;
  recurrence::Activation activation = recurrence::Activation::gelu;
};

struct StepStructure {
  recurrence::ForgetFamily family = recurrence::ForgetFamily::identity;
  /// g of the scalar and diagonal forgets, the delta forget's gate.
  std::optional<unsigned> logDecay;
  /// The delta forget's key w and strength beta.
  unsigned eraseKey = 0, strength = 0;
  /// With `refine`, the slots' values are its deltas, in order (their
  /// `value` is unused).
  llvm::SmallVector<StepSlot> slots;
  std::optional<StepRefine> refine;
  unsigned query = 0;
  double scale = 1.0;
};

/// The structure of `step`'s body, or the reason it has none that the
/// structured ops express (in `reason`).
std::optional<StepStructure> matchStepStructure(recurrence::StepOp step,
                                                std::string &reason);

} // namespace prism

#endif // PRISM_ANALYSIS_STEPSTRUCTURE_H
