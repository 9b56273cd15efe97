//===- LaunchTest.cpp - Launch planning without a GPU ---------------------===//
//
// planLaunch is the first thing prism_rt_launch does, so these are the
// runtime's argument checks, exercised with fake device addresses.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Launch.h"

#include "TestManifests.h"

#include "gtest/gtest.h"

#include <climits>

using namespace prism::runtime;
using prism::test::gatedDeltaNetManifest;
using prism::test::gatedDeltaNetWith;

namespace {

Manifest parse(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_TRUE(parseManifest(text, manifest, error)) << error;
  return manifest;
}

/// The C-style arrays of a launch of the Gated DeltaNet manifest (7 caller
/// buffers: q k v g beta o final_state) with fake, aligned addresses.
struct Args {
  static constexpr int kAll = INT_MIN;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<void *> pointers;
  std::vector<const int64_t *> shapePtrs;
  std::vector<int> ranks;

  Args(int64_t b, int64_t t) {
    shapes = {{b, t, 4, 64}, {b, t, 4, 64}, {b, t, 4, 64}, {b, t, 4},
              {b, t, 4},     {b, t, 4, 64}, {b, 4, 64, 64}};
    for (size_t i = 0; i < shapes.size(); ++i)
      pointers.push_back(reinterpret_cast<void *>(0x100000 * (i + 1)));
    refresh();
  }
  /// Re-points the arrays after `shapes` changed.
  void refresh() {
    shapePtrs.clear();
    ranks.clear();
    for (const auto &shape : shapes) {
      shapePtrs.push_back(shape.data());
      ranks.push_back(static_cast<int>(shape.size()));
    }
  }
  /// Plans with `count` buffers (default: all of them).
  bool plan(const Manifest &manifest, LaunchPlan &plan, std::string &error,
            int count = kAll) const {
    return planLaunch(manifest, count == kAll ? int(pointers.size()) : count,
                      pointers.data(), shapePtrs.data(), ranks.data(), plan,
                      error);
  }
};

std::string planError(const Manifest &manifest, const Args &args,
                      int count = Args::kAll) {
  LaunchPlan plan;
  std::string error;
  EXPECT_FALSE(args.plan(manifest, plan, error, count)) << "accepted";
  return error;
}

TEST(PlanLaunch, EvaluatesSizesAndBindings) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  LaunchPlan plan;
  std::string error;
  ASSERT_TRUE(args.plan(m, plan, error)) << error;
  EXPECT_EQ(plan.bindings, (Bindings{{"B", 2}, {"T", 77}}));
  EXPECT_EQ(plan.bytes[0], 2 * 77 * 4 * 64 * 2);
  EXPECT_EQ(plan.shapes[5], (std::vector<int64_t>{2, 77, 4}));
  // One workspace of 2*77*4 f32 = 2464 bytes, rounded up to 256.
  EXPECT_EQ(plan.workspaceBytes, 2560);
  EXPECT_EQ(plan.workspaceOffsets[5], 0);

  ASSERT_EQ(plan.kernels.size(), 2u);
  const KernelLaunch &k0 = plan.kernels[0];
  EXPECT_EQ(k0.grid[0], 1u); // ceildiv(77, 128)
  EXPECT_EQ(k0.grid[1], 2u);
  EXPECT_EQ(k0.grid[2], 4u);
  EXPECT_EQ(k0.block[0], 128u);
  EXPECT_FALSE(k0.skip);
  EXPECT_EQ(k0.indexValues, std::vector<int64_t>{77});
  const KernelLaunch &k1 = plan.kernels[1];
  EXPECT_EQ(k1.grid[1], 8u);
  EXPECT_EQ(k1.sharedMemoryBytes, 65536u);
  EXPECT_EQ(k1.indexValues, (std::vector<int64_t>{77, 2}));
}

