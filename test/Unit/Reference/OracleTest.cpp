//===- OracleTest.cpp - Float64 reference evaluator tests -----------------===//
//
// Hand-computed tiny cases for every forget family (the arithmetic is in the
// comments; S is V x K, rows are values), then cross-checks on random
// problems: Literal against Structured, and step-by-step against the
// composition rule of prism-math.md section 2.
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Oracle.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace prism::ref;

namespace {

using Vec = std::vector<double>;

void expectNear(const Vec &actual, const Vec &expected, double tolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
}

double relativeDifference(const Vec &a, const Vec &b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += b[i] * b[i];
  }
  return std::sqrt(diff / norm);
}

Result run(const Problem &p, OracleMode mode = OracleMode::Auto) {
  Result result;
  std::string error;
  EXPECT_TRUE(evaluate(p, result, error, mode)) << error;
  return result;
}

/// Runs both modes, checks they agree, returns the Literal result.
Result runBoth(const Problem &p) {
  Result literal = run(p, OracleMode::Literal);
  Result structured = run(p, OracleMode::Structured);
  expectNear(structured.output, literal.output, 1e-14);
  expectNear(structured.finalState, literal.finalState, 1e-14);
  return literal;
}

/// B = H = 1, T = 2, K = V = 2, L = 1, scale 1, with
///   k_0 = (1, 0), v_0 = (1, 2), q_0 = (1, 1)
///   k_1 = (0, 1), v_1 = (3, 4), q_1 = (1, 2).
Problem tinyProblem(Forget forget) {
  Problem p;
  p.B = 1, p.T = 2, p.H = 1, p.K = 2, p.V = 2, p.L = 1;
  p.forget = forget;
  p.scale = 1.0;
  p.q = {1, 1, 1, 2};
  p.keys = {{1, 0, 0, 1}};
  p.values = {{1, 2, 3, 4}};
  return p;
}

//===----------------------------------------------------------------------===//
// Hand-computed cases
//===----------------------------------------------------------------------===//

TEST(OracleTest, Identity) {
  // S_0 = v_0 k_0^T = [[1, 0], [2, 0]],      o_0 = S_0 (1, 1) = (1, 2)
  // S_1 = S_0 + v_1 k_1^T = [[1, 3], [2, 4]], o_1 = S_1 (1, 2) = (7, 10)
  // kv final state (S^T) = [[1, 2], [3, 4]].
  Result r = runBoth(tinyProblem(Forget::Identity));
  expectNear(r.output, {1, 2, 7, 10}, 1e-15);
  expectNear(r.finalState, {1, 2, 3, 4}, 1e-15);
}

TEST(OracleTest, IdentityVKLayoutAndScale) {
  // Same as above with scale 0.5; vk final state is S itself.
  Problem p = tinyProblem(Forget::Identity);
  p.scale = 0.5;
  p.stateLayout = StateLayout::VK;
  Result r = runBoth(p);
  expectNear(r.output, {0.5, 1, 3.5, 5}, 1e-15);
  expectNear(r.finalState, {1, 3, 2, 4}, 1e-15);
}

TEST(OracleTest, Scalar) {
  // alpha = (0.5, 0.25).
  // S_0 = [[1, 0], [2, 0]],                              o_0 = (1, 2)
  // S_1 = 0.25 S_0 + [[0, 3], [0, 4]] = [[0.25, 3], [0.5, 4]]
  // o_1 = S_1 (1, 2) = (6.25, 8.5)
  Problem p = tinyProblem(Forget::Scalar);
  p.logDecay = {std::log(0.5), std::log(0.25)};
  Result r = runBoth(p);
  expectNear(r.output, {1, 2, 6.25, 8.5}, 1e-14);
  expectNear(r.finalState, {0.25, 0.5, 3, 4}, 1e-14);
}

