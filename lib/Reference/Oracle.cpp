//===- Oracle.cpp - Float64 step-by-step reference evaluator --------------===//
//
// Deliberately naive: one (b, h) at a time, one step at a time, every input
// gathered into small per-step vectors first. Speed matters only enough to
// evaluate test-sized problems; independence from the fast algebra matters
// more.
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Oracle.h"

#include <cmath>
#include <limits>

using namespace prism::ref;

namespace {

/// Product of sizes, or -1 on overflow (so a size check then fails instead of
/// a huge allocation).
int64_t product(std::initializer_list<int64_t> sizes) {
  int64_t result = 1;
  for (int64_t size : sizes) {
    if (size < 0 ||
        (size != 0 && result > std::numeric_limits<int64_t>::max() / size))
      return -1;
    result *= size;
  }
  return result;
}

std::string checkSize(const std::vector<double> &vector, int64_t expected,
                      const std::string &name) {
  if (static_cast<int64_t>(vector.size()) == expected)
    return "";
  return name + " has " + std::to_string(vector.size()) +
         " elements, expected " + std::to_string(expected);
}

/// The inputs of one step (b, t, h), gathered and preprocessed: w normalised
/// if asked, injection values already multiplied by their gates.
struct Step {
  std::vector<double> q;                      // K
  double alpha = 1.0;                         // scalar / delta decay
  std::vector<double> decay;                  // K, diagonal decay exp(g)
  std::vector<double> w;                      // K, delta erase key
  double beta = 0.0;                          // delta erase strength
  std::vector<std::vector<double>> keys;      // L x K
  std::vector<std::vector<double>> injection; // L x V: beta^(l) delta^(l)
};

class Gatherer {
public:
  explicit Gatherer(const Problem &p) : p(p) {}

  void gather(int64_t b, int64_t t, int64_t h, Step &step) const {
    const int64_t K = p.K, V = p.V;
    const int64_t row = (b * p.T + t) * p.H + h;
    step.q.assign(p.q.begin() + row * K, p.q.begin() + (row + 1) * K);

    step.alpha = 1.0;
    if ((p.forget == Forget::Scalar || p.forget == Forget::Delta) &&
        !p.logDecay.empty())
      step.alpha = std::exp(p.logDecay[row]);
    if (p.forget == Forget::Diagonal) {
      step.decay.resize(K);
      for (int64_t i = 0; i < K; ++i)
        step.decay[i] = std::exp(p.logDecay[row * K + i]);
    }

    if (p.forget == Forget::Delta) {
      step.w.assign(p.eraseKey.begin() + row * K,
                    p.eraseKey.begin() + (row + 1) * K);
      if (p.normalizeEraseKey) {
        double norm = 0;
        for (double x : step.w)
          norm += x * x;
        norm = std::sqrt(norm);
        if (norm > 0)
          for (double &x : step.w)
            x /= norm;
      }
      step.beta = p.eraseStrength[row];
    }

    step.keys.resize(p.L);
    for (int l = 0; l < p.L; ++l)
      step.keys[l].assign(p.keys[l].begin() + row * K,
                          p.keys[l].begin() + (row + 1) * K);

    step.injection.resize(p.L);
    if (p.refine) {
      std::vector<double> u(p.anchor.begin() + row * V,
                            p.anchor.begin() + (row + 1) * V);
      std::vector<double> v(p.refineValue.begin() + row * V,
                            p.refineValue.begin() + (row + 1) * V);
      std::vector<std::vector<double>> gains(p.L);
      for (int l = 0; l < p.L; ++l)
        gains[l].assign(p.gains[l].begin() + row * V,
                        p.gains[l].begin() + (row + 1) * V);
      refineDeltas(u, v, gains, p.refineActivation, step.injection);
    } else {
      for (int l = 0; l < p.L; ++l)
        step.injection[l].assign(p.values[l].begin() + row * V,
                                 p.values[l].begin() + (row + 1) * V);
    }
    if (!p.injectGates.empty())
      for (int l = 0; l < p.L; ++l)
        for (double &x : step.injection[l])
          x *= p.injectGates[l][row];
  }

private:
  const Problem &p;
};

/// A_t as a dense row-major K x K matrix.
void formForget(const Problem &p, const Step &step, std::vector<double> &A) {
  const int64_t K = p.K;
  A.assign(K * K, 0.0);
  for (int64_t i = 0; i < K; ++i)
    A[i * K + i] = 1.0;
  switch (p.forget) {
  case Forget::Identity:
    break;
  case Forget::Scalar:
    for (int64_t i = 0; i < K; ++i)
      A[i * K + i] = step.alpha;
    break;
  case Forget::Diagonal:
    for (int64_t i = 0; i < K; ++i)
      A[i * K + i] = step.decay[i];
    break;
  case Forget::Delta:
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < K; ++j)
        A[i * K + j] = step.alpha * ((i == j ? 1.0 : 0.0) -
                                     step.beta * step.w[i] * step.w[j]);
    break;
  }
}

