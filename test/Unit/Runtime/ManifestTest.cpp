//===- ManifestTest.cpp - Manifest parsing and shape binding --------------===//

#include "prism/Runtime/Manifest.h"

#include "TestManifests.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace prism::runtime;
using prism::test::gatedDeltaNetManifest;
using prism::test::gatedDeltaNetWith;
using prism::test::replaced;

namespace {

Manifest parseOk(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_TRUE(parseManifest(text, manifest, error)) << error;
  return manifest;
}

std::string parseError(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_FALSE(parseManifest(text, manifest, error)) << "accepted";
  return error;
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

TEST(Manifest, ParsesEveryField) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.function, "gated_deltanet");
  EXPECT_EQ(m.backend, "cuda");
  EXPECT_EQ(m.module, "gated_deltanet.ptx");
  EXPECT_EQ(m.symbols, (std::vector<std::string>{"B", "T"}));

  ASSERT_EQ(m.buffers.size(), 8u);
  const Buffer &q = m.buffers[0];
  EXPECT_EQ(q.name, "q");
  EXPECT_EQ(q.role, Role::Input);
  EXPECT_EQ(q.dtype, DType::BF16);
  EXPECT_EQ(q.access, Access::Read);
  ASSERT_EQ(q.shape.size(), 4u);
  EXPECT_EQ(q.shape[0].symbol, "B");
  EXPECT_FALSE(q.shape[0].isStatic());
  EXPECT_EQ(q.shape[2].value, 4);
  EXPECT_TRUE(q.shape[2].isStatic());
  EXPECT_EQ(formatShape(q), "[B, T, 4, 64]");
  EXPECT_EQ(m.buffers[5].role, Role::Workspace);
  EXPECT_EQ(m.buffers[5].access, Access::ReadWrite);
  EXPECT_EQ(m.buffers[6].role, Role::Output);
  EXPECT_EQ(m.buffers[6].access, Access::Write);

  ASSERT_EQ(m.kernels.size(), 2u);
  const Kernel &k0 = m.kernels[0];
  EXPECT_EQ(k0.name, "gdn_cumsum");
  EXPECT_EQ(k0.schedule, "elementwise");
  EXPECT_EQ(k0.grid[0].text, "ceildiv(T, 128)");
  EXPECT_EQ(k0.grid[2].text, "4"); // Plain integers become expressions.
  EXPECT_EQ(k0.block[0].text, "128");
  ASSERT_EQ(k0.params.size(), 3u);
  EXPECT_EQ(k0.params[0].kind, KernelParam::Kind::BufferMemref);
  EXPECT_EQ(k0.params[0].buffer, 3);
  EXPECT_EQ(k0.params[1].kind, KernelParam::Kind::BufferPointer);
  EXPECT_EQ(k0.params[2].kind, KernelParam::Kind::Index);
  EXPECT_EQ(k0.params[2].value.text, "T");
  EXPECT_EQ(m.kernels[1].sharedMemoryBytes, 65536);

  const Recurrence &r = m.recurrence;
  EXPECT_EQ(r.forget, "delta");
  EXPECT_EQ(r.rank, 1);
  EXPECT_EQ(r.keyDim, 64);
  EXPECT_EQ(r.valueDim, 64);
  EXPECT_EQ(r.heads, 4);
  EXPECT_DOUBLE_EQ(r.scale, 0.125);
  EXPECT_EQ(r.stateLayout, "kv");
  EXPECT_EQ(r.query, 0);
  EXPECT_EQ(r.logDecay, 3);
  EXPECT_EQ(r.eraseKey, 1);
  EXPECT_EQ(r.eraseStrength, 4);
  EXPECT_EQ(r.keys, std::vector<int>{1});
  EXPECT_EQ(r.values, std::vector<int>{2});
  EXPECT_TRUE(r.injectGates.empty());
  EXPECT_FALSE(r.refine.has_value());
  EXPECT_EQ(r.initialState, -1);
  EXPECT_EQ(r.output, 6);
  EXPECT_EQ(r.finalState, 7);
}

TEST(Manifest, CallerBuffersSkipWorkspaces) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  EXPECT_EQ(m.callerBuffers(), (std::vector<int>{0, 1, 2, 3, 4, 6, 7}));
}

