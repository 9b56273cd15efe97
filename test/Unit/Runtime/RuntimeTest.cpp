//===- RuntimeTest.cpp - The C API and its C++ wrapper --------------------===//
//
// The first group needs no GPU: argument checks must fail before any driver
// call. The second group runs a hand-written PTX kernel through the whole
// path (JIT, memref ABI, workspace, launch, copies, events) and skips with
// "no GPU" where prism_rt_init reports PRISM_RT_NO_DEVICE.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Runtime.h"
#include "prism/Runtime/Runtime.hpp"

#include "TestManifests.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace {

using prism::test::replaced;

//===----------------------------------------------------------------------===//
// Without a GPU
//===----------------------------------------------------------------------===//

TEST(RuntimeApi, StatusNames) {
  EXPECT_STREQ(prism_rt_status_name(PRISM_RT_SUCCESS), "PRISM_RT_SUCCESS");
  EXPECT_STREQ(prism_rt_status_name(PRISM_RT_NO_DEVICE), "PRISM_RT_NO_DEVICE");
  EXPECT_STREQ(prism_rt_status_name(PRISM_RT_CUDA_ERROR),
               "PRISM_RT_CUDA_ERROR");
}

TEST(RuntimeApi, LaunchWithNullProgram) {
  void *ptr = reinterpret_cast<void *>(0x1000);
  int64_t shape[1] = {4};
  const int64_t *shapes[1] = {shape};
  int ranks[1] = {1};
  EXPECT_EQ(prism_rt_launch(nullptr, nullptr, 1, &ptr, shapes, ranks),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_STREQ(prism_rt_last_error(), "prism_rt_launch: null program");
}

TEST(RuntimeApi, NullContextIsRefusedEverywhere) {
  prism_rt_program *program = reinterpret_cast<prism_rt_program *>(0x1);
  EXPECT_EQ(prism_rt_program_load(nullptr, "{}", "", &program),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(program, nullptr); // Outputs are cleared on failure.
  EXPECT_STREQ(prism_rt_last_error(), "prism_rt_program_load: null context");
  EXPECT_EQ(prism_rt_program_load_file(nullptr, "x.json", &program),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_program_load(nullptr, "{}", "", nullptr),
            PRISM_RT_INVALID_ARGUMENT);

  void *ptr = reinterpret_cast<void *>(0x1);
  EXPECT_EQ(prism_rt_malloc(nullptr, 16, &ptr), PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(ptr, nullptr);
  EXPECT_STREQ(prism_rt_last_error(), "prism_rt_malloc: null context");
  char host[4];
  void *device = reinterpret_cast<void *>(0x1000);
  EXPECT_EQ(prism_rt_free(nullptr, device), PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_memset(nullptr, device, 0, 4), PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_copy_to_device(nullptr, device, host, 4),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_copy_to_host(nullptr, host, device, 4),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_copy_device(nullptr, device, device, 4),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_STREQ(prism_rt_last_error(), "prism_rt_copy_device: null context");
  EXPECT_EQ(prism_rt_synchronize(nullptr), PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_stream_synchronize(nullptr, nullptr),
            PRISM_RT_INVALID_ARGUMENT);
  prism_rt_stream *stream;
  EXPECT_EQ(prism_rt_stream_create(nullptr, &stream),
            PRISM_RT_INVALID_ARGUMENT);
  prism_rt_event *event;
  EXPECT_EQ(prism_rt_event_create(nullptr, &event), PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_event_record(nullptr, nullptr), PRISM_RT_INVALID_ARGUMENT);
  float ms;
  EXPECT_EQ(prism_rt_event_elapsed_ms(nullptr, nullptr, &ms),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(prism_rt_device_name(nullptr), nullptr);
  EXPECT_EQ(prism_rt_program_num_buffers(nullptr), -1);
}

TEST(RuntimeApi, StreamWrapArgumentChecks) {
  void *handle = reinterpret_cast<void *>(0x1234);
  EXPECT_EQ(prism_rt_stream_wrap(nullptr, handle, nullptr),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_STREQ(prism_rt_last_error(),
               "prism_rt_stream_wrap: null output pointer");
  prism_rt_stream *stream = reinterpret_cast<prism_rt_stream *>(0x1);
  EXPECT_EQ(prism_rt_stream_wrap(nullptr, handle, &stream),
            PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(stream, nullptr);
  EXPECT_STREQ(prism_rt_last_error(), "prism_rt_stream_wrap: null context");
}

TEST(RuntimeApi, DestroyingNullIsANoOp) {
  EXPECT_EQ(prism_rt_context_destroy(nullptr), PRISM_RT_SUCCESS);
  EXPECT_EQ(prism_rt_program_destroy(nullptr), PRISM_RT_SUCCESS);
  EXPECT_EQ(prism_rt_stream_destroy(nullptr), PRISM_RT_SUCCESS);
  EXPECT_EQ(prism_rt_event_destroy(nullptr), PRISM_RT_SUCCESS);
  EXPECT_EQ(prism_rt_free(nullptr, nullptr), PRISM_RT_SUCCESS);
}

TEST(RuntimeApi, InitArgumentChecks) {
  EXPECT_EQ(prism_rt_init(0, nullptr), PRISM_RT_INVALID_ARGUMENT);
  prism_rt_context *ctx = nullptr;
  EXPECT_EQ(prism_rt_init(-1, &ctx), PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_STREQ(prism_rt_last_error(),
               "prism_rt_init: negative device index -1");
}

TEST(RuntimeApi, InitSucceedsOrReportsNoDevice) {
  prism_rt_context *ctx = nullptr;
  prism_rt_status status = prism_rt_init(0, &ctx);
  if (status == PRISM_RT_NO_DEVICE) {
    EXPECT_EQ(ctx, nullptr);
    EXPECT_STRNE(prism_rt_last_error(), "");
    GTEST_SKIP() << "no GPU";
  }
  ASSERT_EQ(status, PRISM_RT_SUCCESS) << prism_rt_last_error();
  EXPECT_STRNE(prism_rt_device_name(ctx), "");
  EXPECT_EQ(prism_rt_context_destroy(ctx), PRISM_RT_SUCCESS);
}

TEST(RuntimeWrapper, DefaultObjectsAreNotOk) {
  prism::rt::Program program;
  EXPECT_FALSE(program.ok());
  prism::rt::DeviceBuffer buffer;
  EXPECT_FALSE(buffer.ok());
  prism::rt::Status status =
      program.launch(nullptr, {nullptr}, std::vector<std::vector<int64_t>>{});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message, "launch: 1 pointers but 0 shapes");
  status = program.launch(nullptr, {}, {});
  EXPECT_EQ(status.code, PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(status.message, "prism_rt_launch: null program");
}

//===----------------------------------------------------------------------===//
// On a GPU
//===----------------------------------------------------------------------===//

/// y[i] = 2 * x[i] + add for i < x's size (read from its memref descriptor),
/// also written to the workspace. The descriptor's offset and stride are
/// folded into `add` (as offset + stride - 1) so that a wrong descriptor shows
/// in the result.
const char *kAffinePtx = R"ptx(
.version 7.0
.target sm_52
.address_size 64

.visible .entry prism_test_affine(
	.param .u64 x_allocated,
	.param .u64 x_aligned,
	.param .u64 x_offset,
	.param .u64 x_size,
	.param .u64 x_stride,
	.param .u64 y,
	.param .u64 ws,
	.param .u64 add
)
{
	.reg .pred %p<2>;
	.reg .b32 %r<5>;
	.reg .b64 %rd<20>;
	.reg .f32 %f<4>;

	ld.param.u64 %rd1, [x_aligned];
	ld.param.u64 %rd2, [x_size];
	ld.param.u64 %rd3, [y];
	ld.param.u64 %rd4, [add];
	ld.param.u64 %rd11, [x_offset];
	ld.param.u64 %rd12, [x_stride];
	ld.param.u64 %rd13, [ws];
	add.s64 %rd4, %rd4, %rd11;
	add.s64 %rd4, %rd4, %rd12;
	sub.s64 %rd4, %rd4, 1;
	mov.u32 %r1, %ctaid.x;
	mov.u32 %r2, %ntid.x;
	mov.u32 %r3, %tid.x;
	mad.lo.u32 %r4, %r1, %r2, %r3;
	cvt.u64.u32 %rd5, %r4;
	setp.ge.u64 %p1, %rd5, %rd2;
	@%p1 bra $L_done;
	cvta.to.global.u64 %rd6, %rd1;
	cvta.to.global.u64 %rd7, %rd3;
	cvta.to.global.u64 %rd14, %rd13;
	shl.b64 %rd8, %rd5, 2;
	add.s64 %rd9, %rd6, %rd8;
	ld.global.f32 %f1, [%rd9];
	cvt.rn.f32.s64 %f2, %rd4;
	fma.rn.f32 %f3, %f1, 0f40000000, %f2;
	add.s64 %rd10, %rd7, %rd8;
	st.global.f32 [%rd10], %f3;
	add.s64 %rd15, %rd14, %rd8;
	st.global.f32 [%rd15], %f3;
$L_done:
	ret;
}
)ptx";

const char *kAffineManifest = R"json({
  "version": 1,
  "function": "affine",
  "backend": "cuda",
  "module": "affine.ptx",
  "symbols": ["T"],
  "buffers": [
    {"name": "x", "role": "input", "dtype": "f32",
     "shape": ["T"], "access": "read"},
    {"name": "scratch", "role": "workspace", "dtype": "f32",
     "shape": ["T"], "access": "readwrite"},
    {"name": "y", "role": "output", "dtype": "f32",
     "shape": ["T"], "access": "write"}
  ],
  "kernels": [{
    "name": "prism_test_affine",
    "schedule": "elementwise",
    "grid": ["ceildiv(T, 64)", 1, 1],
    "block": [64, 1, 1],
    "shared_memory_bytes": 0,
    "params": [
      {"kind": "buffer", "buffer": 0, "abi": "memref"},
      {"kind": "buffer", "buffer": 2, "abi": "pointer"},
      {"kind": "buffer", "buffer": 1, "abi": "pointer"},
      {"kind": "index", "value": "T - 70"}
    ]
  }],
  "recurrence": {"forget": "identity", "key_dim": 1, "value_dim": 1,
                 "heads": 1, "query": 0, "keys": [0], "values": [0],
                 "output": 2}
})json";

class RuntimeGpu : public ::testing::Test {
protected:
  void SetUp() override {
    ctx = prism::rt::Context(0);
    if (ctx.noDevice())
      GTEST_SKIP() << "no GPU";
    ASSERT_TRUE(ctx.ok()) << ctx.error();
  }

  /// Runs the affine program on T elements and checks y.
  void runAffine(prism::rt::Program &program, int64_t t) {
    std::vector<float> x(t), y(t, -1.0f);
    for (int64_t i = 0; i < t; ++i)
      x[i] = 0.5f * static_cast<float>(i);
    prism::rt::DeviceBuffer dx(ctx, t * sizeof(float));
    prism::rt::DeviceBuffer dy(ctx, t * sizeof(float));
    ASSERT_TRUE(dx.ok() && dy.ok()) << dx.error() << dy.error();
    ASSERT_TRUE(dx.upload(x.data()).ok());
    ASSERT_TRUE(dy.fill(0xFF).ok()); // NaN until written.
    prism::rt::Stream stream(ctx);
    ASSERT_TRUE(stream.ok()) << stream.error();
    prism::rt::Status status =
        program.launch(&stream, {dx.get(), dy.get()}, {{t}, {t}});
    ASSERT_TRUE(status.ok()) << status.message;
    ASSERT_TRUE(ctx.synchronize().ok());
    ASSERT_TRUE(dy.download(y.data()).ok());
    for (int64_t i = 0; i < t; ++i)
      ASSERT_EQ(y[i], 2.0f * x[i] + static_cast<float>(t - 70)) << "i=" << i;
  }

  prism::rt::Context ctx;
};

TEST_F(RuntimeGpu, MemoryRoundTrip) {
  std::vector<uint8_t> host(1000), back(1000, 0);
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = static_cast<uint8_t>(i * 7);
  prism::rt::DeviceBuffer a(ctx, host.size()), b(ctx, host.size());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a.upload(host.data()).ok());
  ASSERT_TRUE(b.copyFrom(a).ok());
  ASSERT_TRUE(b.download(back.data()).ok());
  EXPECT_EQ(host, back);
  ASSERT_TRUE(b.fill(0x5A).ok());
  ASSERT_TRUE(b.download(back.data()).ok());
  EXPECT_EQ(back, std::vector<uint8_t>(1000, 0x5A));
  prism::rt::DeviceBuffer empty(ctx, 0);
  EXPECT_TRUE(empty.ok());
  EXPECT_EQ(empty.get(), nullptr);
}

TEST_F(RuntimeGpu, LaunchesThroughTheMemrefAbiWithAWorkspace) {
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, kAffineManifest, kAffinePtx);
  ASSERT_TRUE(program.ok()) << program.error();
  EXPECT_EQ(prism_rt_program_num_buffers(program.get()), 2);
  runAffine(program, 77);
  runAffine(program, 1000); // Grows the workspace.
  runAffine(program, 5);
}

TEST_F(RuntimeGpu, EmptyProblemSkipsTheLaunch) {
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, kAffineManifest, kAffinePtx);
  ASSERT_TRUE(program.ok()) << program.error();
  prism::rt::Status status =
      program.launch(nullptr, {nullptr, nullptr}, {{0}, {0}});
  EXPECT_TRUE(status.ok()) << status.message;
  EXPECT_TRUE(ctx.synchronize().ok());
}

TEST_F(RuntimeGpu, ArgumentErrorsWithALoadedProgram) {
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, kAffineManifest, kAffinePtx);
  ASSERT_TRUE(program.ok()) << program.error();
  prism::rt::DeviceBuffer dx(ctx, 16);
  prism::rt::Status status = program.launch(nullptr, {dx.get()}, {{4}});
  EXPECT_EQ(status.code, PRISM_RT_INVALID_ARGUMENT);
  EXPECT_EQ(status.message, "prism_rt_launch of 'affine': expected 2 buffers "
                            "(the manifest's inputs and outputs: x, y), got 1");
  status = program.launch(nullptr, {dx.get(), dx.get()}, {{4}, {5}});
  EXPECT_EQ(status.code, PRISM_RT_INVALID_ARGUMENT);
  EXPECT_NE(status.message.find("symbol 'T' is 4 from buffer 'x'"),
            std::string::npos);
}

TEST_F(RuntimeGpu, LargeDynamicSharedMemoryIsEnabled) {
  std::string manifest = replaced(kAffineManifest, "\"shared_memory_bytes\": 0",
                                  "\"shared_memory_bytes\": 100000");
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, manifest, kAffinePtx);
  ASSERT_TRUE(program.ok()) << program.error();
  runAffine(program, 77);
}

