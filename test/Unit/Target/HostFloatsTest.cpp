//===- HostFloatsTest.cpp - 16-bit conversions of the CPU host code -------===//
//
// The CPU backend's f32 <-> bf16 / f16 conversions, compiled by its own
// codegen pipeline and JIT for the x86-64 baseline CPU (no F16C, no native
// bf16, whatever the machine running the test has), must equal the oracle's
// round-to-nearest-even conversions bit for bit, and the host code must hold
// no 16-bit float type at all.
//
//===----------------------------------------------------------------------===//

#include "prism/InitAll.h"
#include "prism/Pipelines/Pipelines.h"
#include "prism/Reference/Float.h"
#include "prism/Target/CPU/HostJIT.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir;
using namespace prism::ref;

namespace {

/// Each function converts `in` elementwise into `out` (n a multiple of 8):
/// the vector forms 8 at a time, the scalar forms one at a time.
constexpr const char *kConversions = R"mlir(
func.func @ext_f16(%in: memref<?xi16>, %out: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?xi16>
  scf.for %i = %c0 to %n step %c8 {
    %h = vector.load %in[%i] : memref<?xi16>, vector<8xi16>
    %f = arith.bitcast %h : vector<8xi16> to vector<8xf16>
    %e = arith.extf %f : vector<8xf16> to vector<8xf32>
    %b = arith.bitcast %e : vector<8xf32> to vector<8xi32>
    vector.store %b, %out[%i] : memref<?xi32>, vector<8xi32>
  }
  return
}
func.func @ext_bf16(%in: memref<?xi16>, %out: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?xi16>
  scf.for %i = %c0 to %n step %c8 {
    %h = vector.load %in[%i] : memref<?xi16>, vector<8xi16>
    %f = arith.bitcast %h : vector<8xi16> to vector<8xbf16>
    %e = arith.extf %f : vector<8xbf16> to vector<8xf32>
    %b = arith.bitcast %e : vector<8xf32> to vector<8xi32>
    vector.store %b, %out[%i] : memref<?xi32>, vector<8xi32>
  }
  return
}
func.func @trunc_f16(%in: memref<?xf32>, %out: memref<?xf16>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c8 {
    %x = vector.load %in[%i] : memref<?xf32>, vector<8xf32>
    %t = arith.truncf %x : vector<8xf32> to vector<8xf16>
    vector.store %t, %out[%i] : memref<?xf16>, vector<8xf16>
  }
  return
}
func.func @trunc_f16_scalar(%in: memref<?xf32>, %out: memref<?xf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %in[%i] : memref<?xf32>
    %t = arith.truncf %x : f32 to f16
    memref.store %t, %out[%i] : memref<?xf16>
  }
  return
}
func.func @trunc_bf16(%in: memref<?xf32>, %out: memref<?xbf16>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c8 {
    %x = vector.load %in[%i] : memref<?xf32>, vector<8xf32>
    %t = arith.truncf %x : vector<8xf32> to vector<8xbf16>
    vector.store %t, %out[%i] : memref<?xbf16>, vector<8xbf16>
  }
  return
}
// A bf16 value carried from one iteration to the next (a loop-carried load,
// as the sequential schedule's prefetch does): on a CPU without native bf16
// this used to need __truncsfbf2.
func.func @carry_bf16(%in: memref<?xbf16>, %out: memref<?xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %in, %c0 : memref<?xbf16>
  %first = memref.load %in[%c0] : memref<?xbf16>
  %last = scf.for %i = %c1 to %n step %c1 iter_args(%prev = %first) -> bf16 {
    memref.store %prev, %out[%i] : memref<?xbf16>
    %next = memref.load %in[%i] : memref<?xbf16>
    scf.yield %next : bf16
  }
  memref.store %last, %out[%c0] : memref<?xbf16>
  return
}
)mlir";

/// A rank-1 memref descriptor as the LLVM lowering lays it out.
struct Memref1D {
  void *allocated, *aligned;
  int64_t offset = 0, size, stride = 1;
  explicit Memref1D(void *data, int64_t n)
      : allocated(data), aligned(data), size(n) {}
};

class HostFloatsTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    registerAllPasses();
    prism::registerAllPasses();
    DialectRegistry registry;
    prism::cpu::registerHostDialects(registry);
    context = new MLIRContext(registry);
    context->loadAllAvailableDialects();
    module = new OwningOpRef<ModuleOp>(
        parseSourceString<ModuleOp>(kConversions, context));
    ASSERT_TRUE(*module);
    PassManager pm(context);
    prism::buildCPUCodegenPipeline(pm);
    ASSERT_TRUE(succeeded(pm.run(**module)));
    prism::cpu::HostTarget baseline{prism::cpu::baselineCPU(), ""};
    auto created = prism::cpu::createEngine(**module, baseline);
    ASSERT_TRUE(static_cast<bool>(created))
        << llvm::toString(created.takeError());
    engine = created->release();
  }
  static void TearDownTestSuite() {
    delete engine;
    delete module;
    delete context;
  }

  /// Runs `function` on `in` -> `out` (same element count).
  template <typename In, typename Out>
  static void run(const char *function, std::vector<In> &in,
                  std::vector<Out> &out) {
    ASSERT_EQ(in.size() % 8, 0u);
    out.assign(in.size(), 0);
    Memref1D a(in.data(), in.size()), b(out.data(), out.size());
    void *args[] = {&a.allocated, &a.aligned, &a.offset, &a.size, &a.stride,
                    &b.allocated, &b.aligned, &b.offset, &b.size, &b.stride};
    llvm::Error err = engine->invokePacked(function, args);
    ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  }

  static MLIRContext *context;
  static OwningOpRef<ModuleOp> *module;
  static ExecutionEngine *engine;
};