TEST(Manifest, DefaultsForOptionalFields) {
  std::string text = gatedDeltaNetWith("\"scale\": 0.125,", "");
  text = prism::test::replaced(text, "\"state_layout\": \"kv\",", "");
  text = prism::test::replaced(text, "\"rank\": 1,", "");
  text = prism::test::replaced(text, "\"initial_state\": -1,", "");
  Manifest m = parseOk(text);
  EXPECT_DOUBLE_EQ(m.recurrence.scale, 1.0 / std::sqrt(64.0));
  EXPECT_EQ(m.recurrence.stateLayout, "kv");
  EXPECT_EQ(m.recurrence.rank, 1);
  EXPECT_EQ(m.recurrence.initialState, -1);
}

TEST(Manifest, RefineAndShortConvs) {
  Manifest m = parseOk(
      gatedDeltaNetWith("\"values\": [2],",
                        R"("refine": {"anchor": 2, "value": 3, "gains": [4],
                    "activation": "gelu"},
         "short_convs": [{"input": 0, "weight": 3, "bias": -1,
                          "activation": "silu", "output": 2}],)"));
  ASSERT_TRUE(m.recurrence.refine.has_value());
  EXPECT_EQ(m.recurrence.refine->anchor, 2);
  EXPECT_EQ(m.recurrence.refine->gains, std::vector<int>{4});
  EXPECT_EQ(m.recurrence.refine->activation, "gelu");
  ASSERT_EQ(m.recurrence.shortConvs.size(), 1u);
  EXPECT_EQ(m.recurrence.shortConvs[0].weight, 3);
  EXPECT_EQ(m.recurrence.shortConvs[0].bias, -1);
  EXPECT_EQ(m.recurrence.shortConvs[0].cache, -1);
  EXPECT_EQ(m.recurrence.shortConvs[0].activation, "silu");
}

TEST(Manifest, InvalidJsonIsReported) {
  EXPECT_NE(parseError("{\"version\": 1,}").find("invalid JSON: line 1"),
            std::string::npos);
  EXPECT_EQ(parseError("[]"), "manifest: expected an object, found array");
}

TEST(Manifest, VersionMustBeOne) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1", "\"version\": 2")),
            "version: unsupported version 2 (this runtime reads version 1)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1,", "")),
            "manifest: missing field 'version'");
}

TEST(Manifest, GridEntriesMustBeIntegersOrExpressions) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"grid\": [2, \"B * 4\", 1]",
                                         "\"grid\": [2, true, 1]")),
            "kernels[1].grid[1]: expected integer or expression, found "
            "boolean");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"block\": [128, 1, 1],\n      "
                                         "\"shared_memory_bytes\": 65536",
                                         "\"block\": [128, 1],\n      "
                                         "\"shared_memory_bytes\": 65536")),
            "kernels[1].block: expected 3 entries (x, y, z), found 2");
}

TEST(Manifest, ExpressionsAreCheckedAtParseTime) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"B * 4\"", "\"H * 4\"")),
            "kernels[1].grid[1]: unknown symbol 'H' in expression 'H * 4'");
  EXPECT_NE(
      parseError(gatedDeltaNetWith("\"ceildiv(T, 64)\"", "\"ceildiv(T 64)\""))
          .find("kernels[1].params[8].value: syntax error"),
      std::string::npos);
}

TEST(Manifest, RejectsUnknownEnumerations) {
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "\"name\": \"g\", \"role\": \"input\", \"dtype\": \"f32\"",
                "\"name\": \"g\", \"role\": \"input\", \"dtype\": \"f8\"")),
            "buffers[3].dtype: unknown dtype 'f8' (expected f32, f16, bf16, "
            "i32, i64)");
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"name\": \"q\", \"role\": \"input\"",
                                   "\"name\": \"q\", \"role\": \"scratch\"")),
      "buffers[0].role: unknown value 'scratch' (expected input, "
      "output, workspace)");
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "{\"kind\": \"buffer\", \"buffer\": 3, \"abi\": \"memref\"}",
                "{\"kind\": \"buffer\", \"buffer\": 3, \"abi\": \"bare\"}")),
            "kernels[0].params[0].abi: unknown value 'bare' (expected "
            "memref, pointer)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"T\", 4, 64], \"access\": \"write\"",
                                         "\"T\", 4, 64], \"access\": \"w\"")),
            "buffers[6].access: unknown value 'w' (expected read, write, "
            "readwrite)");
  EXPECT_NE(parseError(gatedDeltaNetWith("\"backend\": \"cuda\"",
                                         "\"backend\": \"rocm\""))
                .find("backend: unknown value 'rocm'"),
            std::string::npos);
  EXPECT_NE(parseError(gatedDeltaNetWith("\"forget\": \"delta\"",
                                         "\"forget\": \"mamba\""))
                .find("recurrence.forget: unknown value 'mamba'"),
            std::string::npos);
}