TEST(OracleTest, ScalarWithInitialStateBothLayouts) {
  // S_{-1} = all ones.
  // S_0 = 0.5 S_{-1} + [[1, 0], [2, 0]] = [[1.5, 0.5], [2.5, 0.5]]
  // o_0 = S_0 (1, 1) = (2, 3)
  // S_1 = 0.25 S_0 + [[0, 3], [0, 4]] = [[0.375, 3.125], [0.625, 4.125]]
  // o_1 = S_1 (1, 2) = (6.625, 8.875)
  Problem p = tinyProblem(Forget::Scalar);
  p.logDecay = {std::log(0.5), std::log(0.25)};
  p.initialState = {1, 1, 1, 1};
  Result kv = runBoth(p);
  expectNear(kv.output, {2, 3, 6.625, 8.875}, 1e-14);
  expectNear(kv.finalState, {0.375, 0.625, 3.125, 4.125}, 1e-14);
  p.stateLayout = StateLayout::VK;
  Result vk = runBoth(p);
  expectNear(vk.output, {2, 3, 6.625, 8.875}, 1e-14);
  expectNear(vk.finalState, {0.375, 3.125, 0.625, 4.125}, 1e-14);
}

TEST(OracleTest, InitialStateLayoutIsRead) {
  // A non-symmetric S_{-1} = [[1, 2], [3, 4]] (V x K): stored kv it is
  // (1, 3, 2, 4), stored vk (1, 2, 3, 4). Identity forget, no injection
  // (zero values): o = S_{-1} q, so o_0 = (3, 7) and o_1 = (5, 11).
  Problem p = tinyProblem(Forget::Identity);
  p.values = {{0, 0, 0, 0}};
  p.initialState = {1, 3, 2, 4};
  Result kv = runBoth(p);
  expectNear(kv.output, {3, 7, 5, 11}, 1e-15);
  expectNear(kv.finalState, {1, 3, 2, 4}, 1e-15);
  p.stateLayout = StateLayout::VK;
  p.initialState = {1, 2, 3, 4};
  Result vk = runBoth(p);
  expectNear(vk.output, {3, 7, 5, 11}, 1e-15);
  expectNear(vk.finalState, {1, 2, 3, 4}, 1e-15);
}

TEST(OracleTest, Diagonal) {
  // S_{-1} = ones; decays exp(g_0) = (0.5, 1), exp(g_1) = (0.5, 0.25).
  // S_0 = S_{-1} diag(0.5, 1) + [[1, 0], [2, 0]] = [[1.5, 1], [2.5, 1]]
  // o_0 = S_0 (1, 1) = (2.5, 3.5)
  // S_1 = S_0 diag(0.5, 0.25) + [[0, 3], [0, 4]] = [[0.75, 3.25], [1.25, 4.25]]
  // o_1 = S_1 (1, 2) = (7.25, 9.75)
  Problem p = tinyProblem(Forget::Diagonal);
  p.logDecay = {std::log(0.5), 0.0, std::log(0.5), std::log(0.25)};
  p.initialState = {1, 1, 1, 1};
  Result r = runBoth(p);
  expectNear(r.output, {2.5, 3.5, 7.25, 9.75}, 1e-14);
  expectNear(r.finalState, {0.75, 1.25, 3.25, 4.25}, 1e-14);
}

/// Delta: S_{-1} = [[1, 2], [3, 4]] (V x K, kv storage (1, 3, 2, 4)),
/// w_0 = (1, 0), beta_0 = 0.5; w_1 = (0.6, 0.8), beta_1 = 1; keys = w,
/// values v_0 = (1, 1), v_1 = (2, 0), inject gates (0.5, 1) (DeltaNet's
/// beta v k^T); q_0 = (1, 0), q_1 = (0, 1).
Problem deltaProblem() {
  Problem p;
  p.B = 1, p.T = 2, p.H = 1, p.K = 2, p.V = 2, p.L = 1;
  p.forget = Forget::Delta;
  p.q = {1, 0, 0, 1};
  p.eraseKey = {1, 0, 0.6, 0.8};
  p.eraseStrength = {0.5, 1};
  p.keys = {p.eraseKey};
  p.values = {{1, 1, 2, 0}};
  p.injectGates = {{0.5, 1}};
  p.initialState = {1, 3, 2, 4};
  return p;
}

