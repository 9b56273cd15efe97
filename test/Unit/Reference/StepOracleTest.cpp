//===- StepOracleTest.cpp - Step bodies: manifest, oracle, harness --------===//
//
// The step body's oracle against the structured oracle on a body both can
// state (the delta rule), its checks of malformed bodies, the manifest's
// "step" section with its field paths, and the harness on a step manifest.
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/StepOracle.h"
#include "prism/Reference/Harness.h"
#include "prism/Runtime/Manifest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace prism;
using namespace prism::ref;
using runtime::StepBody;
using runtime::StepInstr;

namespace {

/// S_t = S + beta (v - S k) k^T, o = S_t q: values 0 = S, 1 = k, 2 = v,
/// 3 = q, 4 = beta.
StepBody deltaRuleBody(int64_t v, int64_t k) {
  StepBody body;
  body.ops = {
      {"matvec", {0, 1}, {v}, {}},   // 5: S k
      {"sub", {2, 5}, {v}, {}},      // 6: v - S k
      {"splat", {4}, {v}, {}},       // 7: beta
      {"mul", {7, 6}, {v}, {}},      // 8
      {"outer", {8, 1}, {v, k}, {}}, // 9
      {"add", {0, 9}, {v, k}, {}},   // 10: S_t
      {"matvec", {10, 3}, {v}, {}},  // 11: S_t q
  };
  body.state = 10;
  body.output = 11;
  return body;
}

std::vector<double> normals(std::mt19937_64 &rng, size_t n, double scale) {
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<double> out(n);
  for (double &x : out)
    x = normal(rng);
  return out;
}

TEST(StepOracle, DeltaRuleMatchesTheStructuredOracle) {
  const int64_t B = 2, T = 9, H = 3, K = 5, V = 4;
  std::mt19937_64 rng(7);
  std::vector<double> k = normals(rng, B * T * H * K, 0.5),
                      v = normals(rng, B * T * H * V, 1.0),
                      q = normals(rng, B * T * H * K, 1.0),
                      s0 = normals(rng, B * H * K * V, 0.1);
  std::vector<double> beta(B * T * H);
  std::uniform_real_distribution<double> unit(0.1, 0.9);
  for (double &b : beta)
    b = unit(rng);

  Problem structured;
  structured.B = B, structured.T = T, structured.H = H, structured.K = K,
  structured.V = V, structured.L = 1;
  structured.forget = Forget::Delta;
  structured.q = q;
  structured.keys = {k};
  structured.values = {v};
  structured.injectGates = {beta};
  structured.eraseKey = k;
  structured.eraseStrength = beta;
  structured.initialState = s0;
  Result want;
  std::string error;
  ASSERT_TRUE(evaluate(structured, want, error)) << error;

  StepProblem step;
  step.B = B, step.T = T, step.H = H, step.K = K, step.V = V;
  step.inputShapes = {{B, T, H, K}, {B, T, H, V}, {B, T, H, K}, {B, T, H}};
  step.inputs = {k, v, q, beta};
  step.initialState = s0;
  step.body = deltaRuleBody(V, K);
  Result got;
  ASSERT_TRUE(evaluateStep(step, got, error)) << error;
  ASSERT_EQ(got.output.size(), want.output.size());
  for (size_t i = 0; i < got.output.size(); ++i)
    EXPECT_NEAR(got.output[i], want.output[i], 1e-12) << "output " << i;
  for (size_t i = 0; i < got.finalState.size(); ++i)
    EXPECT_NEAR(got.finalState[i], want.finalState[i], 1e-12) << "state " << i;
}

StepProblem smallProblem() {
  StepProblem p;
  p.B = 1, p.T = 2, p.H = 1, p.K = 3, p.V = 2;
  p.inputShapes = {{1, 2, 1, 3}, {1, 2, 1, 2}, {1, 2, 1, 3}, {1, 2, 1}};
  p.inputs = {std::vector<double>(6, 1.0), std::vector<double>(4, 1.0),
              std::vector<double>(6, 1.0), std::vector<double>(2, 0.5)};
  p.body = deltaRuleBody(2, 3);
  return p;
}

TEST(StepOracle, RejectsMalformedBodies) {
  StepProblem p = smallProblem();
  EXPECT_EQ(validate(p), "");

  p.body.ops[0].args = {0, 2}; // S times a V-vector
  EXPECT_EQ(validate(p), "step instruction 0 ('matvec'): argument 1 must be a "
                         "K-vector [3], got [2]");
  p = smallProblem();
  p.body.ops[3].args = {7, 12};
  EXPECT_EQ(validate(p), "step instruction 3 ('mul'): argument 12 is not an "
                         "earlier value (0 .. 7)");
  p = smallProblem();
  p.body.ops[1].op = "atan";
  EXPECT_EQ(validate(p), "step instruction 1 ('atan'): unknown op");
  p = smallProblem();
  p.body.ops[4].shape = {3, 2};
  EXPECT_EQ(validate(p), "step instruction 4 ('outer'): gives [2, 3] but "
                         "declares [3, 2]");
  p = smallProblem();
  p.body.output = 9;
  EXPECT_EQ(validate(p), "the yielded output has shape [2, 3], expected [2]");
  p = smallProblem();
  p.inputShapes[3] = {1, 3, 1};
  EXPECT_EQ(validate(p), "input 3 has shape [1, 3, 1], expected [1, 2, 1]");
  p = smallProblem();
  p.body.ops.push_back({"constant", {}, {2}, {1.0, 2.0, 3.0}});
  EXPECT_EQ(validate(p), "step instruction 7 ('constant'): has 3 values for "
                         "shape [2]");
  Result result;
  std::string error;
  EXPECT_FALSE(evaluateStep(p, result, error));
  EXPECT_NE(error.find("has 3 values"), std::string::npos);
}

/// A manifest of the delta rule as a step program: inputs k, v, q, beta.
std::string stepManifest(const std::string &step) {
  return R"({"version": 1, "function": "delta_step", "backend": "cpu",
  "symbols": ["B", "T"],
  "buffers": [
    {"name": "x0", "role": "input", "dtype": "f32", "shape": ["B", "T", 2, 3], "access": "read"},
    {"name": "x1", "role": "input", "dtype": "bf16", "shape": ["B", "T", 2, 2], "access": "read"},
    {"name": "x2", "role": "input", "dtype": "f32", "shape": ["B", "T", 2, 3], "access": "read"},
    {"name": "x3", "role": "input", "dtype": "f32", "shape": ["B", "T", 2], "access": "read"},
    {"name": "o", "role": "output", "dtype": "f32", "shape": ["B", "T", 2, 2], "access": "write"}],
  "kernels": [],
  "recurrence": {"forget": "step", "key_dim": 3, "value_dim": 2, "heads": 2,
    "state_layout": "kv", "inputs": [0, 1, 2, 3], "output": 4,
    "step": )" +
         step + "}}";
}

const char *deltaRuleJson = R"({"ops": [
    {"op": "matvec", "args": [0, 1], "shape": [2]},
    {"op": "sub", "args": [2, 5], "shape": [2]},
    {"op": "splat", "args": [4], "shape": [2]},
    {"op": "mul", "args": [7, 6], "shape": [2]},
    {"op": "outer", "args": [8, 1], "shape": [2, 3]},
    {"op": "add", "args": [0, 9], "shape": [2, 3]},
    {"op": "matvec", "args": [10, 3], "shape": [2]}],
    "state": 10, "output": 11})";