MLIRContext *HostFloatsTest::context = nullptr;
OwningOpRef<ModuleOp> *HostFloatsTest::module = nullptr;
ExecutionEngine *HostFloatsTest::engine = nullptr;

/// Float bit patterns that exercise every rounding position: all 2^16 upper
/// halves (sign, exponent, top mantissa bits: every f16 subnormal tie above
/// bit 15) with lower halves at and around the ties of bits 12..15 and at
/// the edges, plus random patterns.
std::vector<uint32_t> floatPatterns() {
  const uint32_t lows[] = {0,      1,      0x0fff, 0x1000, 0x1001, 0x1fff,
                           0x2000, 0x2001, 0x3000, 0x3fff, 0x4000, 0x4001,
                           0x6000, 0x7fff, 0x8000, 0x8001, 0xa000, 0xc000,
                           0xe000, 0xf000, 0xffff, 0x5555, 0xaaaa, 0x0800};
  std::vector<uint32_t> bits;
  for (uint32_t high = 0; high < 0x10000; ++high)
    for (uint32_t low : lows)
      bits.push_back(high << 16 | low);
  std::mt19937 rng(7);
  for (int i = 0; i < (1 << 20); ++i)
    bits.push_back(rng());
  while (bits.size() % 8)
    bits.push_back(0);
  return bits;
}

std::vector<float> asFloats(const std::vector<uint32_t> &bits) {
  std::vector<float> values;
  for (uint32_t b : bits)
    values.push_back(bitsToFloat(b));
  return values;
}

TEST_F(HostFloatsTest, HostCodeHoldsNo16BitFloat) {
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateModuleToLLVMIR(**module, llvmContext);
  ASSERT_TRUE(llvmModule);
  std::string text;
  llvm::raw_string_ostream os(text);
  llvmModule->print(os, nullptr);
  EXPECT_EQ(text.find("bfloat"), std::string::npos);
  EXPECT_EQ(text.find("half"), std::string::npos);
}

TEST_F(HostFloatsTest, ExtendF16IsExactForEveryPattern) {
  std::vector<uint16_t> in(1 << 16);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<uint16_t>(i);
  std::vector<uint32_t> out;
  run("ext_f16", in, out);
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], floatBits(f16ToFloat(in[i])))
        << "f16 bits 0x" << std::hex << in[i];
}

TEST_F(HostFloatsTest, ExtendBF16IsExactForEveryPattern) {
  std::vector<uint16_t> in(1 << 16);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<uint16_t>(i);
  std::vector<uint32_t> out;
  run("ext_bf16", in, out);
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], floatBits(bf16ToFloat(in[i])))
        << "bf16 bits 0x" << std::hex << in[i];
}

TEST_F(HostFloatsTest, TruncateToF16RoundsToNearestEven) {
  std::vector<uint32_t> bits = floatPatterns();
  std::vector<float> in = asFloats(bits);
  for (const char *function : {"trunc_f16", "trunc_f16_scalar"}) {
    std::vector<uint16_t> out;
    run(function, in, out);
    for (size_t i = 0; i < in.size(); ++i)
      ASSERT_EQ(out[i], floatToF16(in[i]))
          << function << ": f32 bits 0x" << std::hex << bits[i];
  }
}

TEST_F(HostFloatsTest, TruncateToBF16RoundsToNearestEven) {
  std::vector<uint32_t> bits = floatPatterns();
  std::vector<float> in = asFloats(bits);
  std::vector<uint16_t> out;
  run("trunc_bf16", in, out);
  for (size_t i = 0; i < in.size(); ++i) {
    if (std::isnan(in[i])) {
      // Any quiet NaN of either sign: arith-expand's choice of payload.
      ASSERT_TRUE(std::isnan(bf16ToFloat(out[i])))
          << "f32 bits 0x" << std::hex << bits[i];
      continue;
    }
    ASSERT_EQ(out[i], floatToBF16(in[i]))
        << "f32 bits 0x" << std::hex << bits[i];
  }
}

TEST_F(HostFloatsTest, CarriesBF16AcrossIterationsUnchanged) {
  std::vector<uint16_t> in(64), out;
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<uint16_t>(0x3f80 + 37 * i); // includes NaN patterns
  run("carry_bf16", in, out);
  EXPECT_EQ(out[0], in.back());
  for (size_t i = 1; i < in.size(); ++i)
    EXPECT_EQ(out[i], in[i - 1]) << i;
}

} // namespace