TEST(OracleTest, Delta) {
  // A_0 = I - 0.5 w_0 w_0^T = diag(0.5, 1); S_{-1} A_0 = [[0.5, 2], [1.5, 4]]
  // B_0 = 0.5 (1, 1) (1, 0)^T = [[0.5, 0], [0.5, 0]]
  // S_0 = [[1, 2], [2, 4]],                      o_0 = S_0 (1, 0) = (1, 2)
  // A_1 = I - w_1 w_1^T = [[0.64, -0.48], [-0.48, 0.36]]
  // S_0 A_1 = [[-0.32, 0.24], [-0.64, 0.48]];  B_1 = [[1.2, 1.6], [0, 0]]
  // S_1 = [[0.88, 1.84], [-0.64, 0.48]],         o_1 = S_1 (0, 1) = (1.84,
  // 0.48)
  Result r = runBoth(deltaProblem());
  expectNear(r.output, {1, 2, 1.84, 0.48}, 1e-14);
  expectNear(r.finalState, {0.88, -0.64, 1.84, 0.48}, 1e-14);
}

TEST(OracleTest, GatedDelta) {
  // As Delta with alpha = (0.5, 0.5):
  // S_0 = 0.5 [[0.5, 2], [1.5, 4]] + B_0 = [[0.75, 1], [1.25, 2]]
  // o_0 = (0.75, 1.25)
  // S_0 A_1 = [[0, 0], [-0.16, 0.12]]
  // S_1 = 0.5 S_0 A_1 + B_1 = [[1.2, 1.6], [-0.08, 0.06]],  o_1 = (1.6, 0.06)
  Problem p = deltaProblem();
  p.logDecay = {std::log(0.5), std::log(0.5)};
  Result r = runBoth(p);
  expectNear(r.output, {0.75, 1.25, 1.6, 0.06}, 1e-14);
  expectNear(r.finalState, {1.2, -0.08, 1.6, 0.06}, 1e-14);
}

TEST(OracleTest, DeltaNormalizesEraseKeyOnly) {
  // w = (2, 0) and (3, 4) normalise to the Delta case's erase keys; the keys
  // stay the unit vectors, so the result is the Delta case's.
  Problem p = deltaProblem();
  p.eraseKey = {2, 0, 3, 4};
  p.normalizeEraseKey = true;
  Result r = runBoth(p);
  expectNear(r.output, {1, 2, 1.84, 0.48}, 1e-14);
  expectNear(r.finalState, {0.88, -0.64, 1.84, 0.48}, 1e-14);
}

TEST(OracleTest, RankTwoInjectionWithGates) {
  // T = 1, identity forget, scale 0.5, q = (1, 1):
  // S = 2 (1, 2) (1, 0)^T + 0.5 (3, 4) (0, 1)^T = [[2, 1.5], [4, 2]]
  // o = 0.5 S q = (1.75, 3)
  Problem p;
  p.B = 1, p.T = 1, p.H = 1, p.K = 2, p.V = 2, p.L = 2;
  p.scale = 0.5;
  p.q = {1, 1};
  p.keys = {{1, 0}, {0, 1}};
  p.values = {{1, 2}, {3, 4}};
  p.injectGates = {{2}, {0.5}};
  Result r = runBoth(p);
  expectNear(r.output, {1.75, 3}, 1e-15);
  expectNear(r.finalState, {2, 4, 1.5, 2}, 1e-15);
}

TEST(OracleTest, Gelu) {
  EXPECT_EQ(gelu(0.0), 0.0);
  EXPECT_NEAR(gelu(1.0), 0.8413447460685429, 1e-15);
  EXPECT_NEAR(gelu(-1.0), -0.15865525393145707, 1e-15);
  EXPECT_NEAR(gelu(3.0), 3 * 0.9986501019683699, 1e-14); // 3 Phi(3)
}

TEST(OracleTest, RefinementIdentity) {
  // u = (0.5, -1), v = (1.5, 1), p^(1) = (1, 2), p^(2) = (0.5, 1):
  // r^(1) = (1, 2); delta^(1) = (1, 4); r^(2) = (0, -2); delta^(2) = (0, -2).
  std::vector<Vec> deltas;
  refineDeltas({0.5, -1}, {1.5, 1}, {{1, 2}, {0.5, 1}},
               RefineActivation::Identity, deltas);
  ASSERT_EQ(deltas.size(), 2u);
  expectNear(deltas[0], {1, 4}, 0);
  expectNear(deltas[1], {0, -2}, 0);
}