/// S <- S A through A's structure (S is V x K row-major).
void applyForgetStructured(const Problem &p, const Step &step,
                           std::vector<double> &S) {
  const int64_t K = p.K, V = p.V;
  switch (p.forget) {
  case Forget::Identity:
    break;
  case Forget::Scalar:
    for (double &x : S)
      x *= step.alpha;
    break;
  case Forget::Diagonal:
    for (int64_t v = 0; v < V; ++v)
      for (int64_t i = 0; i < K; ++i)
        S[v * K + i] *= step.decay[i];
    break;
  case Forget::Delta:
    // alpha (S - beta (S w) w^T), one row of S at a time.
    for (int64_t v = 0; v < V; ++v) {
      double *row = &S[v * K];
      double e = 0;
      for (int64_t i = 0; i < K; ++i)
        e += row[i] * step.w[i];
      for (int64_t i = 0; i < K; ++i)
        row[i] = step.alpha * (row[i] - step.beta * e * step.w[i]);
    }
    break;
  }
}

/// S <- S A with the full V x K x K product.
void applyForgetLiteral(const Problem &p, const Step &step,
                        std::vector<double> &S, std::vector<double> &A,
                        std::vector<double> &scratch) {
  const int64_t K = p.K, V = p.V;
  formForget(p, step, A);
  scratch.assign(V * K, 0.0);
  for (int64_t v = 0; v < V; ++v)
    for (int64_t i = 0; i < K; ++i) {
      double s = S[v * K + i];
      const double *aRow = &A[i * K];
      double *out = &scratch[v * K];
      for (int64_t j = 0; j < K; ++j)
        out[j] += s * aRow[j];
    }
  S.swap(scratch);
}

/// S <- S + sum_l injection^(l) k^(l)^T.
void inject(const Problem &p, const Step &step, std::vector<double> &S) {
  const int64_t K = p.K, V = p.V;
  for (int l = 0; l < p.L; ++l)
    for (int64_t v = 0; v < V; ++v) {
      double d = step.injection[l][v];
      for (int64_t i = 0; i < K; ++i)
        S[v * K + i] += d * step.keys[l][i];
    }
}

/// Index of S[v][k] of (b, h) in a stored state.
int64_t stateIndex(const Problem &p, int64_t b, int64_t h, int64_t v,
                   int64_t k) {
  int64_t base = (b * p.H + h) * p.K * p.V;
  return p.stateLayout == StateLayout::KV ? base + k * p.V + v
                                          : base + v * p.K + k;
}

} // namespace