TEST(PlanLaunch, PacksParamsPerAbi) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  LaunchPlan plan;
  std::string error;
  ASSERT_TRUE(args.plan(m, plan, error)) << error;
  const uint64_t ws = 0xA0000000;
  assignWorkspaces(m, ws, plan);
  packParams(m, plan);

  const uint64_t g = 0x400000, q = 0x100000, o = 0x600000, fs = 0x700000;
  // Kernel 0: memref g [2, 77, 4] (3 + 2*3 words), pointer gcum, index T.
  EXPECT_EQ(plan.kernels[0].params,
            (std::vector<uint64_t>{g, g, 0, 2, 77, 4, 308, 4, 1, ws, 77}));
  // Kernel 1: six pointers, memref final_state [2, 4, 64, 64], two indices.
  const std::vector<uint64_t> &p = plan.kernels[1].params;
  ASSERT_EQ(p.size(), 6u + 3 + 8 + 2);
  EXPECT_EQ(p[0], q);
  EXPECT_EQ(p[4], ws);
  EXPECT_EQ(p[5], o);
  EXPECT_EQ(
      std::vector<uint64_t>(p.begin() + 6, p.begin() + 17),
      (std::vector<uint64_t>{fs, fs, 0, 2, 4, 64, 64, 16384, 4096, 64, 1}));
  EXPECT_EQ(p[17], 77u);
  EXPECT_EQ(p[18], 2u);
}

TEST(PlanLaunch, NegativeIndexValuesKeepTheirBits) {
  Manifest m =
      parse(gatedDeltaNetWith("\"ceildiv(T, 64)\"", "\"min(0, 10 - T)\""));
  Args args(2, 77);
  LaunchPlan plan;
  std::string error;
  ASSERT_TRUE(args.plan(m, plan, error)) << error;
  packParams(m, plan);
  EXPECT_EQ(static_cast<int64_t>(plan.kernels[1].params.back()), -67);
}

TEST(PlanLaunch, WrongBufferCount) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  EXPECT_EQ(planError(m, args, 8),
            "expected 7 buffers (the manifest's inputs and outputs: q, k, v, "
            "g, beta, o, final_state), got 8");
  EXPECT_NE(planError(m, args, 6).find("got 6"), std::string::npos);
  EXPECT_NE(planError(m, args, -2).find("got -2"), std::string::npos);
}

TEST(PlanLaunch, NullArrays) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  LaunchPlan plan;
  std::string error;
  EXPECT_FALSE(planLaunch(m, 7, nullptr, args.shapePtrs.data(),
                          args.ranks.data(), plan, error));
  EXPECT_EQ(error, "null device_ptrs array for 7 buffers");
  EXPECT_FALSE(planLaunch(m, 7, args.pointers.data(), nullptr,
                          args.ranks.data(), plan, error));
  EXPECT_EQ(error, "null shapes array for 7 buffers");
  EXPECT_FALSE(planLaunch(m, 7, args.pointers.data(), args.shapePtrs.data(),
                          nullptr, plan, error));
  EXPECT_EQ(error, "null ranks array for 7 buffers");
  args.shapePtrs[3] = nullptr;
  EXPECT_EQ(planError(m, args), "buffer 3 ('g'): null shape");
}

TEST(PlanLaunch, NullDevicePointer) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  args.pointers[2] = nullptr;
  EXPECT_EQ(planError(m, args), "buffer 2 ('v'): null device pointer");
}

TEST(PlanLaunch, MisalignedDevicePointer) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  const std::string message =
      "buffer 3 ('g'): device pointer is not 16-byte aligned (the kernels "
      "move rows in 16-byte pieces): pass a buffer that starts on a 16-byte "
      "boundary, e.g. a fresh contiguous copy";
  args.pointers[3] = reinterpret_cast<void *>(0x400002); // g is f32.
  EXPECT_EQ(planError(m, args), message);
  // Aligned to its f32 elements is not enough.
  args.pointers[3] = reinterpret_cast<void *>(0x400004);
  EXPECT_EQ(planError(m, args), message);
  args.pointers[3] = reinterpret_cast<void *>(0x400010);
  LaunchPlan plan;
  std::string error;
  EXPECT_TRUE(args.plan(m, plan, error)) << error;
}

TEST(PlanLaunch, RankMismatch) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  args.ranks[0] = 3;
  EXPECT_EQ(planError(m, args),
            "buffer 0 ('q'): rank 3 given, the manifest declares rank 4 "
            "[B, T, 4, 64]");
}

TEST(PlanLaunch, InconsistentSymbol) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 77);
  args.shapes[4][0] = 3;
  args.refresh();
  EXPECT_EQ(planError(m, args), "symbol 'B' is 2 from buffer 'q' dimension 0 "
                                "but 3 from buffer 'beta' dimension 0");
}

TEST(PlanLaunch, NegativeDimension) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, -5);
  EXPECT_EQ(planError(m, args), "buffer 'q' dimension 1: negative size -5");
}

TEST(PlanLaunch, GridAboveCudaLimit) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(20000, 1);
  EXPECT_EQ(planError(m, args),
            "kernels[1] 'gdn_chunk' grid[1] = 'B * 4' evaluates to 80000, "
            "above CUDA's limit of 65535");
}