/// The refinement of the RefinementIdentity case with GELU, written out.
std::vector<Vec> geluDeltasByHand() {
  auto phi = [](double x) {
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2)));
  };
  Vec d1 = {phi(1 * 1.0), phi(2 * 2.0)};
  Vec r2 = {1.0 - d1[0], 2.0 - d1[1]};
  Vec d2 = {phi(0.5 * r2[0]), phi(1 * r2[1])};
  return {d1, d2};
}

TEST(OracleTest, RefinementGelu) {
  std::vector<Vec> deltas;
  refineDeltas({0.5, -1}, {1.5, 1}, {{1, 2}, {0.5, 1}}, RefineActivation::Gelu,
               deltas);
  std::vector<Vec> expected = geluDeltasByHand();
  expectNear(deltas[0], expected[0], 1e-15);
  expectNear(deltas[1], expected[1], 1e-15);
}

TEST(OracleTest, RefinementDrivesInjection) {
  // T = 1, identity forget, k^(1) = (1, 0), k^(2) = (0, 1), gates (2, 3):
  // S = 2 delta^(1) (1, 0)^T + 3 delta^(2) (0, 1)^T, so with q = (1, 1)
  // o = 2 delta^(1) + 3 delta^(2) and the kv state is (2 delta^(1), 3
  // delta^(2)).
  Problem p;
  p.B = 1, p.T = 1, p.H = 1, p.K = 2, p.V = 2, p.L = 2;
  p.q = {1, 1};
  p.keys = {{1, 0}, {0, 1}};
  p.refine = true;
  p.anchor = {0.5, -1};
  p.refineValue = {1.5, 1};
  p.gains = {{1, 2}, {0.5, 1}};
  p.injectGates = {{2}, {3}};
  std::vector<Vec> d = geluDeltasByHand();
  Result r = runBoth(p);
  expectNear(r.output, {2 * d[0][0] + 3 * d[1][0], 2 * d[0][1] + 3 * d[1][1]},
             1e-15);
  expectNear(r.finalState, {2 * d[0][0], 2 * d[0][1], 3 * d[1][0], 3 * d[1][1]},
             1e-15);

  p.refineActivation = RefineActivation::Identity;
  r = runBoth(p);
  expectNear(r.output, {2 * 1 + 3 * 0, 2 * 4 + 3 * -2}, 1e-15);
}