double prism::ref::gelu(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

void prism::ref::refineDeltas(const std::vector<double> &u,
                              const std::vector<double> &v,
                              const std::vector<std::vector<double>> &gains,
                              RefineActivation activation,
                              std::vector<std::vector<double>> &deltas) {
  const size_t n = u.size();
  std::vector<double> r(n);
  for (size_t i = 0; i < n; ++i)
    r[i] = v[i] - u[i];
  deltas.assign(gains.size(), std::vector<double>(n));
  for (size_t l = 0; l < gains.size(); ++l)
    for (size_t i = 0; i < n; ++i) {
      double x = gains[l][i] * r[i];
      double d = activation == RefineActivation::Gelu ? gelu(x) : x;
      deltas[l][i] = d;
      r[i] -= d;
    }
}

std::string prism::ref::validate(const Problem &p) {
  // Empty batches and sequences are valid: no output, final state = initial.
  if (p.B < 0 || p.T < 0 || p.H < 1 || p.K < 1 || p.V < 1)
    return "B and T must be non-negative and H, K, V positive";
  if (p.L < 1)
    return "rank L must be positive";
  if (!std::isfinite(p.scale))
    return "scale is not finite";
  const int64_t bth = product({p.B, p.T, p.H});
  const int64_t bthk = product({p.B, p.T, p.H, p.K});
  const int64_t bthv = product({p.B, p.T, p.H, p.V});
  const int64_t state = product({p.B, p.H, p.K, p.V});
  if (bth < 0 || bthk < 0 || bthv < 0 || state < 0)
    return "problem size overflows";

  std::string error;
  if (!(error = checkSize(p.q, bthk, "q")).empty())
    return error;
  if (static_cast<int64_t>(p.keys.size()) != p.L)
    return "expected " + std::to_string(p.L) + " keys, got " +
           std::to_string(p.keys.size());
  for (int l = 0; l < p.L; ++l)
    if (!(error = checkSize(p.keys[l], bthk, "key " + std::to_string(l)))
             .empty())
      return error;

  if (p.refine) {
    if (!p.values.empty())
      return "values must be empty when refine is set";
    if (!(error = checkSize(p.anchor, bthv, "refine anchor")).empty() ||
        !(error = checkSize(p.refineValue, bthv, "refine value")).empty())
      return error;
    if (static_cast<int64_t>(p.gains.size()) != p.L)
      return "expected " + std::to_string(p.L) + " refine gains, got " +
             std::to_string(p.gains.size());
    for (int l = 0; l < p.L; ++l)
      if (!(error = checkSize(p.gains[l], bthv, "gain " + std::to_string(l)))
               .empty())
        return error;
  } else {
    if (!p.anchor.empty() || !p.refineValue.empty() || !p.gains.empty())
      return "refine inputs given but refine is not set";
    if (static_cast<int64_t>(p.values.size()) != p.L)
      return "expected " + std::to_string(p.L) + " values, got " +
             std::to_string(p.values.size());
    for (int l = 0; l < p.L; ++l)
      if (!(error = checkSize(p.values[l], bthv, "value " + std::to_string(l)))
               .empty())
        return error;
  }

  if (!p.injectGates.empty()) {
    if (static_cast<int64_t>(p.injectGates.size()) != p.L)
      return "expected 0 or " + std::to_string(p.L) + " inject gates, got " +
             std::to_string(p.injectGates.size());
    for (int l = 0; l < p.L; ++l)
      if (!(error = checkSize(p.injectGates[l], bth,
                              "inject gate " + std::to_string(l)))
               .empty())
        return error;
  }

  switch (p.forget) {
  case Forget::Identity:
    if (!p.logDecay.empty())
      return "identity forget takes no log decay";
    break;
  case Forget::Scalar:
    if (!(error = checkSize(p.logDecay, bth, "log decay")).empty())
      return error;
    break;
  case Forget::Diagonal:
    if (!(error = checkSize(p.logDecay, bthk, "log decay")).empty())
      return error;
    break;
  case Forget::Delta:
    if (!p.logDecay.empty() &&
        !(error = checkSize(p.logDecay, bth, "log decay")).empty())
      return error;
    if (!(error = checkSize(p.eraseKey, bthk, "erase key")).empty() ||
        !(error = checkSize(p.eraseStrength, bth, "erase strength")).empty())
      return error;
    break;
  }
  if (p.forget != Forget::Delta &&
      (!p.eraseKey.empty() || !p.eraseStrength.empty()))
    return "erase key/strength given for a non-delta forget";

  if (!p.initialState.empty() &&
      !(error = checkSize(p.initialState, state, "initial state")).empty())
    return error;
  return "";
}

bool prism::ref::evaluate(const Problem &p, Result &result, std::string &error,
                          OracleMode mode) {
  error = validate(p);
  if (!error.empty())
    return false;
  if (mode == OracleMode::Auto)
    mode = p.K <= 64 ? OracleMode::Literal : OracleMode::Structured;

  const int64_t K = p.K, V = p.V;
  result.output.assign(p.B * p.T * p.H * V, 0.0);
  result.finalState.assign(p.B * p.H * K * V, 0.0);

  Gatherer gatherer(p);
  Step step;
  std::vector<double> S, A, scratch;
  for (int64_t b = 0; b < p.B; ++b)
    for (int64_t h = 0; h < p.H; ++h) {
      S.assign(V * K, 0.0);
      if (!p.initialState.empty())
        for (int64_t v = 0; v < V; ++v)
          for (int64_t k = 0; k < K; ++k)
            S[v * K + k] = p.initialState[stateIndex(p, b, h, v, k)];

      for (int64_t t = 0; t < p.T; ++t) {
        gatherer.gather(b, t, h, step);
        if (mode == OracleMode::Literal)
          applyForgetLiteral(p, step, S, A, scratch);
        else
          applyForgetStructured(p, step, S);
        inject(p, step, S);

        double *o = &result.output[((b * p.T + t) * p.H + h) * V];
        for (int64_t v = 0; v < V; ++v) {
          double sum = 0;
          for (int64_t k = 0; k < K; ++k)
            sum += S[v * K + k] * step.q[k];
          o[v] = p.scale * sum;
        }
      }

      for (int64_t v = 0; v < V; ++v)
        for (int64_t k = 0; k < K; ++k)
          result.finalState[stateIndex(p, b, h, v, k)] = S[v * K + k];
    }
  return true;
}

void prism::ref::stepOperators(const Problem &p, int64_t b, int64_t t,
                               int64_t h, std::vector<double> &A,
                               std::vector<double> &Bt) {
  Step step;
  Gatherer(p).gather(b, t, h, step);
  formForget(p, step, A);
  Bt.assign(p.V * p.K, 0.0);
  inject(p, step, Bt);
}

//===----------------------------------------------------------------------===//
// Short convolution
//===----------------------------------------------------------------------===//

std::string prism::ref::validate(const ShortConvProblem &p) {
  if (p.B < 0 || p.T < 0 || p.H < 1 || p.D < 1 || p.W < 1)
    return "conv B and T must be non-negative and H, D, W positive";
  const int64_t btc = product({p.B, p.T, p.H, p.D});
  const int64_t weights = product({p.H, p.D, p.W});
  const int64_t cache = product({p.B, p.W - 1, p.H, p.D});
  if (btc < 0 || weights < 0 || cache < 0)
    return "conv size overflows";
  std::string error;
  if (!(error = checkSize(p.x, btc, "conv input")).empty() ||
      !(error = checkSize(p.weight, weights, "conv weight")).empty())
    return error;
  if (!p.bias.empty() &&
      !(error = checkSize(p.bias, product({p.H, p.D}), "conv bias")).empty())
    return error;
  if (!p.cache.empty() &&
      !(error = checkSize(p.cache, cache, "conv cache")).empty())
    return error;
  return "";
}

bool prism::ref::evaluateShortConv(const ShortConvProblem &p,
                                   std::vector<double> &y, std::string &error) {
  error = validate(p);
  if (!error.empty())
    return false;
  const int64_t C = p.H * p.D; // channels, (h, d) flattened
  y.assign(p.B * p.T * C, 0.0);
  for (int64_t b = 0; b < p.B; ++b)
    for (int64_t t = 0; t < p.T; ++t)
      for (int64_t c = 0; c < C; ++c) {
        double sum = p.bias.empty() ? 0.0 : p.bias[c];
        for (int64_t j = 0; j < p.W; ++j) {
          int64_t s = t - j;
          double x = 0.0;
          if (s >= 0)
            x = p.x[(b * p.T + s) * C + c];
          else if (!p.cache.empty())
            x = p.cache[(b * (p.W - 1) + (p.W - 1 + s)) * C + c];
          sum += p.weight[c * p.W + j] * x;
        }
        if (p.activation == ConvActivation::Silu)
          sum = sum / (1.0 + std::exp(-sum));
        y[(b * p.T + t) * C + c] = sum;
      }
  return true;
}