TEST(PlanLaunch, NegativeGrid) {
  Manifest m = parse(gatedDeltaNetWith("\"B * 4\"", "\"T - 100\""));
  Args args(2, 77);
  EXPECT_EQ(planError(m, args), "kernels[1] 'gdn_chunk' grid[1] = 'T - 100' "
                                "evaluates to -23, which is negative");
}

TEST(PlanLaunch, BlockLimits) {
  Manifest wide = parse(gatedDeltaNetWith("\"block\": [128, 1, 1],\n      "
                                          "\"shared_memory_bytes\": 65536",
                                          "\"block\": [2048, 1, 1],\n      "
                                          "\"shared_memory_bytes\": 65536"));
  EXPECT_EQ(planError(wide, Args(2, 77)),
            "kernels[1] 'gdn_chunk' block[0] = '2048' evaluates to 2048, "
            "above CUDA's limit of 1024");
  Manifest big = parse(gatedDeltaNetWith("\"block\": [128, 1, 1],\n      "
                                         "\"shared_memory_bytes\": 65536",
                                         "\"block\": [512, 4, 1],\n      "
                                         "\"shared_memory_bytes\": 65536"));
  EXPECT_EQ(planError(big, Args(2, 77)),
            "kernels[1] 'gdn_chunk': block of 2048 threads, above CUDA's "
            "limit of 1024");
}

TEST(PlanLaunch, EvaluationErrorsNameTheKernel) {
  Manifest m = parse(gatedDeltaNetWith("\"B * 4\"", "\"T / (B - 2)\""));
  EXPECT_EQ(planError(m, Args(2, 77)),
            "kernels[1] 'gdn_chunk' grid[1] = 'T / (B - 2)': division by zero "
            "in expression 'T / (B - 2)'");
}

TEST(PlanLaunch, ZeroLengthSkipsEmptyGridsAndAllowsNullPointers) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(2, 0);
  // Every [B, T, ...] buffer is empty and may be null; final_state is not.
  for (int i = 0; i < 6; ++i)
    args.pointers[i] = nullptr;
  LaunchPlan plan;
  std::string error;
  ASSERT_TRUE(args.plan(m, plan, error)) << error;
  EXPECT_TRUE(plan.kernels[0].skip);  // grid.x = ceildiv(0, 128)
  EXPECT_FALSE(plan.kernels[1].skip); // Still writes the final state.
  EXPECT_EQ(plan.workspaceBytes, 0);
  assignWorkspaces(m, 0xA0000000, plan);
  EXPECT_EQ(plan.addresses[5], 0u); // An empty workspace gets no address.

  args.pointers[6] = nullptr;
  EXPECT_EQ(planError(m, args), "buffer 6 ('final_state'): null device "
                                "pointer");
}

TEST(PlanLaunch, ZeroBatchSkipsEverything) {
  Manifest m = parse(gatedDeltaNetManifest());
  Args args(0, 77);
  LaunchPlan plan;
  std::string error;
  ASSERT_TRUE(args.plan(m, plan, error)) << error;
  EXPECT_TRUE(plan.kernels[0].skip);
  EXPECT_TRUE(plan.kernels[1].skip);
}

TEST(PlanLaunch, WorkspacesAreAlignedOneAfterAnother) {
  // A second workspace, [T] bf16, as the last buffer.
  Manifest m = parse(gatedDeltaNetWith(
      "\"shape\": [\"B\", 4, 64, 64], \"access\": \"write\"}",
      "\"shape\": [\"B\", 4, 64, 64], \"access\": \"write\"},\n    "
      "{\"name\": \"w2\", \"role\": \"workspace\", \"dtype\": \"bf16\", "
      "\"shape\": [\"T\"], \"access\": \"readwrite\"}"));
  Args args(2, 77);
  LaunchPlan plan;
  std::string error;
  ASSERT_TRUE(args.plan(m, plan, error)) << error;
  EXPECT_EQ(plan.workspaceOffsets[5], 0);
  EXPECT_EQ(plan.workspaceOffsets[8], 2560);
  EXPECT_EQ(plan.workspaceBytes, 2560 + 256);
  assignWorkspaces(m, 0x1000, plan);
  EXPECT_EQ(plan.addresses[5], 0x1000u);
  EXPECT_EQ(plan.addresses[8], 0x1000u + 2560);
}

} // namespace