TEST(OracleTest, IndexesBatchesAndHeads) {
  // B = 2, H = 2, T = 1, K = V = 1, identity: o[b, 0, h] = q k v per (b, h),
  // and the final state [B, H, 1, 1] holds k v.
  Problem p;
  p.B = 2, p.T = 1, p.H = 2, p.K = 1, p.V = 1, p.L = 1;
  p.q = {1, 2, 3, 4};
  p.keys = {{5, 6, 7, 8}};
  p.values = {{1, -1, 2, -2}};
  Result r = runBoth(p);
  expectNear(r.output, {5, -12, 42, -64}, 1e-15);
  expectNear(r.finalState, {5, -6, 14, -16}, 1e-15);
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

TEST(OracleTest, ValidationReportsInsteadOfCrashing) {
  Result r;
  std::string error;
  Problem p = tinyProblem(Forget::Identity);
  p.q.pop_back();
  EXPECT_FALSE(evaluate(p, r, error));
  EXPECT_NE(error.find("q"), std::string::npos) << error;

  p = tinyProblem(Forget::Scalar); // missing log decay
  EXPECT_FALSE(evaluate(p, r, error));
  EXPECT_NE(error.find("log decay"), std::string::npos) << error;

  p = deltaProblem();
  p.eraseStrength = {1};
  EXPECT_FALSE(evaluate(p, r, error));
  EXPECT_NE(error.find("erase strength"), std::string::npos) << error;

  p = tinyProblem(Forget::Identity);
  p.L = 2;
  EXPECT_FALSE(evaluate(p, r, error));

  p = tinyProblem(Forget::Identity);
  p.injectGates = {{1}};
  EXPECT_FALSE(evaluate(p, r, error));

  p = tinyProblem(Forget::Identity);
  p.initialState = {1, 2, 3};
  EXPECT_FALSE(evaluate(p, r, error));

  p = tinyProblem(Forget::Identity);
  p.refine = true; // values given, refine inputs missing
  EXPECT_FALSE(evaluate(p, r, error));

  p = tinyProblem(Forget::Identity);
  p.K = 0;
  EXPECT_FALSE(evaluate(p, r, error));

  p = tinyProblem(Forget::Identity);
  p.T = int64_t(1) << 40;
  p.H = int64_t(1) << 40;
  EXPECT_FALSE(evaluate(p, r, error));

  EXPECT_EQ(validate(tinyProblem(Forget::Identity)), "");
}

//===----------------------------------------------------------------------===//
// Random cross-checks
//===----------------------------------------------------------------------===//

/// A random problem of family `forget` with every optional input present.
Problem randomProblem(Forget forget, uint64_t seed, bool refine, int64_t K = 5,
                      int64_t V = 4) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal;
  auto draw = [&](int64_t n, double mean = 0, double stddev = 1) {
    Vec v(n);
    for (double &x : v)
      x = mean + stddev * normal(engine);
    return v;
  };
  auto sigmoids = [&](int64_t n) {
    Vec v = draw(n);
    for (double &x : v)
      x = 1 / (1 + std::exp(-x));
    return v;
  };
  auto logDecays = [&](int64_t n) {
    Vec v = sigmoids(n);
    for (double &x : v)
      x = std::log(x);
    return v;
  };
  Problem p;
  p.B = 2, p.T = 7, p.H = 3, p.K = K, p.V = V, p.L = 2;
  p.forget = forget;
  p.scale = 1 / std::sqrt(double(K));
  const int64_t bth = p.B * p.T * p.H;
  p.q = draw(bth * K);
  for (int l = 0; l < p.L; ++l) {
    p.keys.push_back(draw(bth * K));
    p.injectGates.push_back(sigmoids(bth));
    if (refine)
      p.gains.push_back(draw(bth * V, 1, 0.5));
    else
      p.values.push_back(draw(bth * V));
  }
  if (refine) {
    p.refine = true;
    p.anchor = draw(bth * V);
    p.refineValue = draw(bth * V);
  }
  if (forget == Forget::Scalar || forget == Forget::Delta)
    p.logDecay = logDecays(bth);
  if (forget == Forget::Diagonal)
    p.logDecay = logDecays(bth * K);
  if (forget == Forget::Delta) {
    p.eraseKey = draw(bth * K);
    p.normalizeEraseKey = true;
    p.eraseStrength = sigmoids(bth);
  }
  p.initialState = draw(p.B * p.H * K * V, 0, 0.1);
  return p;
}

const Forget allForgets[] = {Forget::Identity, Forget::Scalar, Forget::Diagonal,
                             Forget::Delta};

TEST(OracleTest, LiteralAgreesWithStructured) {
  for (Forget forget : allForgets)
    for (bool refine : {false, true})
      for (StateLayout layout : {StateLayout::KV, StateLayout::VK}) {
        Problem p = randomProblem(forget, 11 + int(forget), refine, 6, 5);
        p.stateLayout = layout;
        Result literal = run(p, OracleMode::Literal);
        Result structured = run(p, OracleMode::Structured);
        EXPECT_LE(relativeDifference(structured.output, literal.output), 1e-12)
            << int(forget);
        EXPECT_LE(relativeDifference(structured.finalState, literal.finalState),
                  1e-12)
            << int(forget);
      }
}

TEST(OracleTest, AutoModeMatchesForLargeK) {
  // K = 80 > 64 selects Structured; it must still match Literal.
  Problem p = randomProblem(Forget::Delta, 5, true, 80, 3);
  Result automatic = run(p);
  Result literal = run(p, OracleMode::Literal);
  EXPECT_LE(relativeDifference(automatic.output, literal.output), 1e-12);
  EXPECT_LE(relativeDifference(automatic.finalState, literal.finalState),
            1e-12);
}