TEST(Manifest, RejectsUnknownAndMissingFields) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"schedule\": \"elementwise\",",
                                         "\"schedul\": \"elementwise\",")),
            "kernels[0]: unknown field 'schedul'");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"name\": \"gdn_chunk\",", "")),
            "kernels[1]: missing field 'name'");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"output\": 6,", "")),
            "recurrence: missing field 'output'");
}

TEST(Manifest, BufferIndicesAreRangeChecked) {
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "{\"kind\": \"buffer\", \"buffer\": 3, \"abi\": \"memref\"}",
                "{\"kind\": \"buffer\", \"buffer\": 8, \"abi\": \"memref\"}")),
            "kernels[0].params[0].buffer: buffer index 8 out of range (the "
            "manifest has 8 buffers)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"keys\": [1]", "\"keys\": [-1]")),
            "recurrence.keys[0]: buffer index -1 out of range (the manifest "
            "has 8 buffers)");
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"log_decay\": 3", "\"log_decay\": 12")),
      "recurrence.log_decay: buffer index 12 out of range (the "
      "manifest has 8 buffers; -1 means absent)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"query\": 0", "\"query\": -1")),
            "recurrence.query: buffer index -1 out of range (the manifest "
            "has 8 buffers)");
}

TEST(Manifest, ShapesUseDeclaredSymbols) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"N\", 4, 64, 64]")),
            "buffers[7].shape[0]: unknown symbol 'N' (not in 'symbols')");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"B\", 4, -64, 64]")),
            "buffers[7].shape[2]: negative dimension -64");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"symbols\": [\"B\", \"T\"]",
                                         "\"symbols\": [\"B\", \"T\", \"N\"]")),
            "symbols[2]: 'N' appears in no input or output shape");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"symbols\": [\"B\", \"T\"]",
                                         "\"symbols\": [\"B\", \"T\", \"B\"]")),
            "symbols[2]: duplicate symbol 'B'");
}

TEST(Manifest, BufferConsistency) {
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("{\"name\": \"k\"", "{\"name\": \"q\"")),
      "buffers[1].name: duplicate buffer name 'q'");
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"T\", 4, 64], \"access\": \"write\"",
                                   "\"T\", 4, 64], \"access\": \"read\"")),
      "buffers[6].access: an output buffer must be written (write or "
      "readwrite)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"output\": 6", "\"output\": 0")),
            "recurrence.output: buffer 0 ('q') is not an output");
}

TEST(Manifest, RecurrenceConsistency) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"rank\": 1", "\"rank\": 2")),
            "recurrence.rank: rank 2 but 1 keys");
  // DeltaNet: the delta forget without a decay gate.
  Manifest deltaNet = parseOk(gatedDeltaNetWith("\"log_decay\": 3,", ""));
  EXPECT_EQ(deltaNet.recurrence.logDecay, -1);
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"erase_key\": 1,", "")),
            "recurrence: forget 'delta' needs 'erase_key' and "
            "'erase_strength'");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"values\": [2],", "")),
            "recurrence: needs 'values' or 'refine'");
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "\"values\": [2],",
                "\"values\": [2], \"refine\": {\"anchor\": 2, \"value\": 2, "
                "\"gains\": [4], \"activation\": \"gelu\"},")),
            "recurrence: 'values' and 'refine' are exclusive");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"erase_beta_max\": 1.0",
                                         "\"erase_beta_max\": 3")),
            "recurrence.erase_beta_max: must be 1 or 2");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"values\": [2],",
                                         "\"values\": [2], \"inject_gates\": "
                                         "[4, 4],")),
            "recurrence.inject_gates: expected one gate per key (1), found 2");
}

