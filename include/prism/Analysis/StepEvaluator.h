//===- StepEvaluator.h - A step body evaluated in float64 -------*- C++ -*-===//
//
// The reference semantics of recurrence.step: its body run token by token in
// double precision, for every (batch, head), straight from the IR. prism-run
// checks a compiled step against it (whatever the step was rewritten into).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_ANALYSIS_STEPEVALUATOR_H
#define PRISM_ANALYSIS_STEPEVALUATOR_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>
#include <vector>

namespace prism {

struct StepArrays {
  /// Concrete shapes of the step's inputs ([B, T, H] or [B, T, H, D]).
  std::vector<std::vector<int64_t>> inputShapes;
  /// Element `index` (row-major) of input `i`.
  llvm::function_ref<double(unsigned i, int64_t index)> input;
  /// Element `index` of the initial state in the step's layout; null for a
  /// zero start.
  llvm::function_ref<double(int64_t index)> initialState;
};

/// Runs `step` on `arrays`: `output` gets [B, T, H, V], `finalState` the
/// state after the last token in the step's layout. False (and `error`) when
/// the body holds an op this evaluator does not know.
bool evaluateStep(recurrence::StepOp step, const StepArrays &arrays,
                  std::vector<double> &output, std::vector<double> &finalState,
                  std::string &error);

} // namespace prism

#endif // PRISM_ANALYSIS_STEPEVALUATOR_H
