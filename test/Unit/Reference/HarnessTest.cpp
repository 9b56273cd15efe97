//===- HarnessTest.cpp - Case generation, oracle wiring and checks --------===//
//
// Manifests are built directly in C++ (no parser needed): a Gated DeltaNet
// program (one buffer serving as erase key and key 0, another as erase
// strength and injection gate) and a full PRISM layer (short conv into a
// workspace anchor, rank-2 refinement, gated delta forget, initial state).
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Harness.h"
#include "prism/Reference/Float.h"
#include "prism/Reference/Oracle.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace prism;
using namespace prism::ref;
using runtime::DType;
using runtime::Role;

namespace {

using Vec = std::vector<double>;

runtime::Dim sym(const char *name) {
  runtime::Dim dim;
  dim.symbol = name;
  return dim;
}
runtime::Dim fixed(int64_t value) {
  runtime::Dim dim;
  dim.value = value;
  return dim;
}

int addBuffer(runtime::Manifest &m, const char *name, Role role, DType dtype,
              std::vector<runtime::Dim> shape) {
  runtime::Buffer buffer;
  buffer.name = name;
  buffer.role = role;
  buffer.dtype = dtype;
  buffer.shape = std::move(shape);
  buffer.access =
      role == Role::Input ? runtime::Access::Read : runtime::Access::Write;
  m.buffers.push_back(buffer);
  return static_cast<int>(m.buffers.size()) - 1;
}

constexpr int64_t H = 2, K = 8, V = 4, W = 4;

/// Gated DeltaNet: S_t = e^g S (I - beta k k^T) + beta v k^T.
runtime::Manifest gatedDeltaNet(DType dtype) {
  runtime::Manifest m;
  m.function = "gated_deltanet";
  m.backend = "cpu";
  m.symbols = {"B", "T"};
  auto bthk = {sym("B"), sym("T"), fixed(H), fixed(K)};
  auto bthv = {sym("B"), sym("T"), fixed(H), fixed(V)};
  auto bth = {sym("B"), sym("T"), fixed(H)};
  runtime::Recurrence &r = m.recurrence;
  r.forget = "delta";
  r.rank = 1;
  r.keyDim = K, r.valueDim = V, r.heads = H;
  r.scale = 1 / std::sqrt(double(K));
  r.query = addBuffer(m, "q", Role::Input, dtype, bthk);
  r.eraseKey = addBuffer(m, "k", Role::Input, dtype, bthk);
  r.keys = {r.eraseKey};
  r.values = {addBuffer(m, "v", Role::Input, dtype, bthv)};
  r.logDecay = addBuffer(m, "g", Role::Input, dtype, bth);
  r.eraseStrength = addBuffer(m, "beta", Role::Input, dtype, bth);
  r.injectGates = {r.eraseStrength};
  r.output = addBuffer(m, "o", Role::Output, dtype, bthv);
  r.finalState = addBuffer(m, "final_state", Role::Output, DType::F32,
                           {sym("B"), fixed(H), fixed(K), fixed(V)});
  return m;
}

/// A PRISM layer: u = SiLU(ShortConv(x)) into a workspace, rank-2 refinement
/// from (u, v, p1, p2), erase with k1, inject with k1 and k2.
runtime::Manifest prismLayer(DType dtype) {
  runtime::Manifest m;
  m.function = "prism";
  m.backend = "cpu";
  m.symbols = {"B", "T"};
  auto bthk = {sym("B"), sym("T"), fixed(H), fixed(K)};
  auto bthv = {sym("B"), sym("T"), fixed(H), fixed(V)};
  auto bth = {sym("B"), sym("T"), fixed(H)};
  runtime::Recurrence &r = m.recurrence;
  r.forget = "delta";
  r.rank = 2;
  r.keyDim = K, r.valueDim = V, r.heads = H;
  r.scale = 0.3;
  r.query = addBuffer(m, "q", Role::Input, dtype, bthk);
  r.eraseKey = addBuffer(m, "k1", Role::Input, dtype, bthk);
  r.keys = {r.eraseKey, addBuffer(m, "k2", Role::Input, dtype, bthk)};
  runtime::ShortConv conv;
  conv.input = addBuffer(m, "x", Role::Input, dtype, bthv);
  conv.weight = addBuffer(m, "conv_w", Role::Input, dtype,
                          {fixed(H), fixed(V), fixed(W)});
  conv.bias = addBuffer(m, "conv_b", Role::Input, dtype, {fixed(H), fixed(V)});
  conv.cache = addBuffer(m, "conv_cache", Role::Input, dtype,
                         {sym("B"), fixed(W - 1), fixed(H), fixed(V)});
  conv.output = addBuffer(m, "u", Role::Workspace, dtype, bthv);
  conv.activation = "silu";
  r.shortConvs = {conv};
  runtime::Refine refine;
  refine.anchor = conv.output;
  refine.value = addBuffer(m, "v", Role::Input, dtype, bthv);
  refine.gains = {addBuffer(m, "p1", Role::Input, dtype, bthv),
                  addBuffer(m, "p2", Role::Input, dtype, bthv)};
  refine.activation = "gelu";
  r.refine = refine;
  r.eraseStrength = addBuffer(m, "beta", Role::Input, dtype, bth);
  r.injectGates = {r.eraseStrength,
                   addBuffer(m, "gate2", Role::Input, dtype, bth)};
  r.logDecay = addBuffer(m, "g", Role::Input, dtype, bth);
  r.initialState = addBuffer(m, "h0", Role::Input, DType::F32,
                             {sym("B"), fixed(H), fixed(K), fixed(V)});
  r.output = addBuffer(m, "o", Role::Output, dtype, bthv);
  r.finalState = addBuffer(m, "ht", Role::Output, DType::F32,
                           {sym("B"), fixed(H), fixed(K), fixed(V)});
  return m;
}

int find(const runtime::Manifest &m, const std::string &name) {
  for (size_t i = 0; i < m.buffers.size(); ++i)
    if (m.buffers[i].name == name)
      return static_cast<int>(i);
  ADD_FAILURE() << "no buffer " << name;
  return 0;
}

Vec read(const HostBuffer &buffer) {
  Vec values(buffer.numElements());
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = buffer.get(i);
  return values;
}

Case draw(const runtime::Manifest &m, uint64_t seed, int64_t B = 2,
          int64_t T = 64) {
  Case c;
  std::string error;
  EXPECT_TRUE(makeCase(m, {{"B", B}, {"T", T}}, seed, c, error)) << error;
  return c;
}

/// Norms of the rows (last dimension) of a buffer.
Vec rowNorms(const HostBuffer &buffer) {
  Vec values = read(buffer), norms;
  const int64_t width = buffer.shape.back();
  for (size_t start = 0; start < values.size(); start += width) {
    double sum = 0;
    for (int64_t i = 0; i < width; ++i)
      sum += values[start + i] * values[start + i];
    norms.push_back(std::sqrt(sum));
  }
  return norms;
}

//===----------------------------------------------------------------------===//
// HostBuffer
//===----------------------------------------------------------------------===//

TEST(HarnessTest, HostBufferRoundsToItsDtype) {
  HostBuffer b;
  b.dtype = DType::BF16;
  b.shape = {2, 3};
  b.bytes.assign(12, 0);
  EXPECT_EQ(b.numElements(), 6);
  b.set(0, 1.0);
  EXPECT_EQ(b.get(0), 1.0);
  EXPECT_EQ(b.bytes[0], 0x80); // little-endian 0x3F80
  EXPECT_EQ(b.bytes[1], 0x3F);
  b.set(5, 1.0 + 0x1.0p-8); // tie: rounds to even (1.0)
  EXPECT_EQ(b.get(5), 1.0);
  b.set(3, std::nan(""));
  EXPECT_TRUE(std::isnan(b.get(3)));

  HostBuffer h;
  h.dtype = DType::F16;
  h.shape = {1};
  h.bytes.assign(2, 0);
  h.set(0, 0.1);
  EXPECT_EQ(h.get(0), f16ToFloat(floatToF16(0.1f)));

  HostBuffer f;
  f.dtype = DType::F32;
  f.shape = {1};
  f.bytes.assign(4, 0);
  f.set(0, 0.1);
  EXPECT_EQ(f.get(0), double(0.1f));
}

//===----------------------------------------------------------------------===//
// makeCase
//===----------------------------------------------------------------------===//

TEST(HarnessTest, MakeCaseIsDeterministicPerSeed) {
  runtime::Manifest m = prismLayer(DType::BF16);
  Case a = draw(m, 42), b = draw(m, 42), c = draw(m, 43);
  ASSERT_EQ(a.buffers.size(), m.buffers.size());
  for (size_t i = 0; i < m.buffers.size(); ++i) {
    EXPECT_EQ(a.buffers[i].bytes, b.buffers[i].bytes) << m.buffers[i].name;
    if (m.buffers[i].role == Role::Input) {
      EXPECT_NE(a.buffers[i].bytes, c.buffers[i].bytes) << m.buffers[i].name;
    }
  }
  // Distinct buffers draw distinct streams.
  EXPECT_NE(read(a.buffers[find(m, "x")]), read(a.buffers[find(m, "v")]));
}

TEST(HarnessTest, MakeCaseShapesAndPoison) {
  runtime::Manifest m = prismLayer(DType::BF16);
  Case c = draw(m, 1, 3, 5);
  EXPECT_EQ(c.bindings.at("T"), 5);
  EXPECT_EQ(c.buffers[find(m, "q")].shape, (std::vector<int64_t>{3, 5, H, K}));
  EXPECT_EQ(c.buffers[find(m, "conv_cache")].shape,
            (std::vector<int64_t>{3, W - 1, H, V}));
  EXPECT_EQ(c.buffers[find(m, "q")].bytes.size(), size_t(3 * 5 * H * K * 2));
  EXPECT_EQ(c.buffers[find(m, "h0")].bytes.size(), size_t(3 * H * K * V * 4));
  for (const char *name : {"o", "ht"})
    for (double x : read(c.buffers[find(m, name)]))
      EXPECT_TRUE(std::isnan(x)) << name;
  // The workspace is sized and left to the program.
  EXPECT_EQ(c.buffers[find(m, "u")].numElements(), 3 * 5 * H * V);
}

void checkDistributions(DType dtype) {
  runtime::Manifest m = prismLayer(dtype);
  Case c = draw(m, 7, 2, 128);
  const double normTolerance = dtype == DType::F32 ? 1e-6 : 1e-2;

  for (double g : read(c.buffers[find(m, "g")]))
    EXPECT_LT(g, 0.0);
  for (const char *name : {"beta", "gate2"})
    for (double beta : read(c.buffers[find(m, name)])) {
      EXPECT_GT(beta, 0.0) << name;
      EXPECT_LT(beta, 1.0) << name;
    }
  // The erase key (also key 0), the other key and the query: unit rows.
  for (const char *name : {"k1", "k2", "q"})
    for (double norm : rowNorms(c.buffers[find(m, name)]))
      EXPECT_NEAR(norm, 1.0, normTolerance) << name;

  // Values: N(0, 1), never zero.
  Vec v = read(c.buffers[find(m, "v")]);
  double mean = 0, square = 0;
  for (double x : v) {
    EXPECT_NE(x, 0.0);
    mean += x;
    square += x * x;
  }
  mean /= v.size();
  square /= v.size();
  EXPECT_NEAR(mean, 0.0, 0.1);
  EXPECT_NEAR(square, 1.0, 0.15);

  // Gains: N(1, 0.5).
  Vec p = read(c.buffers[find(m, "p1")]);
  double gainMean = 0;
  for (double x : p)
    gainMean += x / p.size();
  EXPECT_NEAR(gainMean, 1.0, 0.1);

  // Initial state: N(0, 0.1).
  Vec h0 = read(c.buffers[find(m, "h0")]);
  double h0Square = 0;
  for (double x : h0)
    h0Square += x * x / h0.size();
  EXPECT_NEAR(std::sqrt(h0Square), 0.1, 0.03);

  // Conv weights: N(0, 1/W).
  Vec w = read(c.buffers[find(m, "conv_w")]);
  double wSquare = 0;
  for (double x : w)
    wSquare += x * x / w.size();
  EXPECT_NEAR(wSquare, 1.0 / W, 0.15);

  // Every stored value is exactly representable in the buffer's dtype.
  for (size_t i = 0; i < m.buffers.size(); ++i) {
    if (m.buffers[i].role != Role::Input)
      continue;
    HostBuffer copy = c.buffers[i];
    for (int64_t e = 0; e < copy.numElements(); ++e)
      copy.set(e, copy.get(e));
    EXPECT_EQ(copy.bytes, c.buffers[i].bytes) << m.buffers[i].name;
  }
}

TEST(HarnessTest, DistributionsF32) { checkDistributions(DType::F32); }
TEST(HarnessTest, DistributionsBF16) { checkDistributions(DType::BF16); }
TEST(HarnessTest, DistributionsF16) { checkDistributions(DType::F16); }

TEST(HarnessTest, EraseBetaMaxWidensTheStrength) {
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  m.recurrence.eraseBetaMax = 2.0;
  Case c = draw(m, 3);
  double largest = 0;
  for (double beta : read(c.buffers[find(m, "beta")])) {
    EXPECT_GT(beta, 0.0);
    EXPECT_LT(beta, 2.0);
    largest = std::max(largest, beta);
  }
  EXPECT_GT(largest, 1.0);
}

TEST(HarnessTest, KernelNormalizedEraseKeyIsDrawnRaw) {
  // With normalize_erase_key the kernel normalises w, so the harness draws
  // it unnormalised (N(0, 1) per entry: squared norms average K).
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  m.recurrence.normalizeEraseKey = true;
  Case c = draw(m, 3);
  double meanSquare = 0;
  Vec norms = rowNorms(c.buffers[find(m, "k")]);
  for (double norm : norms)
    meanSquare += norm * norm / norms.size();
  EXPECT_NEAR(meanSquare, double(K), 1.0);
  // The query is still drawn with unit rows.
  for (double norm : rowNorms(c.buffers[find(m, "q")]))
    EXPECT_NEAR(norm, 1.0, 1e-6);
}

TEST(HarnessTest, MakeCaseErrors) {
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  Case c;
  std::string error;
  EXPECT_FALSE(makeCase(m, {{"B", 1}}, 0, c, error));
  EXPECT_NE(error.find("'T'"), std::string::npos) << error;

  m.recurrence.values = {99};
  EXPECT_FALSE(makeCase(m, {{"B", 1}, {"T", 2}}, 0, c, error));
  EXPECT_NE(error.find("values"), std::string::npos) << error;

  m = gatedDeltaNet(DType::F32);
  m.buffers[m.recurrence.output].role = Role::Input;
  EXPECT_FALSE(makeCase(m, {{"B", 1}, {"T", 2}}, 0, c, error));
}

//===----------------------------------------------------------------------===//
// evaluateOracle
//===----------------------------------------------------------------------===//

TEST(HarnessTest, OracleWiresGatedDeltaNet) {
  runtime::Manifest m = gatedDeltaNet(DType::BF16);
  Case c = draw(m, 5, 2, 16);
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  ASSERT_EQ(expected.size(), m.buffers.size());
  for (size_t i = 0; i < m.buffers.size(); ++i)
    EXPECT_EQ(expected[i].empty(), m.buffers[i].role != Role::Output);

  // The same problem stated directly.
  Problem p;
  p.B = 2, p.T = 16, p.H = H, p.K = K, p.V = V, p.L = 1;
  p.forget = Forget::Delta;
  p.scale = 1 / std::sqrt(double(K));
  p.q = read(c.buffers[find(m, "q")]);
  p.keys = {read(c.buffers[find(m, "k")])};
  p.eraseKey = p.keys[0];
  p.values = {read(c.buffers[find(m, "v")])};
  p.logDecay = read(c.buffers[find(m, "g")]);
  p.eraseStrength = read(c.buffers[find(m, "beta")]);
  p.injectGates = {p.eraseStrength};
  Result direct;
  ASSERT_TRUE(evaluate(p, direct, error)) << error;
  EXPECT_EQ(expected[find(m, "o")], direct.output);
  EXPECT_EQ(expected[find(m, "final_state")], direct.finalState);
}

TEST(HarnessTest, OracleRunsConvIntoRoundedWorkspace) {
  runtime::Manifest m = prismLayer(DType::BF16);
  const int64_t B = 2, T = 9;
  Case c = draw(m, 8, B, T);
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  EXPECT_TRUE(expected[find(m, "u")].empty()); // a workspace, not checked

  ShortConvProblem conv;
  conv.B = B, conv.T = T, conv.H = H, conv.D = V, conv.W = W;
  conv.activation = ConvActivation::Silu;
  conv.x = read(c.buffers[find(m, "x")]);
  conv.weight = read(c.buffers[find(m, "conv_w")]);
  conv.bias = read(c.buffers[find(m, "conv_b")]);
  conv.cache = read(c.buffers[find(m, "conv_cache")]);
  Vec u;
  ASSERT_TRUE(evaluateShortConv(conv, u, error)) << error;
  // The device stores u in bf16 before the recurrence reads it.
  for (double &x : u)
    x = bf16ToFloat(doubleToBF16(x));

  Problem p;
  p.B = B, p.T = T, p.H = H, p.K = K, p.V = V, p.L = 2;
  p.forget = Forget::Delta;
  p.scale = 0.3;
  p.q = read(c.buffers[find(m, "q")]);
  p.keys = {read(c.buffers[find(m, "k1")]), read(c.buffers[find(m, "k2")])};
  p.eraseKey = p.keys[0];
  p.refine = true;
  p.anchor = u;
  p.refineValue = read(c.buffers[find(m, "v")]);
  p.gains = {read(c.buffers[find(m, "p1")]), read(c.buffers[find(m, "p2")])};
  p.refineActivation = RefineActivation::Gelu;
  p.eraseStrength = read(c.buffers[find(m, "beta")]);
  p.injectGates = {p.eraseStrength, read(c.buffers[find(m, "gate2")])};
  p.logDecay = read(c.buffers[find(m, "g")]);
  p.initialState = read(c.buffers[find(m, "h0")]);
  Result direct;
  ASSERT_TRUE(evaluate(p, direct, error)) << error;
  EXPECT_EQ(expected[find(m, "o")], direct.output);
  EXPECT_EQ(expected[find(m, "ht")], direct.finalState);

  // The unrounded anchor gives a measurably different (wrong) reference.
  ASSERT_TRUE(evaluateShortConv(conv, p.anchor, error));
  ASSERT_TRUE(evaluate(p, direct, error));
  EXPECT_NE(expected[find(m, "o")], direct.output);
}

TEST(HarnessTest, ConvOutputThatIsAnOutputIsChecked) {
  runtime::Manifest m = prismLayer(DType::F32);
  m.buffers[find(m, "u")].role = Role::Output;
  Case c = draw(m, 2, 1, 4);
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  EXPECT_EQ(expected[find(m, "u")].size(), size_t(4 * H * V));
}

TEST(HarnessTest, OracleErrors) {
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  Case c = draw(m, 1, 1, 4);
  std::vector<Vec> expected;
  std::string error;

  Case wrong = c;
  wrong.buffers[find(m, "v")].shape = {1, 4, H * V};
  EXPECT_FALSE(evaluateOracle(m, wrong, expected, error));
  EXPECT_NE(error.find("'v'"), std::string::npos) << error;

  wrong = c;
  wrong.buffers.pop_back();
  EXPECT_FALSE(evaluateOracle(m, wrong, expected, error));

  runtime::Manifest bad = m;
  bad.recurrence.forget = "exotic";
  EXPECT_FALSE(evaluateOracle(bad, c, expected, error));
  EXPECT_NE(error.find("exotic"), std::string::npos) << error;

  bad = m;
  bad.recurrence.stateLayout = "kk";
  EXPECT_FALSE(evaluateOracle(bad, c, expected, error));

  bad = m;
  bad.recurrence.rank = 2;
  EXPECT_FALSE(evaluateOracle(bad, c, expected, error));

  bad = m;
  bad.recurrence.keyDim = K + 1;
  EXPECT_FALSE(evaluateOracle(bad, c, expected, error));
}

TEST(HarnessTest, StateLayoutVK) {
  // The vk final state is the transpose of the kv one per (b, h).
  runtime::Manifest kv = gatedDeltaNet(DType::F32);
  runtime::Manifest vk = kv;
  vk.recurrence.stateLayout = "vk";
  vk.buffers[vk.recurrence.finalState].shape = {sym("B"), fixed(H), fixed(V),
                                                fixed(K)};
  Case c = draw(kv, 4, 1, 8);
  Case cvk = draw(vk, 4, 1, 8);
  std::vector<Vec> ekv, evk;
  std::string error;
  ASSERT_TRUE(evaluateOracle(kv, c, ekv, error)) << error;
  ASSERT_TRUE(evaluateOracle(vk, cvk, evk, error)) << error;
  const int s = kv.recurrence.finalState;
  EXPECT_EQ(ekv[kv.recurrence.output], evk[vk.recurrence.output]);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t v = 0; v < V; ++v)
        EXPECT_EQ(ekv[s][(h * K + k) * V + v], evk[s][(h * V + v) * K + k]);
}