TEST(Manifest, ScalarDecayNeedsLogDecay) {
  std::string text =
      gatedDeltaNetWith("\"forget\": \"delta\"", "\"forget\": \"scalar\"");
  text = prism::test::replaced(text, "\"log_decay\": 3,", "");
  EXPECT_EQ(parseError(text), "recurrence: forget 'scalar' needs 'log_decay'");
}

TEST(Manifest, BackendRules) {
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"module\": \"gated_deltanet.ptx\",", "")),
      "manifest: missing field 'module'");
  // A cpu program has no kernels and needs no module.
  std::string cpu =
      gatedDeltaNetWith("\"backend\": \"cuda\"", "\"backend\": \"cpu\"");
  cpu = prism::test::replaced(cpu, "\"module\": \"gated_deltanet.ptx\",", "");
  EXPECT_EQ(parseError(cpu), "kernels: a cpu program has no kernels");
  size_t begin = cpu.find("\"kernels\"");
  size_t end = cpu.find("\"recurrence\"");
  Manifest m = parseOk(cpu.substr(0, begin) + cpu.substr(end));
  EXPECT_EQ(m.backend, "cpu");
  EXPECT_TRUE(m.kernels.empty());
}

TEST(Manifest, LoadFromFileNamesThePath) {
  Manifest m;
  std::string error;
  EXPECT_FALSE(loadManifest("/nonexistent/x.json", m, error));
  EXPECT_NE(error.find("cannot open '/nonexistent/x.json'"), std::string::npos);

  std::string path = ::testing::TempDir() + "prism_manifest_test.json";
  {
    std::ofstream file(path);
    file << gatedDeltaNetWith("\"version\": 1", "\"version\": 3");
  }
  EXPECT_FALSE(loadManifest(path, m, error));
  EXPECT_EQ(error, path + ": version: unsupported version 3 (this runtime "
                          "reads version 1)");
  {
    std::ofstream file(path);
    file << gatedDeltaNetManifest();
  }
  EXPECT_TRUE(loadManifest(path, m, error)) << error;
  EXPECT_EQ(m.function, "gated_deltanet");
  std::remove(path.c_str());
}

//===----------------------------------------------------------------------===//
// Shape binding
//===----------------------------------------------------------------------===//

/// Shapes for every manifest buffer under B, T (workspace left empty).
std::vector<std::vector<int64_t>> shapesFor(int64_t b, int64_t t) {
  return {{b, t, 4, 64}, {b, t, 4, 64}, {b, t, 4, 64}, {b, t, 4}, {b, t, 4}, {},
          {b, t, 4, 64}, {b, 4, 64, 64}};
}

TEST(BindShapes, ConsistentShapesBindEverySymbol) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(bindShapes(m, shapesFor(2, 77), bindings, error)) << error;
  EXPECT_EQ(bindings, (Bindings{{"B", 2}, {"T", 77}}));
  EXPECT_EQ(formatBindings(m, bindings), "B=2,T=77");
  EXPECT_EQ(concreteShape(m, 5, bindings), (std::vector<int64_t>{2, 77, 4}));
  EXPECT_EQ(concreteShape(m, 7, bindings),
            (std::vector<int64_t>{2, 4, 64, 64}));
}

TEST(BindShapes, WorkspaceShapeIsCheckedWhenGiven) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[5] = {2, 78, 4};
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "symbol 'T' is 77 from buffer 'q' dimension 1 but 78 from "
                   "buffer 'gcum' dimension 1");
}

/// The gcum workspace sized by expressions: one row per 16-step chunk.
std::string chunkedWorkspace() {
  return gatedDeltaNetWith(
      "\"workspace\", \"dtype\": \"f32\",\n     \"shape\": [\"B\", \"T\", 4]",
      "\"workspace\", \"dtype\": \"f32\",\n     \"shape\": [\"B\", "
      "\"ceildiv(T, 16)\", 4]");
}

