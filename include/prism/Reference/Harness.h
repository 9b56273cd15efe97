//===- Harness.h - Inputs, oracle and checks from a manifest ----*- C++ -*-===//
//
// Everything a correctness test or a benchmark needs that is independent of
// where the program runs: draw inputs for a manifest's buffers from a seed
// (with the distributions each role needs), evaluate the float64 oracle on
// exactly those (dtype-rounded) inputs, and compare outputs within
// prism-math.md section 7. Used by prism-run (CPU backend) and by the GPU
// test and benchmark programs alike.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_REFERENCE_HARNESS_H
#define PRISM_REFERENCE_HARNESS_H

#include "prism/Runtime/Manifest.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prism {
namespace ref {

/// A host tensor in its storage dtype (raw little-endian bytes, row-major).
struct HostBuffer {
  runtime::DType dtype = runtime::DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  int64_t numElements() const;
  double get(int64_t i) const;       ///< Element i widened to double.
  void set(int64_t i, double value); ///< Rounded to dtype (nearest even).
};

/// One test case: a buffer per manifest buffer (workspaces included, sized but
/// unused by the harness), inputs filled, outputs poisoned with NaN.
struct Case {
  runtime::Bindings bindings;
  std::vector<HostBuffer> buffers;
};

/// Draws a case. Fails (returns false, sets `error`) when a symbol is missing
/// or the manifest is inconsistent.
///
/// Each input buffer gets its own stream (mt19937_64 seeded from `seed` and
/// the buffer index, Box-Muller normals: identical on every platform) and the
/// distribution of its use in `manifest.recurrence`; a buffer with several
/// uses takes the first of these that applies:
///   - erase key w: N(0, 1) rows scaled to unit L2 norm per (b, t, h), or
///     left raw N(0, 1) when normalize_erase_key is set (the kernel
///     normalises it);
///   - log decay g: log(sigmoid(N(0, 1) + 4)), so g < 0 (alpha ~ 0.98);
///   - erase strength beta: erase_beta_max * sigmoid(N(0, 1)), in (0, max);
///   - injection gates: sigmoid(N(0, 1)), in (0, 1);
///   - query and keys k^(l): unit-norm rows like w, so |<q, k>| <= 1 and the
///     readout stays O(1) even for long T with the identity forget;
///   - refine gains: N(1, 0.5);
///   - initial state: N(0, 0.1);
///   - conv weights: N(0, 1) / sqrt(W);  conv bias: N(0, 0.1);
///   - values, refine anchor and value, conv inputs and caches, and inputs
///     the recurrence does not mention: N(0, 1).
/// Every value is stored rounded to the buffer's dtype (nearest even).
/// Outputs are filled with NaN; workspaces are sized and zero.
bool makeCase(const runtime::Manifest &manifest,
              const runtime::Bindings &bindings, uint64_t seed, Case &result,
              std::string &error);

/// Float64 step-by-step evaluation of the manifest's recurrence on the case's
/// inputs. `expected[i]` holds the reference for buffer i when it is an output
/// (empty otherwise).
///
/// The short convolutions run first, in order; a conv output read later (a
/// workspace feeding e.g. refine.anchor) is rounded to that buffer's dtype,
/// as the device stores it. A conv output with role output gets an expected
/// value too. The recurrence then runs in Oracle.h's evaluate (Auto mode).
/// Every shape is checked against [B, T, H, K] etc., B and T taken from the
/// query buffer.
bool evaluateOracle(const runtime::Manifest &manifest, const Case &input,
                    std::vector<std::vector<double>> &expected,
                    std::string &error);

/// evaluateOracle of a state-dependent recurrence (forget "step"): the
/// manifest's step body (StepOracle.h) on the case's inputs, every shape
/// checked; `read` gives buffer i's values (a short convolution's result as
/// the oracle computed it). Called by evaluateOracle, after its checks of the
/// manifest and the short convolutions.
bool evaluateStepOracle(const runtime::Manifest &manifest, const Case &input,
                        const std::function<std::vector<double>(int)> &read,
                        std::vector<std::vector<double>> &expected,
                        std::string &error);

struct Check {
  std::string buffer;
  double relativeError = 0;
  double tolerance = 0;
  int64_t elements = 0;           ///< Values in the output buffer.
  int64_t compared = 0;           ///< Values compared with the reference.
  int64_t nonFiniteOutputs = 0;   ///< NaN or Inf among the outputs.
  int64_t nonFiniteReference = 0; ///< NaN or Inf in the reference.
  bool finite = true;             ///< No NaN or Inf among the outputs.
  bool pass = false;
  /// An empty buffer (B = 0, or T = 0 for a per-token output): nothing to
  /// compare; `pass` is true.
  bool empty() const { return elements == 0; }
};

/// "PASS", "FAIL" or "EMPTY".
const char *status(const Check &check);

/// What was compared, for the end of a check's line: "(1920 values)", or
/// the count of non-finite outputs and reference values, or "(empty: ...)".
std::string describe(const Check &check);

/// Tolerance of prism-math.md section 7 for a recurrence whose inputs have
/// the given dtype (1e-4 for f32, 1e-2 for bf16/f16).
double toleranceFor(runtime::DType inputType);

/// Compares every output buffer of `actual` with its `expected` entry:
/// relative 2-norm error over the whole buffer (absolute error when the
/// reference is all zero) against toleranceFor(dtype of the query buffer).
/// A check passes only when every value was compared: any NaN or Inf among
/// the outputs fails it, and so does a non-finite reference value (the
/// inputs hold NaN or Inf, or overflow), since nothing then holds the
/// program to a result. An empty output buffer gives an empty check.
std::vector<Check> compare(const runtime::Manifest &manifest,
                           const Case &actual,
                           const std::vector<std::vector<double>> &expected);

/// What prism-gpu-test and prism-bench share of their command lines: a
/// --bind value ("B=2,T=77") added to `sets`, and a positional argument
/// added to `manifests` (an unknown option is an error). Both report a
/// malformed argument on stderr and return false.
bool addBindingSet(const char *text, std::vector<runtime::Bindings> &sets);
bool addManifestArgument(const std::string &arg,
                         std::vector<std::string> &manifests,
                         const char *usage);

} // namespace ref
} // namespace prism

#endif // PRISM_REFERENCE_HARNESS_H