/// C = A B for row-major matrices A (n x m), B (m x p).
Vec matmul(const Vec &A, const Vec &B, int64_t n, int64_t m, int64_t p) {
  Vec C(n * p, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < p; ++j)
      for (int64_t k = 0; k < m; ++k)
        C[i * p + j] += A[i * m + k] * B[k * p + j];
  return C;
}

/// (A_1, B_1) then (A_2, B_2) = (A_1 A_2, B_1 A_2 + B_2): section 2, Eq. 26.
struct Pair {
  Vec A, B;
};
Pair compose(const Pair &first, const Pair &second, int64_t K, int64_t V) {
  Pair result;
  result.A = matmul(first.A, second.A, K, K, K);
  result.B = matmul(first.B, second.A, V, K, K);
  for (size_t i = 0; i < result.B.size(); ++i)
    result.B[i] += second.B[i];
  return result;
}

/// Composes steps [begin, end) as a balanced tree, a different association
/// order from the sequential evaluation.
Pair composeTree(const std::vector<Pair> &steps, size_t begin, size_t end,
                 int64_t K, int64_t V) {
  if (end - begin == 1)
    return steps[begin];
  size_t middle = (begin + end) / 2;
  return compose(composeTree(steps, begin, middle, K, V),
                 composeTree(steps, middle, end, K, V), K, V);
}

TEST(OracleTest, StepsMatchTheCompositionRule) {
  for (Forget forget : allForgets) {
    Problem p = randomProblem(forget, 100 + int(forget), true);
    Result r = run(p);
    const int64_t K = p.K, V = p.V;
    for (int64_t b = 0; b < p.B; ++b)
      for (int64_t h = 0; h < p.H; ++h) {
        std::vector<Pair> steps(p.T);
        for (int64_t t = 0; t < p.T; ++t)
          stepOperators(p, b, t, h, steps[t].A, steps[t].B);
        Pair total = composeTree(steps, 0, steps.size(), K, V);

        // S_{T-1} = S_{-1} A_total + B_total, S_{-1} read from kv storage.
        Vec S0(V * K), SEnd(V * K);
        const int64_t base = (b * p.H + h) * K * V;
        for (int64_t v = 0; v < V; ++v)
          for (int64_t k = 0; k < K; ++k) {
            S0[v * K + k] = p.initialState[base + k * V + v];
            SEnd[v * K + k] = r.finalState[base + k * V + v];
          }
        Vec composed = matmul(S0, total.A, V, K, K);
        for (size_t i = 0; i < composed.size(); ++i)
          composed[i] += total.B[i];
        EXPECT_LE(relativeDifference(composed, SEnd), 1e-12) << int(forget);

        // The last output from the composed state: o = scale S q.
        Vec q(p.q.begin() + ((b * p.T + p.T - 1) * p.H + h) * K,
              p.q.begin() + ((b * p.T + p.T - 1) * p.H + h + 1) * K);
        Vec o = matmul(composed, q, V, K, 1);
        Vec expected(r.output.begin() + ((b * p.T + p.T - 1) * p.H + h) * V,
                     r.output.begin() +
                         ((b * p.T + p.T - 1) * p.H + h + 1) * V);
        for (double &x : o)
          x *= p.scale;
        EXPECT_LE(relativeDifference(o, expected), 1e-12) << int(forget);
      }
  }
}

TEST(OracleTest, DeltaWithUnitKeysStaysBounded) {
  // Lemma D.1: with unit w and beta in [0, 1] every A_t is a contraction, so
  // the identity-free delta state cannot blow up over a long sequence.
  Problem p = randomProblem(Forget::Delta, 3, false);
  std::mt19937_64 engine(3);
  std::normal_distribution<double> normal;
  p.T = 2000;
  const int64_t bth = p.B * p.T * p.H;
  auto resize = [&](Vec &v, int64_t n) {
    v.resize(n);
    for (double &x : v)
      x = normal(engine);
  };
  resize(p.q, bth * p.K);
  resize(p.eraseKey, bth * p.K);
  p.eraseStrength.assign(bth, 1.0);
  p.logDecay.clear();
  for (int l = 0; l < p.L; ++l) {
    resize(p.keys[l], bth * p.K);
    resize(p.values[l], bth * p.V);
    p.injectGates[l].assign(bth, 0.0);
  }
  Result r = run(p, OracleMode::Structured);
  for (double x : r.finalState)
    EXPECT_LE(std::fabs(x), 1.0); // |S_{-1}| entries are ~0.1.
}