TEST_F(RuntimeGpu, BadPtxReportsTheJitLog) {
  std::string ptx = replaced(kAffinePtx, "fma.rn.f32", "fma.rn.f33");
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, kAffineManifest, ptx);
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.code(), PRISM_RT_CUDA_ERROR);
  EXPECT_NE(program.error().find("cuModuleLoadDataEx failed for module "
                                 "'affine.ptx' of 'affine': CUDA_ERROR_"),
            std::string::npos)
      << program.error();
  EXPECT_NE(program.error().find("JIT error log:"), std::string::npos)
      << program.error();
}

TEST_F(RuntimeGpu, MissingKernelIsReported) {
  std::string manifest =
      replaced(kAffineManifest, "\"name\": \"prism_test_affine\"",
               "\"name\": \"no_such_kernel\"");
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, manifest, kAffinePtx);
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.code(), PRISM_RT_CUDA_ERROR);
  EXPECT_NE(program.error().find("cuModuleGetFunction for kernel "
                                 "'no_such_kernel' in module 'affine.ptx' "
                                 "failed: CUDA_ERROR_NOT_FOUND"),
            std::string::npos)
      << program.error();
}

TEST_F(RuntimeGpu, CpuManifestIsRefused) {
  std::string manifest = replaced(kAffineManifest, "\"backend\": \"cuda\"",
                                  "\"backend\": \"cpu\"");
  size_t begin = manifest.find("\"kernels\"");
  size_t end = manifest.find("\"recurrence\"");
  manifest = manifest.substr(0, begin) + manifest.substr(end);
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, manifest, kAffinePtx);
  EXPECT_EQ(program.code(), PRISM_RT_MANIFEST_ERROR);
  EXPECT_NE(program.error().find("loads only cuda programs"), std::string::npos)
      << program.error();
}

