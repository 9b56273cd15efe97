//===- StepRoles.h - Which vectors of a step body run along V ---*- C++ -*-===//
//
// A lowering may split the V rows of the state across programs (V-tiles)
// only where the body never reduces along V: then every V-vector of the body
// (S k, a value, the output) is computed tile by tile and every K-vector
// (keys, queries) whole in each program. This analysis gives each vector of
// a body its role, V or K (which its type alone cannot tell when V = K), and
// names the first op that needs the whole of V, if any.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_ANALYSIS_STEPROLES_H
#define PRISM_ANALYSIS_STEPROLES_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "llvm/ADT/DenseMap.h"

#include <string>

namespace prism {

struct StepRoles {
  /// Vectors of the body along V (the others are along K).
  llvm::DenseSet<mlir::Value> alongV;
  /// The first op that reduces along V (S^T y, a dot of V-vectors), uses
  /// a vector along both V and K, or holds a V-vector constant that is not a
  /// splat; null when V-tiles are correct.
  mlir::Operation *wholeV = nullptr;
  /// Why `wholeV` needs the whole of V, to complete "the body ...".
  std::string reason;
};

StepRoles analyzeStepRoles(recurrence::StepOp step);

} // namespace prism

#endif // PRISM_ANALYSIS_STEPROLES_H