TEST(StepManifest, ParsesTheBody) {
  runtime::Manifest m;
  std::string error;
  ASSERT_TRUE(runtime::parseManifest(stepManifest(deltaRuleJson), m, error))
      << error;
  EXPECT_EQ(m.recurrence.forget, "step");
  EXPECT_EQ(m.recurrence.inputs, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_TRUE(m.recurrence.step.has_value());
  EXPECT_EQ(m.recurrence.step->ops.size(), 7u);
  EXPECT_EQ(m.recurrence.step->ops[4].op, "outer");
  EXPECT_EQ(m.recurrence.step->ops[4].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.recurrence.step->state, 10);
  EXPECT_EQ(m.recurrence.step->output, 11);
}

TEST(StepManifest, NamesTheFieldOfAnError) {
  auto errorOf = [](const std::string &step) {
    runtime::Manifest m;
    std::string error;
    EXPECT_FALSE(runtime::parseManifest(stepManifest(step), m, error));
    return error;
  };
  EXPECT_EQ(errorOf(R"({"ops": [{"op": "atan", "args": [1], "shape": [2]}],
                       "state": 0, "output": 5})"),
            "recurrence.step.ops[0].op: unknown step op 'atan'");
  EXPECT_EQ(errorOf(R"({"ops": [{"op": "outer", "args": [1], "shape": [2, 3]}],
                       "state": 5, "output": 2})"),
            "recurrence.step.ops[0].args: 'outer' takes 2 arguments, found 1");
  EXPECT_EQ(errorOf(R"({"ops": [{"op": "tanh", "args": [6], "shape": [2]}],
                       "state": 0, "output": 5})"),
            "recurrence.step.ops[0].args[0]: value 6 is not defined before "
            "this op");
  EXPECT_EQ(errorOf(R"({"ops": [{"op": "constant", "shape": [2]}],
                       "state": 0, "output": 5})"),
            "recurrence.step.ops[0]: a constant needs 'values'");
  EXPECT_EQ(errorOf(R"({"ops": [], "state": 0, "output": 7})"),
            "recurrence.step.output: value 7 is not defined");
}

TEST(StepManifest, TheHarnessRunsTheBody) {
  runtime::Manifest m;
  std::string error;
  ASSERT_TRUE(runtime::parseManifest(stepManifest(deltaRuleJson), m, error))
      << error;
  Case c;
  ASSERT_TRUE(makeCase(m, {{"B", 2}, {"T", 5}}, 11, c, error)) << error;
  std::vector<std::vector<double>> expected;
  ASSERT_TRUE(evaluateOracle(m, c, expected, error)) << error;
  ASSERT_EQ(expected[4].size(), 2u * 5 * 2 * 2);
  // The reference written as the output passes; a perturbed one does not.
  for (int64_t i = 0; i < c.buffers[4].numElements(); ++i)
    c.buffers[4].set(i, expected[4][i]);
  std::vector<Check> checks = compare(m, c, expected);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_TRUE(checks[0].pass);
  EXPECT_EQ(checks[0].tolerance, 1e-2); // a bf16 input
  c.buffers[4].set(3, expected[4][3] + 1.0);
  EXPECT_FALSE(compare(m, c, expected)[0].pass);
}

} // namespace