TEST_F(RuntimeGpu, MalformedJsonIsAManifestError) {
  // The JSON layer's refusals come back as statuses through the C API, not
  // as nlohmann exceptions.
  prism::rt::Program duplicate =
      prism::rt::Program::fromText(ctx,
                                   replaced(kAffineManifest, "\"version\": 1,",
                                            "\"version\": 1, \"version\": 1,"),
                                   kAffinePtx);
  EXPECT_EQ(duplicate.code(), PRISM_RT_MANIFEST_ERROR);
  EXPECT_NE(duplicate.error().find("duplicate key \"version\""),
            std::string::npos)
      << duplicate.error();
  prism::rt::Program deep =
      prism::rt::Program::fromText(ctx, std::string(100000, '['), kAffinePtx);
  EXPECT_EQ(deep.code(), PRISM_RT_MANIFEST_ERROR);
  EXPECT_NE(deep.error().find("nesting deeper than 256 levels"),
            std::string::npos)
      << deep.error();
  prism::rt::Program utf8 = prism::rt::Program::fromText(
      ctx, replaced(kAffineManifest, "\"version\": 1,", "\"v\xff\": 1,"),
      kAffinePtx);
  EXPECT_EQ(utf8.code(), PRISM_RT_MANIFEST_ERROR);
  EXPECT_NE(utf8.error().find("UTF-8"), std::string::npos) << utf8.error();
}