//===----------------------------------------------------------------------===//
// compare
//===----------------------------------------------------------------------===//

/// Writes the reference into the case's output buffers (rounded to dtype).
void writeExpected(const runtime::Manifest &m, Case &c,
                   const std::vector<Vec> &expected) {
  for (size_t i = 0; i < m.buffers.size(); ++i)
    for (size_t e = 0; e < expected[i].size(); ++e)
      c.buffers[i].set(e, expected[i][e]);
}

TEST(HarnessTest, CompareAcceptsTheReferenceAndCatchesErrors) {
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  Case c = draw(m, 9, 2, 32);
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;

  // Outputs still poisoned: every check fails as non-finite.
  std::vector<Check> checks = compare(m, c, expected);
  ASSERT_EQ(checks.size(), 2u);
  for (const Check &check : checks) {
    EXPECT_FALSE(check.finite);
    EXPECT_FALSE(check.pass);
  }

  writeExpected(m, c, expected);
  checks = compare(m, c, expected);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].buffer, "o");
  EXPECT_EQ(checks[1].buffer, "final_state");
  for (const Check &check : checks) {
    EXPECT_TRUE(check.pass) << check.buffer;
    EXPECT_TRUE(check.finite);
    EXPECT_LT(check.relativeError, 1e-6); // f32 storage of the reference
    EXPECT_EQ(check.tolerance, 1e-4);
  }

  // A single NaN fails the check even though the norm would hide nothing.
  Case withNaN = c;
  withNaN.buffers[m.recurrence.output].set(3, std::nan(""));
  checks = compare(m, withNaN, expected);
  EXPECT_FALSE(checks[0].finite);
  EXPECT_FALSE(checks[0].pass);
  EXPECT_TRUE(checks[1].pass);

  // An infinity too.
  Case withInf = c;
  withInf.buffers[m.recurrence.finalState].set(0, INFINITY);
  checks = compare(m, withInf, expected);
  EXPECT_TRUE(checks[0].pass);
  EXPECT_FALSE(checks[1].pass);

  // A perturbation of 1e-3 relative is ten times the f32 tolerance.
  Case perturbed = c;
  HostBuffer &o = perturbed.buffers[m.recurrence.output];
  for (int64_t e = 0; e < o.numElements(); ++e)
    o.set(e, o.get(e) * (1 + 1e-3 * (e % 2 ? 1 : -1)));
  checks = compare(m, perturbed, expected);
  EXPECT_FALSE(checks[0].pass);
  EXPECT_TRUE(checks[0].finite);
  EXPECT_NEAR(checks[0].relativeError, 1e-3, 1e-5);
}