TEST(BindShapes, WorkspaceDimensionsMayBeExpressions) {
  Manifest m = parseOk(chunkedWorkspace());
  ASSERT_EQ(m.buffers[5].shape.size(), 3u);
  EXPECT_TRUE(m.buffers[5].shape[1].isExpr);
  EXPECT_EQ(formatShape(m.buffers[5]), "[B, ceildiv(T, 16), 4]");
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(bindShapes(m, shapesFor(2, 77), bindings, error)) << error;
  EXPECT_EQ(bindings, (Bindings{{"B", 2}, {"T", 77}}));
  EXPECT_EQ(concreteShape(m, 5, bindings), (std::vector<int64_t>{2, 5, 4}));
  // Given, a workspace's shape must match what the expressions compute.
  auto shapes = shapesFor(2, 77);
  shapes[5] = {2, 5, 4};
  EXPECT_TRUE(bindShapes(m, shapes, bindings, error)) << error;
  shapes[5] = {2, 6, 4};
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'gcum' dimension 1: size 6 given, the manifest "
                   "computes 5 [B, ceildiv(T, 16), 4]");
}

TEST(BindShapes, WorkspaceExpressionsMustEvaluateToSizes) {
  Bindings bindings;
  std::string error;
  Manifest m =
      parseOk(replaced(chunkedWorkspace(), "ceildiv(T, 16)", "T - 100"));
  EXPECT_FALSE(bindShapes(m, shapesFor(2, 77), bindings, error));
  EXPECT_EQ(error,
            "buffer 'gcum' dimension 1: 'T - 100' is -23 under B=2,T=77");
  m = parseOk(replaced(chunkedWorkspace(), "ceildiv(T, 16)", "ceildiv(T, 0)"));
  EXPECT_FALSE(bindShapes(m, shapesFor(2, 77), bindings, error));
  EXPECT_NE(error.find("buffer 'gcum' dimension 1: "), std::string::npos)
      << error;
  EXPECT_NE(error.find("division by zero"), std::string::npos) << error;
}

TEST(Manifest, OnlyWorkspacesHaveExpressionDimensions) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"B\", 4, \"T + 1\", "
                                         "64]")),
            "buffers[7].shape[2]: unknown symbol 'T + 1' (not in 'symbols')");
  EXPECT_EQ(
      parseError(
          replaced(chunkedWorkspace(), "ceildiv(T, 16)", "ceildiv(N, 16)")),
      "buffers[5].shape[1]: unknown symbol 'N' in expression 'ceildiv(N, 16)'");
}

TEST(BindShapes, InconsistentSymbolNamesBothBuffers) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[1][1] = 78;
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "symbol 'T' is 77 from buffer 'q' dimension 1 but 78 from "
                   "buffer 'k' dimension 1");
}

TEST(BindShapes, WrongRank) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[3] = {2, 77};
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'g': rank 2 given, the manifest declares rank 3 "
                   "[B, T, 4]");
}

TEST(BindShapes, WrongStaticDim) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[0][3] = 128;
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'q' dimension 3: size 128 given, the manifest "
                   "requires 64 [B, T, 4, 64]");
}

TEST(BindShapes, NegativeDim) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, -1);
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'q' dimension 1: negative size -1");
}

TEST(BindShapes, WrongNumberOfShapes) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes.pop_back();
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "expected 8 shapes (one per manifest buffer), got 7");
}

TEST(BindShapes, ZeroSizesBind) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(bindShapes(m, shapesFor(0, 0), bindings, error)) << error;
  EXPECT_EQ(formatBindings(m, bindings), "B=0,T=0");
}

TEST(DType, NamesSizesAndByteCounts) {
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::I64), 8u);
  EXPECT_STREQ(dtypeName(DType::F16), "f16");
  EXPECT_EQ(parseDType("bf16"), DType::BF16);
  EXPECT_FALSE(parseDType("float").has_value());
  int64_t bytes = 0;
  EXPECT_TRUE(byteSize({2, 77, 4, 64}, DType::BF16, bytes));
  EXPECT_EQ(bytes, 2 * 77 * 4 * 64 * 2);
  EXPECT_TRUE(byteSize({}, DType::F32, bytes));
  EXPECT_EQ(bytes, 4);
  EXPECT_FALSE(byteSize({1LL << 40, 1LL << 40}, DType::F32, bytes));
  EXPECT_FALSE(byteSize({-1}, DType::F32, bytes));
}

} // namespace