TEST_F(RuntimeGpu, LoadsFromAManifestFile) {
  std::string dir = ::testing::TempDir();
  std::string manifestPath = dir + "prism_affine_test.json";
  std::string ptxPath = dir + "prism_affine_test.ptx";
  {
    std::ofstream(manifestPath)
        << replaced(kAffineManifest, "\"module\": \"affine.ptx\"",
                    "\"module\": \"prism_affine_test.ptx\"");
    std::ofstream(ptxPath) << kAffinePtx;
  }
  prism::rt::Program program(ctx, manifestPath);
  ASSERT_TRUE(program.ok()) << program.error();
  EXPECT_EQ(program.manifest().function, "affine");
  runAffine(program, 130);

  std::remove(ptxPath.c_str());
  prism::rt::Program missing(ctx, manifestPath);
  EXPECT_EQ(missing.code(), PRISM_RT_IO_ERROR);
  EXPECT_NE(missing.error().find("prism_affine_test.ptx"), std::string::npos);
  std::remove(manifestPath.c_str());
}

TEST_F(RuntimeGpu, WrappedStreamIsNotOwned) {
  prism::rt::Program program =
      prism::rt::Program::fromText(ctx, kAffineManifest, kAffinePtx);
  ASSERT_TRUE(program.ok()) << program.error();
  // CU_STREAM_LEGACY: destroying it would fail, so a successful destroy
  // shows that the wrapper does not own the stream.
  prism_rt_stream *stream = nullptr;
  ASSERT_EQ(
      prism_rt_stream_wrap(ctx.get(), reinterpret_cast<void *>(0x1), &stream),
      PRISM_RT_SUCCESS)
      << prism_rt_last_error();
  const int64_t t = 100;
  std::vector<float> x(t, 1.5f), y(t, 0.0f);
  prism::rt::DeviceBuffer dx(ctx, t * sizeof(float));
  prism::rt::DeviceBuffer dy(ctx, t * sizeof(float));
  ASSERT_TRUE(dx.upload(x.data()).ok());
  void *pointers[2] = {dx.get(), dy.get()};
  int64_t shape[1] = {t};
  const int64_t *shapes[2] = {shape, shape};
  int ranks[2] = {1, 1};
  EXPECT_EQ(prism_rt_launch(program.get(), stream, 2, pointers, shapes, ranks),
            PRISM_RT_SUCCESS)
      << prism_rt_last_error();
  EXPECT_EQ(prism_rt_stream_synchronize(ctx.get(), stream), PRISM_RT_SUCCESS)
      << prism_rt_last_error();
  ASSERT_TRUE(dy.download(y.data()).ok());
  EXPECT_EQ(y[t - 1], 2.0f * 1.5f + static_cast<float>(t - 70));
  EXPECT_EQ(prism_rt_stream_destroy(stream), PRISM_RT_SUCCESS)
      << prism_rt_last_error();
}

TEST_F(RuntimeGpu, EventsMeasureTime) {
  prism::rt::Stream stream(ctx);
  prism::rt::Event start(ctx), end(ctx);
  ASSERT_TRUE(stream.ok() && start.ok() && end.ok());
  ASSERT_TRUE(start.record(&stream).ok());
  ASSERT_TRUE(end.record(&stream).ok());
  float ms = -1;
  prism::rt::Status status = prism::rt::Event::elapsed(start, end, ms);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_GE(ms, 0.0f);
}

} // namespace
