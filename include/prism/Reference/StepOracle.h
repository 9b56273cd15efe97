//===- StepOracle.h - A step body evaluated in float64 ----------*- C++ -*-===//
//
// The reference semantics of recurrence.step (and the oracle of a compiled
// state-dependent recurrence): its body, as the instructions of StepBody.h,
// run token by token in double precision for every (batch, head). No MLIR:
// the GPU test and benchmark programs read the body from a manifest.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_REFERENCE_STEPORACLE_H
#define PRISM_REFERENCE_STEPORACLE_H

#include "prism/Reference/Oracle.h"
#include "prism/Runtime/StepBody.h"

namespace prism {
namespace ref {

struct StepProblem {
  int64_t B = 1, T = 1, H = 1, K = 1, V = 1;
  StateLayout stateLayout = StateLayout::KV;
  /// Input n: [B, T, H] (the body sees an f32) or [B, T, H, D] (a
  /// D-vector), row-major.
  std::vector<std::vector<int64_t>> inputShapes;
  std::vector<std::vector<double>> inputs;
  /// Optional S_{-1} in `stateLayout`; empty = 0.
  std::vector<double> initialState;
  runtime::StepBody body;
};

/// Checks the inputs' shapes and the body (every argument an earlier value,
/// every shape what its op gives). Empty when valid, else a message naming
/// the instruction or input.
std::string validate(const StepProblem &problem);

/// Runs the body for every (b, h) over t = 0 .. T-1: `result.output` gets
/// o [B, T, H, V], `result.finalState` S_{T-1} in the problem's layout.
/// False with `error` (never a crash) when the problem is invalid.
bool evaluateStep(const StepProblem &problem, Result &result,
                  std::string &error);

} // namespace ref
} // namespace prism

#endif // PRISM_REFERENCE_STEPORACLE_H