TEST(HarnessTest, NonFiniteInputsNeverPass) {
  // A NaN query makes the reference NaN; a program that echoes NaN must not
  // pass by having nothing compared (it used to: rel_err 0, PASS).
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  Case c = draw(m, 9, 2, 32);
  int q = m.recurrence.query;
  for (int64_t e = 0; e < c.buffers[q].numElements(); ++e)
    c.buffers[q].set(e, std::nan(""));
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  writeExpected(m, c, expected); // the outputs equal the (NaN) reference
  std::vector<Check> checks = compare(m, c, expected);
  ASSERT_EQ(checks.size(), 2u);
  const Check &o = checks[0];
  EXPECT_FALSE(o.pass);
  EXPECT_EQ(o.compared, 0);
  EXPECT_EQ(o.nonFiniteReference, o.elements);
  EXPECT_EQ(o.nonFiniteOutputs, o.elements);
  EXPECT_STREQ(status(o), "FAIL");
  std::string n = std::to_string(o.elements);
  EXPECT_NE(describe(o).find("0 of " + n + " values compared"),
            std::string::npos)
      << describe(o);
  EXPECT_NE(describe(o).find("reference is NaN or Inf at " + n),
            std::string::npos);
  // The final state never reads q: it is still compared and passes.
  EXPECT_TRUE(checks[1].pass);
  EXPECT_EQ(checks[1].compared, checks[1].elements);

  // A finite output where the reference is not fails as well.
  for (int64_t e = 0; e < c.buffers[m.recurrence.output].numElements(); ++e)
    c.buffers[m.recurrence.output].set(e, 0.0);
  checks = compare(m, c, expected);
  EXPECT_FALSE(checks[0].pass);
  EXPECT_TRUE(checks[0].finite);
  EXPECT_EQ(checks[0].nonFiniteOutputs, 0);
}