//===----------------------------------------------------------------------===//
// Short convolution
//===----------------------------------------------------------------------===//

TEST(OracleTest, ShortConvWithAndWithoutCache) {
  // W = 3, weight (1, 2, 3) (weight[0] on the current input), bias 0.5,
  // x = (1, 2), cache (x_{-2}, x_{-1}) = (10, 20):
  // y_0 = 0.5 + 1*1 + 2*20 + 3*10 = 71.5
  // y_1 = 0.5 + 1*2 + 2*1 + 3*20 = 64.5
  // Without the cache the inputs before t = 0 are zero: y = (1.5, 4.5).
  ShortConvProblem p;
  p.B = 1, p.T = 2, p.H = 1, p.D = 1, p.W = 3;
  p.x = {1, 2};
  p.weight = {1, 2, 3};
  p.bias = {0.5};
  p.cache = {10, 20};
  Vec y;
  std::string error;
  ASSERT_TRUE(evaluateShortConv(p, y, error)) << error;
  expectNear(y, {71.5, 64.5}, 1e-15);

  p.cache.clear();
  ASSERT_TRUE(evaluateShortConv(p, y, error)) << error;
  expectNear(y, {1.5, 4.5}, 1e-15);

  p.activation = ConvActivation::Silu;
  ASSERT_TRUE(evaluateShortConv(p, y, error)) << error;
  expectNear(y, {1.5 / (1 + std::exp(-1.5)), 4.5 / (1 + std::exp(-4.5))},
             1e-15);

  p.bias.clear();
  p.activation = ConvActivation::None;
  ASSERT_TRUE(evaluateShortConv(p, y, error)) << error;
  expectNear(y, {1, 4}, 1e-15);
}

TEST(OracleTest, ShortConvChannelsAndBatches) {
  // B = 2, T = 2, H = 2, D = 1, W = 2. Channel h has weights (1, h + 1) and
  // no bias; cache [B, 1, H, 1] = per batch (c_b0, c_b1).
  //   y[b, t, h] = x[b, t, h] + (h + 1) x[b, t - 1, h]
  ShortConvProblem p;
  p.B = 2, p.T = 2, p.H = 2, p.D = 1, p.W = 2;
  // x[b, t, h]
  p.x = {1, 2, 3, 4, 5, 6, 7, 8};
  p.weight = {1, 1, 1, 2};
  p.cache = {10, 20, 30, 40};
  Vec y;
  std::string error;
  ASSERT_TRUE(evaluateShortConv(p, y, error)) << error;
  // b = 0: t = 0: (1 + 10, 2 + 2*20) = (11, 42); t = 1: (3 + 1, 4 + 2*2)
  // b = 1: t = 0: (5 + 30, 6 + 2*40) = (35, 86); t = 1: (7 + 5, 8 + 2*6)
  expectNear(y, {11, 42, 4, 8, 35, 86, 12, 20}, 1e-15);
}

TEST(OracleTest, ShortConvValidation) {
  ShortConvProblem p;
  p.B = 1, p.T = 2, p.H = 1, p.D = 1, p.W = 3;
  p.x = {1, 2};
  p.weight = {1, 2};
  Vec y;
  std::string error;
  EXPECT_FALSE(evaluateShortConv(p, y, error));
  EXPECT_NE(error.find("weight"), std::string::npos) << error;
  p.weight = {1, 2, 3};
  p.cache = {1};
  EXPECT_FALSE(evaluateShortConv(p, y, error));
  EXPECT_NE(error.find("cache"), std::string::npos) << error;
}

} // namespace
