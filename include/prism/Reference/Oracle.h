//===- Oracle.h - Float64 step-by-step reference evaluator ------*- C++ -*-===//
//
// The oracle of every correctness test: prism-math.md sections 2-3 evaluated
// literally, one time step after another, in double precision,
//
//   S_t = S_{t-1} A_t + B_t,   o_t = scale * S_t q_t,   S a V x K matrix,
//
// with none of the chunked algebra of section 5, so that a bug in that algebra
// cannot hide in the reference. Inputs are plain double vectors in the FLA
// [B, T, H, ...] layout; the harness (Harness.h) fills them from a manifest.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_REFERENCE_ORACLE_H
#define PRISM_REFERENCE_ORACLE_H

#include <cstdint>
#include <string>
#include <vector>

namespace prism {
namespace ref {

/// The forget operator A_t (prism-math.md section 2).
enum class Forget {
  Identity, ///< A = I.
  Scalar,   ///< A = exp(g) I, g [B,T,H].
  Diagonal, ///< A = diag(exp(g)), g [B,T,H,K].
  Delta     ///< A = exp(g) (I - beta w w^T), g [B,T,H] optional.
};

/// phi of the refinement loop (prism-math.md section 3).
enum class RefineActivation { Gelu, Identity };

enum class StateLayout {
  KV, ///< [B,H,K,V] (FLA's default).
  VK  ///< [B,H,V,K].
};

/// How a step applies A_t.
enum class OracleMode {
  Auto,      ///< Literal when K <= 64, Structured otherwise.
  Literal,   ///< Forms the K x K matrix A_t; O(V K^2) per step.
  Structured ///< Scales / applies the rank-1 erase directly; O(V K) per step.
};

/// A recurrence problem with every input in double. Vectors marked optional
/// are left empty when absent.
struct Problem {
  int64_t B = 1, T = 1, H = 1, K = 1, V = 1;
  int L = 1; ///< Injection rank.
  Forget forget = Forget::Identity;
  double scale = 1.0;
  StateLayout stateLayout = StateLayout::KV;

  std::vector<double> q;                 ///< [B,T,H,K]
  std::vector<std::vector<double>> keys; ///< L x [B,T,H,K]: k^(l)

  /// Injected values delta^(l), L x [B,T,H,V]. Empty when `refine` is set.
  std::vector<std::vector<double>> values;

  /// Refinement (section 3) instead of `values`: delta^(l) is computed from
  /// the anchor u, the value v and the gains p^(l), all [B,T,H,V].
  bool refine = false;
  std::vector<double> anchor;             ///< u
  std::vector<double> refineValue;        ///< v
  std::vector<std::vector<double>> gains; ///< L x p^(l)
  RefineActivation refineActivation = RefineActivation::Gelu;

  /// Optional injection gates beta^(l), L x [B,T,H]; empty means all 1.
  std::vector<std::vector<double>> injectGates;

  /// Log decay g: [B,T,H] for Scalar (required) and Delta (optional),
  /// [B,T,H,K] for Diagonal (required); empty for Identity.
  std::vector<double> logDecay;

  /// Delta only: erase key w [B,T,H,K] and strength beta [B,T,H].
  std::vector<double> eraseKey;
  std::vector<double> eraseStrength;
  /// Delta only: L2-normalise w per (b, t, h) before use (exactly w / |w|,
  /// no epsilon; a zero w stays zero). Only w: keys k^(l) are used as given
  /// even when they alias w.
  bool normalizeEraseKey = false;

  /// Optional S_{-1}, [B,H,K,V] or [B,H,V,K] per `stateLayout`; empty = 0.
  std::vector<double> initialState;
};

struct Result {
  std::vector<double> output;     ///< o [B,T,H,V]
  std::vector<double> finalState; ///< S_{T-1}, in the problem's state layout.
};

/// Checks every size and option of `problem`. Returns an empty string when
/// valid, otherwise a message naming the offending field.
std::string validate(const Problem &problem);

/// Evaluates the recurrence. Returns false and sets `error` (and never
/// crashes) when `problem` is invalid.
bool evaluate(const Problem &problem, Result &result, std::string &error,
              OracleMode mode = OracleMode::Auto);

/// The pair (A_t, B_t) of step (b, t, h) as dense matrices: A row-major
/// K x K, Bt row-major V x K, so that S_t = S_{t-1} A + Bt. For independent
/// checks (e.g. the composition rule of section 2). `problem` must be valid.
void stepOperators(const Problem &problem, int64_t b, int64_t t, int64_t h,
                   std::vector<double> &A, std::vector<double> &Bt);

/// GELU, erf form: x * (1 + erf(x / sqrt(2))) / 2.
double gelu(double x);

/// The refinement loop of section 3 on one V-vector: r = v - u; for each
/// l: delta^(l) = phi(p^(l) * r); r -= delta^(l). `gains[l]` and the
/// returned `deltas[l]` have `u.size()` entries.
void refineDeltas(const std::vector<double> &u, const std::vector<double> &v,
                  const std::vector<std::vector<double>> &gains,
                  RefineActivation activation,
                  std::vector<std::vector<double>> &deltas);

//===----------------------------------------------------------------------===//
// Short causal depthwise convolution (section 3, Eq. 9)
//===----------------------------------------------------------------------===//

enum class ConvActivation { None, Silu };

/// y_t[c] = act(bias[c] + sum_{j<W} weight[c, j] * x_{t-j}[c]) per channel
/// c = (h, d). weight[c, 0] multiplies the current input. x_{t<0} is zero or,
/// when `cache` is given, cache[b, W-1+t] (the last W-1 inputs before t = 0,
/// oldest first).
struct ShortConvProblem {
  int64_t B = 1, T = 1, H = 1, D = 1, W = 1;
  ConvActivation activation = ConvActivation::None;
  std::vector<double> x;      ///< [B,T,H,D]
  std::vector<double> weight; ///< [H,D,W]
  std::vector<double> bias;   ///< [H,D], optional
  std::vector<double> cache;  ///< [B,W-1,H,D], optional
};

std::string validate(const ShortConvProblem &problem);

/// Computes y [B,T,H,D]. Returns false and sets `error` when invalid.
bool evaluateShortConv(const ShortConvProblem &problem, std::vector<double> &y,
                       std::string &error);

} // namespace ref
} // namespace prism

#endif // PRISM_REFERENCE_ORACLE_H