TEST(HarnessTest, EmptyOutputsAreReportedNotPassedSilently) {
  runtime::Manifest m = gatedDeltaNet(DType::F32);
  Case c = draw(m, 9, 2, 0); // T = 0: no tokens, only the final state
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  writeExpected(m, c, expected);
  std::vector<Check> checks = compare(m, c, expected);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_TRUE(checks[0].empty());
  EXPECT_STREQ(status(checks[0]), "EMPTY");
  EXPECT_EQ(describe(checks[0]), "(empty: 0 values, nothing compared)");
  EXPECT_FALSE(checks[1].empty());
  EXPECT_TRUE(checks[1].pass);
}

TEST(HarnessTest, CompareUsesTheQueryDtypeTolerance) {
  EXPECT_EQ(toleranceFor(DType::F32), 1e-4);
  EXPECT_EQ(toleranceFor(DType::BF16), 1e-2);
  EXPECT_EQ(toleranceFor(DType::F16), 1e-2);

  runtime::Manifest m = gatedDeltaNet(DType::BF16);
  Case c = draw(m, 10, 1, 32);
  std::vector<Vec> expected;
  std::string error;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  writeExpected(m, c, expected); // o rounded to bf16: error ~ 2^-9
  std::vector<Check> checks = compare(m, c, expected);
  for (const Check &check : checks) {
    EXPECT_EQ(check.tolerance, 1e-2);
    EXPECT_TRUE(check.pass) << check.buffer << " " << check.relativeError;
  }
  EXPECT_GT(checks[0].relativeError, 1e-4); // the bf16 rounding is visible
}

} // namespace
