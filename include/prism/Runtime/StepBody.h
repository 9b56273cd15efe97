//===- StepBody.h - The ops of a step body, without MLIR --------*- C++ -*-===//
//
// A `recurrence.step` body as a list of instructions: what a lowered program
// of a state-dependent recurrence carries (#recurrence.step_program, the
// manifest's "step" section) so that the float64 oracle can run it where no
// MLIR is linked (prism-gpu-test, prism-bench). The vocabulary is shared by
// the dialect's verifier, the encoder of bodies and the oracle, so that all
// three agree on every op's name and arity.
//
// Values are numbered: 0 is the state S_{t-1} (V x K), 1..n the step's slices
// of the n inputs (an f32 for a [B, T, H] input, a D-vector for [B, T, H,
// D]), then one value per instruction, in order.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_RUNTIME_STEPBODY_H
#define PRISM_RUNTIME_STEPBODY_H

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prism {
namespace runtime {

/// One instruction: `op` applied to earlier values `args`, giving a value of
/// `shape` ({} an f32, {n} a vector, {V, K} a matrix). `values` holds a
/// constant's elements (one for a splat constant).
struct StepInstr {
  std::string op;
  std::vector<int64_t> args;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// A step body: its instructions and the values it yields, S_t and o_t.
struct StepBody {
  std::vector<StepInstr> ops;
  int64_t state = -1, output = -1;
};

/// How an op computes.
enum class StepOpKind {
  Unary,         ///< elementwise f(x)
  Binary,        ///< elementwise f(x, y), operands of one shape
  Constant,      ///< `values`, or one value splat over `shape`
  Matvec,        ///< M x: V x K matrix, K-vector -> V-vector
  MatvecT,       ///< M^T y: V x K matrix, V-vector -> K-vector
  Outer,         ///< a b^T: V-vector, K-vector -> V x K
  Dot,           ///< x . y -> f32
  Splat,         ///< f32 -> `shape`
  BroadcastRows, ///< K-vector as every row of a V x K matrix
  BroadcastCols  ///< V-vector as every column of a V x K matrix
};

struct StepOpInfo {
  const char *name;
  StepOpKind kind;
  int arity;
  double (*unary)(double);
  double (*binary)(double, double);
};

namespace detail {
inline double add(double a, double b) { return a + b; }
inline double sub(double a, double b) { return a - b; }
inline double mul(double a, double b) { return a * b; }
inline double div(double a, double b) { return a / b; }
inline double max(double a, double b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double pow(double a, double b) { return std::pow(a, b); }
inline double neg(double a) { return -a; }
inline double rsqrt(double a) { return 1.0 / std::sqrt(a); }
inline double tanh(double a) { return std::tanh(a); }
inline double exp(double a) { return std::exp(a); }
inline double exp2(double a) { return std::exp2(a); }
inline double expm1(double a) { return std::expm1(a); }
inline double log(double a) { return std::log(a); }
inline double log2(double a) { return std::log2(a); }
inline double log1p(double a) { return std::log1p(a); }
inline double sqrt(double a) { return std::sqrt(a); }
inline double erf(double a) { return std::erf(a); }
inline double abs(double a) { return std::fabs(a); }
inline double sin(double a) { return std::sin(a); }
inline double cos(double a) { return std::cos(a); }
} // namespace detail

/// The op named `name`, or null.
inline const StepOpInfo *lookupStepOp(std::string_view name) {
  using K = StepOpKind;
  static const StepOpInfo table[] = {
      {"add", K::Binary, 2, nullptr, detail::add},
      {"sub", K::Binary, 2, nullptr, detail::sub},
      {"mul", K::Binary, 2, nullptr, detail::mul},
      {"div", K::Binary, 2, nullptr, detail::div},
      {"max", K::Binary, 2, nullptr, detail::max},
      {"min", K::Binary, 2, nullptr, detail::min},
      {"pow", K::Binary, 2, nullptr, detail::pow},
      {"neg", K::Unary, 1, detail::neg, nullptr},
      {"tanh", K::Unary, 1, detail::tanh, nullptr},
      {"exp", K::Unary, 1, detail::exp, nullptr},
      {"exp2", K::Unary, 1, detail::exp2, nullptr},
      {"expm1", K::Unary, 1, detail::expm1, nullptr},
      {"log", K::Unary, 1, detail::log, nullptr},
      {"log2", K::Unary, 1, detail::log2, nullptr},
      {"log1p", K::Unary, 1, detail::log1p, nullptr},
      {"sqrt", K::Unary, 1, detail::sqrt, nullptr},
      {"rsqrt", K::Unary, 1, detail::rsqrt, nullptr},
      {"erf", K::Unary, 1, detail::erf, nullptr},
      {"abs", K::Unary, 1, detail::abs, nullptr},
      {"sin", K::Unary, 1, detail::sin, nullptr},
      {"cos", K::Unary, 1, detail::cos, nullptr},
      {"constant", K::Constant, 0, nullptr, nullptr},
      {"matvec", K::Matvec, 2, nullptr, nullptr},
      {"matvec_t", K::MatvecT, 2, nullptr, nullptr},
      {"outer", K::Outer, 2, nullptr, nullptr},
      {"dot", K::Dot, 2, nullptr, nullptr},
      {"splat", K::Splat, 1, nullptr, nullptr},
      {"broadcast_rows", K::BroadcastRows, 1, nullptr, nullptr},
      {"broadcast_cols", K::BroadcastCols, 1, nullptr, nullptr},
  };
  for (const StepOpInfo &info : table)
    if (name == info.name)
      return &info;
  return nullptr;
}

} // namespace runtime
} // namespace prism

#endif // PRISM_RUNTIME_STEPBODY_H
