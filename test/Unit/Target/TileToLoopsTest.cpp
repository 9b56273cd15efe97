//===- TileToLoopsTest.cpp - The CPU mapping of the tile dialect, run -----===//
//
// Small tile programs, each exercising some ops of the tile dialect, go
// through prism-tile-cpu-mapping and the CPU codegen, are JIT-compiled for the
// x86-64 baseline and run on buffers whose results are compared with plain
// C++ loops that follow the ops' definitions (TileOps.td). Buffers carry
// guard regions of sentinels before and after their data, so that a read or
// write of a masked row (including one before the start of the buffer) shows
// up. A long chunk loop checks that the mapping frees its tiles every
// iteration, and every compiled program is checked to need no routine outside
// the host code's allow-list.
//
//===----------------------------------------------------------------------===//

#include "prism/InitAll.h"
#include "prism/Pipelines/Pipelines.h"
#include "prism/Reference/Float.h"
#include "prism/Target/CPU/HostJIT.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace prism::ref;

namespace {

//===----------------------------------------------------------------------===//
// Buffers and compiled programs
//===----------------------------------------------------------------------===//

/// A row-major buffer passed as a memref descriptor, with `guard` elements
/// of `fill` before and after its data.
template <typename T> struct Buffer {
  std::vector<T> storage;
  std::vector<int64_t> shape, strides;
  size_t guard;
  void *allocated, *aligned;
  int64_t offset = 0;

  Buffer(std::vector<int64_t> dims, T fill, size_t guard = 0)
      : shape(std::move(dims)), strides(shape.size()), guard(guard) {
    int64_t stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      strides[d] = stride;
      stride *= shape[d];
    }
    storage.assign(stride + 2 * guard, fill);
    allocated = storage.data();
    aligned = storage.data() + guard;
  }
  size_t size() const { return storage.size() - 2 * guard; }
  T *data() { return storage.data() + guard; }
  T &at(std::initializer_list<int64_t> index) {
    int64_t linear = 0;
    size_t d = 0;
    for (int64_t i : index)
      linear += i * strides[d++];
    return data()[linear];
  }
  /// The guard elements before and after the data.
  bool guardsHold(T fill) const {
    for (size_t i = 0; i < guard; ++i)
      if (!same(storage[i], fill) ||
          !same(storage[storage.size() - 1 - i], fill))
        return false;
    return true;
  }
  static bool same(T a, T b) { return std::memcmp(&a, &b, sizeof(T)) == 0; }
  /// The descriptor's fields, in the order of the lowered function's
  /// arguments.
  void pack(std::vector<void *> &args) {
    args.push_back(&allocated);
    args.push_back(&aligned);
    args.push_back(&offset);
    for (int64_t &size : shape)
      args.push_back(&size);
    for (int64_t &stride : strides)
      args.push_back(&stride);
  }
};

/// What the host code may call (test/Integration/host_symbols.py).
const llvm::StringSet<> kAllowedSymbols = {
    "expf",  "exp2f",  "logf",   "log2f", "log1pf", "erff",    "tanhf",
    "sqrtf", "malloc", "calloc", "free",  "memcpy", "memmove", "memset"};

class TileToLoopsTest : public ::testing::Test {
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
  }
  static void TearDownTestSuite() { delete context; }

  /// Maps `source` onto the CPU, checks the object's undefined symbols and
  /// JIT-compiles it.
  void compile(const std::string &source) {
    module = parseSourceString<ModuleOp>(source, context);
    ASSERT_TRUE(module) << source;
    PassManager pm(context);
    // The codegen pipeline maps tile kernels first (running the mapping
    // twice would bufferize buffers).
    prism::buildCPUCodegenPipeline(pm);
    ASSERT_TRUE(succeeded(pm.run(*module)));
    // Tiles live on the heap: a stack allocation in a chunk loop would grow
    // the stack with every iteration.
    module->walk([](LLVM::AllocaOp alloca) {
      ADD_FAILURE() << "host code allocates on the stack";
    });
    prism::cpu::HostTarget baseline{prism::cpu::baselineCPU(), ""};
    checkSymbols(baseline);
    auto created = prism::cpu::createEngine(*module, baseline);
    ASSERT_TRUE(static_cast<bool>(created))
        << llvm::toString(created.takeError());
    engine = std::move(*created);
  }

  void checkSymbols(const prism::cpu::HostTarget &target) {
    llvm::SmallString<64> path;
    ASSERT_FALSE(
        llvm::sys::fs::createTemporaryFile("tile-to-loops", "o", path));
    llvm::Error error = prism::cpu::emitObject(*module, target, path);
    ASSERT_FALSE(static_cast<bool>(error)) << llvm::toString(std::move(error));
    auto object = llvm::object::ObjectFile::createObjectFile(path);
    ASSERT_TRUE(static_cast<bool>(object))
        << llvm::toString(object.takeError());
    for (const llvm::object::SymbolRef &symbol :
         object->getBinary()->symbols()) {
      auto flags = symbol.getFlags();
      ASSERT_TRUE(static_cast<bool>(flags));
      if (!(*flags & llvm::object::SymbolRef::SF_Undefined))
        continue;
      auto name = symbol.getName();
      ASSERT_TRUE(static_cast<bool>(name));
      EXPECT_TRUE(name->empty() || kAllowedSymbols.contains(*name))
          << "host code needs " << name->str();
    }
    llvm::sys::fs::remove(path);
  }

  void call(const char *function, std::vector<void *> args) {
    llvm::Error error = engine->invokePacked(function, args);
    ASSERT_FALSE(static_cast<bool>(error)) << llvm::toString(std::move(error));
  }

  static MLIRContext *context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ExecutionEngine> engine;
};

MLIRContext *TileToLoopsTest::context = nullptr;

/// `text` with every "ELT" replaced by `element`.
std::string withElement(std::string text, const std::string &element) {
  for (size_t at = text.find("ELT"); at != std::string::npos;
       at = text.find("ELT", at + element.size()))
    text.replace(at, 3, element);
  return text;
}

/// |got - want| within `tol` relative to max(1, |want|); infinities and NaN
/// must match exactly.
void expectClose(float got, float want, const std::string &where,
                 float tol = 1e-5f) {
  if (!std::isfinite(want)) {
    EXPECT_EQ(std::isnan(got), std::isnan(want)) << where;
    if (!std::isnan(want)) {
      EXPECT_EQ(got, want) << where;
    }
    return;
  }
  EXPECT_NEAR(got, want, tol * std::max(1.0f, std::fabs(want)))
      << where << ": got " << got << ", want " << want;
}

std::string where(const char *what, std::initializer_list<int64_t> index) {
  std::string text = what;
  text += "[";
  for (int64_t i : index)
    text += std::to_string(i) + ",";
  text.back() = ']';
  return text;
}

/// The element types of tiles: their name in MLIR, their storage in a
/// buffer, and the conversions (the oracle's, rounding to nearest even).
struct F32 {
  using Storage = float;
  static constexpr const char *name = "f32";
  static float widen(float x) { return x; }
  static float narrow(float x) { return x; }
};
struct BF16 {
  using Storage = uint16_t;
  static constexpr const char *name = "bf16";
  static float widen(uint16_t bits) { return bf16ToFloat(bits); }
  static uint16_t narrow(float x) { return floatToBF16(x); }
};
struct F16 {
  using Storage = uint16_t;
  static constexpr const char *name = "f16";
  static float widen(uint16_t bits) { return f16ToFloat(bits); }
  static uint16_t narrow(float x) { return floatToF16(x); }
};

template <typename D = F32>
void fillRandom(Buffer<typename D::Storage> &buffer, std::mt19937 &rng,
                float low = -1, float high = 1) {
  std::uniform_real_distribution<float> dist(low, high);
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer.data()[i] = D::narrow(dist(rng));
}

constexpr float kInf = std::numeric_limits<float>::infinity();

//===----------------------------------------------------------------------===//
// Loads and stores
//===----------------------------------------------------------------------===//

/// Chunks of 16 rows of a [B, T, 2, 8] sequence from start row `t0`: the
/// tile as loaded (masked rows zero) and the tile plus one stored back
/// under the same mask.
constexpr const char *kMasks = R"mlir(
func.func @masks(%src: memref<?x?x2x8xf32>, %tiles: memref<?x2x16x8xf32>,
                 %dst: memref<?x?x2x8xf32>, %t0: index, %T: index,
                 %B: index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  tile.kernel "masks" grid(%c2, %B) {
  ^bb0(%h: index, %b: index):
    %x = tile.load %src[%b, %t0, %h, %c0] dims [1, 3] below(%T)
        : memref<?x?x2x8xf32> -> tensor<16x8xf32>
    tile.store %x, %tiles[%b, %h, %c0, %c0] dims [2, 3]
        : tensor<16x8xf32>, memref<?x2x16x8xf32>
    %one = arith.constant dense<1.0> : tensor<16x8xf32>
    %y = arith.addf %x, %one : tensor<16x8xf32>
    tile.store %y, %dst[%b, %t0, %h, %c0] dims [1, 3] below(%T)
        : tensor<16x8xf32>, memref<?x?x2x8xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, MaskedRowsReadZeroAndAreNotWritten) {
  ASSERT_NO_FATAL_FAILURE(compile(kMasks));
  const int64_t B = 2, rows = 12, T = 10;
  // Guards as long as a whole tile on either side: a chunk starting 16 rows
  // before the buffer or at its end would touch only them.
  const size_t guard = 16 * 2 * 8 + 8;
  const float sentinel = 777.0f, untouched = -1.0f;
  std::mt19937 rng(1);
  for (int64_t t0 : {-5, 0, 3, -16, 10, -20}) {
    Buffer<float> src({B, rows, 2, 8}, sentinel, guard);
    fillRandom(src, rng);
    Buffer<float> tiles({B, 2, 16, 8}, untouched);
    Buffer<float> dst({B, rows, 2, 8}, untouched, guard);
    int64_t start = t0, bound = T, batch = B;
    std::vector<void *> args;
    src.pack(args);
    tiles.pack(args);
    dst.pack(args);
    args.insert(args.end(), {&start, &bound, &batch});
    call("masks", args);
    std::string at = "t0 = " + std::to_string(t0) + ": ";
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 16; ++i)
          for (int64_t j = 0; j < 8; ++j) {
            int64_t t = t0 + i;
            float want = t >= 0 && t < T ? src.at({b, t, h, j}) : 0.0f;
            EXPECT_EQ(tiles.at({b, h, i, j}), want)
                << at << where("tiles", {b, h, i, j});
          }
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < rows; ++t)
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t j = 0; j < 8; ++j) {
            bool written = t >= 0 && t < T && t >= t0 && t < t0 + 16;
            float want = written ? src.at({b, t, h, j}) + 1.0f : untouched;
            EXPECT_EQ(dst.at({b, t, h, j}), want)
                << at << where("dst", {b, t, h, j});
          }
    EXPECT_TRUE(dst.guardsHold(untouched)) << at << "a masked row was stored";
  }
}

/// A transposed read of a [B, 2, 8, 4] bf16 state (dims [3, 2]).
constexpr const char *kTransposed = R"mlir(
func.func @transposed(%s: memref<?x2x8x4xbf16>, %out: memref<?x2x4x8xbf16>,
                      %B: index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  tile.kernel "transposed" grid(%B, %c2) {
  ^bb0(%b: index, %h: index):
    %x = tile.load %s[%b, %h, %c0, %c0] dims [3, 2]
        : memref<?x2x8x4xbf16> -> tensor<4x8xbf16>
    tile.store %x, %out[%b, %h, %c0, %c0] dims [2, 3]
        : tensor<4x8xbf16>, memref<?x2x4x8xbf16>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, TransposedLoadOfBF16) {
  ASSERT_NO_FATAL_FAILURE(compile(kTransposed));
  const int64_t B = 3;
  std::mt19937 rng(2);
  Buffer<uint16_t> s({B, 2, 8, 4}, 0);
  fillRandom<BF16>(s, rng);
  Buffer<uint16_t> out({B, 2, 4, 8}, 0);
  int64_t batch = B;
  std::vector<void *> args;
  s.pack(args);
  out.pack(args);
  args.push_back(&batch);
  call("transposed", args);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 8; ++j)
          EXPECT_EQ(out.at({b, h, i, j}), s.at({b, h, j, i}))
              << where("out", {b, h, i, j});
}

//===----------------------------------------------------------------------===//
// Products and solves
//===----------------------------------------------------------------------===//

/// Every transpose combination of A (6x5) B (5x7), without and with an
/// accumulator; A^T and B^T are given as their own buffers.
constexpr const char *kDots = R"mlir(
func.func @dots(%a: memref<6x5xELT>, %at: memref<5x6xELT>,
                %b: memref<5x7xELT>, %bt: memref<7x5xELT>,
                %c: memref<6x7xf32>, %out: memref<8x6x7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  tile.kernel "dots" grid(%c1) {
  ^bb0(%p: index):
    %ta = tile.load %a[%c0, %c0] dims [0, 1] : memref<6x5xELT> -> tensor<6x5xELT>
    %tat = tile.load %at[%c0, %c0] dims [0, 1] : memref<5x6xELT> -> tensor<5x6xELT>
    %tb = tile.load %b[%c0, %c0] dims [0, 1] : memref<5x7xELT> -> tensor<5x7xELT>
    %tbt = tile.load %bt[%c0, %c0] dims [0, 1] : memref<7x5xELT> -> tensor<7x5xELT>
    %tc = tile.load %c[%c0, %c0] dims [0, 1] : memref<6x7xf32> -> tensor<6x7xf32>
    %d0 = tile.dot %ta, %tb : tensor<6x5xELT>, tensor<5x7xELT> -> tensor<6x7xf32>
    %d1 = tile.dot %tat, %tb transpose_a : tensor<5x6xELT>, tensor<5x7xELT> -> tensor<6x7xf32>
    %d2 = tile.dot %ta, %tbt transpose_b : tensor<6x5xELT>, tensor<7x5xELT> -> tensor<6x7xf32>
    %d3 = tile.dot %tat, %tbt transpose_a transpose_b : tensor<5x6xELT>, tensor<7x5xELT> -> tensor<6x7xf32>
    %e0 = tile.dot %ta, %tb acc(%tc : tensor<6x7xf32>) : tensor<6x5xELT>, tensor<5x7xELT> -> tensor<6x7xf32>
    %e1 = tile.dot %tat, %tb acc(%tc : tensor<6x7xf32>) transpose_a : tensor<5x6xELT>, tensor<5x7xELT> -> tensor<6x7xf32>
    %e2 = tile.dot %ta, %tbt acc(%tc : tensor<6x7xf32>) transpose_b : tensor<6x5xELT>, tensor<7x5xELT> -> tensor<6x7xf32>
    %e3 = tile.dot %tat, %tbt acc(%tc : tensor<6x7xf32>) transpose_a transpose_b : tensor<5x6xELT>, tensor<7x5xELT> -> tensor<6x7xf32>
    tile.store %d0, %out[%c0, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %d1, %out[%c1, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %d2, %out[%c2, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %d3, %out[%c3, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %e0, %out[%c4, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %e1, %out[%c5, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %e2, %out[%c6, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
    tile.store %e3, %out[%c7, %c0, %c0] dims [1, 2] : tensor<6x7xf32>, memref<8x6x7xf32>
  }
  return
}
)mlir";

class DotTest : public TileToLoopsTest {
public:
  template <typename D> void run(unsigned seed) {
    using T = typename D::Storage;
    const std::string element = D::name;
    ASSERT_NO_FATAL_FAILURE(compile(withElement(kDots, element)));
    std::mt19937 rng(seed);
    Buffer<T> a({6, 5}, 0), at({5, 6}, 0), b({5, 7}, 0), bt({7, 5}, 0);
    fillRandom<D>(a, rng);
    fillRandom<D>(b, rng);
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t k = 0; k < 5; ++k)
        at.at({k, i}) = a.at({i, k});
    for (int64_t k = 0; k < 5; ++k)
      for (int64_t j = 0; j < 7; ++j)
        bt.at({j, k}) = b.at({k, j});
    Buffer<float> c({6, 7}, 0), out({8, 6, 7}, 0);
    fillRandom(c, rng, -4, 4);
    std::vector<void *> args;
    for (Buffer<T> *buffer : {&a, &at, &b, &bt})
      buffer->pack(args);
    c.pack(args);
    out.pack(args);
    call("dots", args);
    for (int64_t n = 0; n < 8; ++n)
      for (int64_t i = 0; i < 6; ++i)
        for (int64_t j = 0; j < 7; ++j) {
          float want = n >= 4 ? c.at({i, j}) : 0.0f;
          for (int64_t k = 0; k < 5; ++k)
            want += D::widen(a.at({i, k})) * D::widen(b.at({k, j}));
          expectClose(out.at({n, i, j}), want,
                      element + " " + where("dot", {n, i, j}));
        }
  }
};

TEST_F(DotTest, EveryTransposeWithAndWithoutAccF32) { run<F32>(3); }

TEST_F(DotTest, EveryTransposeWithAndWithoutAccBF16) { run<BF16>(4); }

TEST_F(DotTest, EveryTransposeWithAndWithoutAccF16) { run<F16>(12); }

/// Decayed causal scores of 8 queries against 6 keys over 4 channels.
constexpr const char *kDecayDot = R"mlir(
func.func @decay(%a: memref<8x4xELT>, %b: memref<6x4xELT>,
                 %ga: memref<8x4xf32>, %gb: memref<6x4xf32>,
                 %out: memref<8x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "decay" grid(%c1) {
  ^bb0(%p: index):
    %ta = tile.load %a[%c0, %c0] dims [0, 1] : memref<8x4xELT> -> tensor<8x4xELT>
    %tb = tile.load %b[%c0, %c0] dims [0, 1] : memref<6x4xELT> -> tensor<6x4xELT>
    %tga = tile.load %ga[%c0, %c0] dims [0, 1] : memref<8x4xf32> -> tensor<8x4xf32>
    %tgb = tile.load %gb[%c0, %c0] dims [0, 1] : memref<6x4xf32> -> tensor<6x4xf32>
    %d = tile.decay_dot %ta, %tb, %tga, %tgb : tensor<8x4xELT>, tensor<6x4xELT>,
        tensor<8x4xf32>, tensor<6x4xf32> -> tensor<8x6xf32>
    tile.store %d, %out[%c0, %c0] dims [0, 1] : tensor<8x6xf32>, memref<8x6xf32>
  }
  return
}
)mlir";

class DecayDotTest : public TileToLoopsTest {
public:
  template <typename D> void run(unsigned seed) {
    using T = typename D::Storage;
    const std::string element = D::name;
    ASSERT_NO_FATAL_FAILURE(compile(withElement(kDecayDot, element)));
    std::mt19937 rng(seed);
    for (bool causal : {false, true}) {
      Buffer<T> a({8, 4}, 0), b({6, 4}, 0);
      fillRandom<D>(a, rng);
      fillRandom<D>(b, rng);
      Buffer<float> ga({8, 4}, 0), gb({6, 4}, 0), out({8, 6}, -1);
      if (!causal) {
        fillRandom(ga, rng, -3, 1);
        fillRandom(gb, rng, -3, 1);
      } else {
        // ga = gb = G, the cumulative log2 decays of a chunk; channels 2
        // and 3 decay by 40 to 200 a step, so that above the diagonal
        // 2^(G[i] - G[j]) overflows to infinity.
        std::uniform_real_distribution<float> slow(-0.5f, 0.0f);
        std::uniform_real_distribution<float> fast(-200.0f, -40.0f);
        float G[8][4];
        for (int64_t t = 0; t < 8; ++t)
          for (int64_t c = 0; c < 4; ++c)
            G[t][c] =
                (t ? G[t - 1][c] : 0.0f) + (c < 2 ? slow(rng) : fast(rng));
        for (int64_t t = 0; t < 8; ++t)
          for (int64_t c = 0; c < 4; ++c) {
            ga.at({t, c}) = G[t][c];
            if (t < 6)
              gb.at({t, c}) = G[t][c];
          }
        ASSERT_TRUE(std::isinf(std::exp2(G[0][3] - G[5][3])));
      }
      std::vector<void *> args;
      a.pack(args);
      b.pack(args);
      ga.pack(args);
      gb.pack(args);
      out.pack(args);
      call("decay", args);
      for (int64_t i = 0; i < 8; ++i)
        for (int64_t j = 0; j < 6; ++j) {
          float want = 0;
          for (int64_t c = 0; c < 4 && j <= i; ++c)
            want += D::widen(a.at({i, c})) * D::widen(b.at({j, c})) *
                    std::exp2(ga.at({i, c}) - gb.at({j, c}));
          expectClose(out.at({i, j}), want,
                      element + (causal ? " causal " : " ") +
                          where("decay_dot", {i, j}));
        }
    }
  }
};

TEST_F(DecayDotTest, RandomAndOverflowingDecaysF32) { run<F32>(5); }

TEST_F(DecayDotTest, RandomAndOverflowingDecaysBF16) { run<BF16>(6); }

/// (I + strictly_lower(l))^-1 r; l's diagonal and upper part are NaN.
constexpr const char *kTriSolve = R"mlir(
func.func @solve(%l: memref<8x8xf32>, %r: memref<8x3xf32>, %out: memref<8x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "solve" grid(%c1) {
  ^bb0(%p: index):
    %tl = tile.load %l[%c0, %c0] dims [0, 1] : memref<8x8xf32> -> tensor<8x8xf32>
    %tr = tile.load %r[%c0, %c0] dims [0, 1] : memref<8x3xf32> -> tensor<8x3xf32>
    %x = tile.tri_solve %tl, %tr : tensor<8x8xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
    tile.store %x, %out[%c0, %c0] dims [0, 1] : tensor<8x3xf32>, memref<8x3xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, TriSolveReadsOnlyTheStrictlyLowerPart) {
  ASSERT_NO_FATAL_FAILURE(compile(kTriSolve));
  std::mt19937 rng(7);
  Buffer<float> l({8, 8}, 0), r({8, 3}, 0), out({8, 3}, 0);
  fillRandom(l, rng, -0.5f, 0.5f);
  fillRandom(r, rng);
  for (int64_t t = 0; t < 8; ++t)
    for (int64_t s = t; s < 8; ++s)
      l.at({t, s}) = std::numeric_limits<float>::quiet_NaN();
  std::vector<void *> args;
  for (Buffer<float> *buffer : {&l, &r, &out})
    buffer->pack(args);
  call("solve", args);
  // (I + L) x = r, row by row: x[t, v] = r[t, v] - sum_{s < t} L[t, s]
  // x[s, v].
  for (int64_t t = 0; t < 8; ++t)
    for (int64_t v = 0; v < 3; ++v) {
      float sum = 0;
      for (int64_t s = 0; s < t; ++s)
        sum += l.at({t, s}) * out.at({s, v});
      expectClose(out.at({t, v}), r.at({t, v}) - sum,
                  where("tri_solve", {t, v}));
    }
}

/// The causal products: the lower triangle of a (acc + tril(a) b) and of
/// a b^T (tril(a b^T)).
constexpr const char *kCausalDots = R"mlir(
func.func @causal(%a: memref<6x6xf32>, %b: memref<6x7xf32>, %c: memref<6x7xf32>,
                  %q: memref<6x5xf32>, %k: memref<6x5xf32>,
                  %lowerA: memref<6x7xf32>, %lower: memref<6x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "causal" grid(%c1) {
  ^bb0(%p: index):
    %ta = tile.load %a[%c0, %c0] dims [0, 1] : memref<6x6xf32> -> tensor<6x6xf32>
    %tb = tile.load %b[%c0, %c0] dims [0, 1] : memref<6x7xf32> -> tensor<6x7xf32>
    %tc = tile.load %c[%c0, %c0] dims [0, 1] : memref<6x7xf32> -> tensor<6x7xf32>
    %tq = tile.load %q[%c0, %c0] dims [0, 1] : memref<6x5xf32> -> tensor<6x5xf32>
    %tk = tile.load %k[%c0, %c0] dims [0, 1] : memref<6x5xf32> -> tensor<6x5xf32>
    %u = tile.dot %ta, %tb acc(%tc : tensor<6x7xf32>) lower_a : tensor<6x6xf32>, tensor<6x7xf32> -> tensor<6x7xf32>
    %s = tile.dot %tq, %tk transpose_b lower : tensor<6x5xf32>, tensor<6x5xf32> -> tensor<6x6xf32>
    tile.store %u, %lowerA[%c0, %c0] dims [0, 1] : tensor<6x7xf32>, memref<6x7xf32>
    tile.store %s, %lower[%c0, %c0] dims [0, 1] : tensor<6x6xf32>, memref<6x6xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, CausalDotsReadAndWriteOnlyTheLowerTriangle) {
  ASSERT_NO_FATAL_FAILURE(compile(kCausalDots));
  std::mt19937 rng(17);
  Buffer<float> a({6, 6}, 0), b({6, 7}, 0), c({6, 7}, 0), q({6, 5}, 0),
      k({6, 5}, 0), lowerA({6, 7}, 0), lower({6, 6}, 0);
  for (Buffer<float> *buffer : {&a, &b, &c, &q, &k})
    fillRandom(*buffer, rng);
  // What lies above a's diagonal is never a term (not even inf * 0).
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = i + 1; j < 6; ++j)
      a.at({i, j}) = std::numeric_limits<float>::infinity();
  fillRandom(lower, rng);
  std::vector<void *> args;
  for (Buffer<float> *buffer : {&a, &b, &c, &q, &k, &lowerA, &lower})
    buffer->pack(args);
  call("causal", args);
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 7; ++j) {
      float want = c.at({i, j});
      for (int64_t s = 0; s <= i; ++s)
        want += a.at({i, s}) * b.at({s, j});
      expectClose(lowerA.at({i, j}), want, where("lower_a", {i, j}));
    }
    for (int64_t j = 0; j < 6; ++j) {
      float want = 0;
      for (int64_t s = 0; j <= i && s < 5; ++s)
        want += q.at({i, s}) * k.at({j, s});
      expectClose(lower.at({i, j}), want, where("lower", {i, j}));
    }
  }
}

//===----------------------------------------------------------------------===//
// Scans, masks, reductions, broadcasts, splats
//===----------------------------------------------------------------------===//

constexpr const char *kCumsum = R"mlir(
func.func @cumsum(%x: memref<6x5xf32>, %v: memref<7xf32>, %o0: memref<6x5xf32>,
                  %o1: memref<6x5xf32>, %ov: memref<7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "cumsum" grid(%c1) {
  ^bb0(%p: index):
    %tx = tile.load %x[%c0, %c0] dims [0, 1] : memref<6x5xf32> -> tensor<6x5xf32>
    %tv = tile.load %v[%c0] dims [0] : memref<7xf32> -> tensor<7xf32>
    %s0 = tile.cumsum %tx dim 0 : tensor<6x5xf32>
    %s1 = tile.cumsum %tx dim 1 : tensor<6x5xf32>
    %sv = tile.cumsum %tv dim 0 : tensor<7xf32>
    tile.store %s0, %o0[%c0, %c0] dims [0, 1] : tensor<6x5xf32>, memref<6x5xf32>
    tile.store %s1, %o1[%c0, %c0] dims [0, 1] : tensor<6x5xf32>, memref<6x5xf32>
    tile.store %sv, %ov[%c0] dims [0] : tensor<7xf32>, memref<7xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, CumsumAlongEitherDimension) {
  ASSERT_NO_FATAL_FAILURE(compile(kCumsum));
  std::mt19937 rng(8);
  Buffer<float> x({6, 5}, 0), v({7}, 0), o0({6, 5}, 0), o1({6, 5}, 0),
      ov({7}, 0);
  fillRandom(x, rng);
  fillRandom(v, rng);
  std::vector<void *> args;
  for (Buffer<float> *buffer : {&x, &v, &o0, &o1, &ov})
    buffer->pack(args);
  call("cumsum", args);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 5; ++j) {
      float down = 0, across = 0;
      for (int64_t k = 0; k <= i; ++k)
        down += x.at({k, j});
      for (int64_t k = 0; k <= j; ++k)
        across += x.at({i, k});
      expectClose(o0.at({i, j}), down, where("cumsum dim 0", {i, j}));
      expectClose(o1.at({i, j}), across, where("cumsum dim 1", {i, j}));
    }
  float sum = 0;
  for (int64_t i = 0; i < 7; ++i) {
    sum += v.at({i});
    expectClose(ov.at({i}), sum, where("cumsum 1-d", {i}));
  }
}

/// Inclusive and strict masks of log decays with -inf, then exp2; a strict
/// mask with a finite fill.
constexpr const char *kCausalMask = R"mlir(
func.func @causal(%x: memref<5x7xf32>, %o0: memref<5x7xf32>,
                  %o1: memref<5x7xf32>, %o2: memref<5x7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "causal" grid(%c1) {
  ^bb0(%p: index):
    %t = tile.load %x[%c0, %c0] dims [0, 1] : memref<5x7xf32> -> tensor<5x7xf32>
    %m0 = tile.causal_mask %t fill(0xFFF0000000000000) : tensor<5x7xf32>
    %e0 = math.exp2 %m0 : tensor<5x7xf32>
    %m1 = tile.causal_mask %t strict fill(0xFFF0000000000000) : tensor<5x7xf32>
    %e1 = math.exp2 %m1 : tensor<5x7xf32>
    %m2 = tile.causal_mask %t strict fill(2.5) : tensor<5x7xf32>
    tile.store %e0, %o0[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
    tile.store %e1, %o1[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
    tile.store %m2, %o2[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, CausalMasksStrictAndInclusive) {
  ASSERT_NO_FATAL_FAILURE(compile(kCausalMask));
  std::mt19937 rng(9);
  Buffer<float> x({5, 7}, 0), o0({5, 7}, -1), o1({5, 7}, -1), o2({5, 7}, -1);
  // Above the diagonal the exponents are large: a kept one would overflow.
  fillRandom(x, rng, -3, 0);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = i + 1; j < 7; ++j)
      x.at({i, j}) = 500.0f;
  std::vector<void *> args;
  for (Buffer<float> *buffer : {&x, &o0, &o1, &o2})
    buffer->pack(args);
  call("causal", args);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 7; ++j) {
      float in = x.at({i, j});
      expectClose(o0.at({i, j}), j <= i ? std::exp2(in) : 0.0f,
                  where("inclusive", {i, j}));
      expectClose(o1.at({i, j}), j < i ? std::exp2(in) : 0.0f,
                  where("strict", {i, j}));
      EXPECT_EQ(o2.at({i, j}), j < i ? in : 2.5f) << where("fill", {i, j});
    }
}

constexpr const char *kReduceBroadcastSplat = R"mlir(
func.func @rbs(%x: memref<5x7xf32>, %u: memref<5xf32>, %w: memref<7xbf16>,
               %alpha: memref<1xf32>, %sums0: memref<7xf32>,
               %sums1: memref<5xf32>, %max0: memref<7xf32>,
               %max1: memref<5xf32>, %b1: memref<5x7xf32>,
               %b0: memref<5x7xbf16>, %splat: memref<3x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "rbs" grid(%c1) {
  ^bb0(%p: index):
    %t = tile.load %x[%c0, %c0] dims [0, 1] : memref<5x7xf32> -> tensor<5x7xf32>
    %tu = tile.load %u[%c0] dims [0] : memref<5xf32> -> tensor<5xf32>
    %tw = tile.load %w[%c0] dims [0] : memref<7xbf16> -> tensor<7xbf16>
    %s0 = tile.reduce add %t dim 0 : tensor<5x7xf32> -> tensor<7xf32>
    %s1 = tile.reduce add %t dim 1 : tensor<5x7xf32> -> tensor<5xf32>
    %m0 = tile.reduce max %t dim 0 : tensor<5x7xf32> -> tensor<7xf32>
    %m1 = tile.reduce max %t dim 1 : tensor<5x7xf32> -> tensor<5xf32>
    %r1 = tile.broadcast %tu dim 1 : tensor<5xf32> -> tensor<5x7xf32>
    %r0 = tile.broadcast %tw dim 0 : tensor<7xbf16> -> tensor<5x7xbf16>
    %a = memref.load %alpha[%c0] : memref<1xf32>
    %sp = tile.splat %a : f32 -> tensor<3x4xf32>
    tile.store %s0, %sums0[%c0] dims [0] : tensor<7xf32>, memref<7xf32>
    tile.store %s1, %sums1[%c0] dims [0] : tensor<5xf32>, memref<5xf32>
    tile.store %m0, %max0[%c0] dims [0] : tensor<7xf32>, memref<7xf32>
    tile.store %m1, %max1[%c0] dims [0] : tensor<5xf32>, memref<5xf32>
    tile.store %r1, %b1[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
    tile.store %r0, %b0[%c0, %c0] dims [0, 1] : tensor<5x7xbf16>, memref<5x7xbf16>
    tile.store %sp, %splat[%c0, %c0] dims [0, 1] : tensor<3x4xf32>, memref<3x4xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, ReductionsBroadcastsAndSplats) {
  ASSERT_NO_FATAL_FAILURE(compile(kReduceBroadcastSplat));
  std::mt19937 rng(10);
  // Negative entries only: a maximum that started from 0 would show.
  Buffer<float> x({5, 7}, 0), u({5}, 0), alpha({1}, -3.25f);
  fillRandom(x, rng, -9, -1);
  fillRandom(u, rng);
  Buffer<uint16_t> w({7}, 0), b0({5, 7}, 0);
  fillRandom<BF16>(w, rng);
  Buffer<float> sums0({7}, 0), sums1({5}, 0), max0({7}, 0), max1({5}, 0),
      b1({5, 7}, 0), splat({3, 4}, 0);
  std::vector<void *> args;
  x.pack(args);
  u.pack(args);
  w.pack(args);
  alpha.pack(args);
  for (Buffer<float> *buffer : {&sums0, &sums1, &max0, &max1, &b1})
    buffer->pack(args);
  b0.pack(args);
  splat.pack(args);
  call("rbs", args);
  for (int64_t j = 0; j < 7; ++j) {
    float sum = 0, max = -kInf;
    for (int64_t i = 0; i < 5; ++i) {
      sum += x.at({i, j});
      max = std::max(max, x.at({i, j}));
    }
    expectClose(sums0.at({j}), sum, where("add dim 0", {j}));
    EXPECT_EQ(max0.at({j}), max) << where("max dim 0", {j});
  }
  for (int64_t i = 0; i < 5; ++i) {
    float sum = 0, max = -kInf;
    for (int64_t j = 0; j < 7; ++j) {
      sum += x.at({i, j});
      max = std::max(max, x.at({i, j}));
    }
    expectClose(sums1.at({i}), sum, where("add dim 1", {i}));
    EXPECT_EQ(max1.at({i}), max) << where("max dim 1", {i});
  }
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 7; ++j) {
      EXPECT_EQ(b1.at({i, j}), u.at({i})) << where("broadcast dim 1", {i, j});
      EXPECT_EQ(b0.at({i, j}), w.at({j})) << where("broadcast dim 0", {i, j});
    }
  for (size_t i = 0; i < splat.size(); ++i)
    EXPECT_EQ(splat.data()[i], -3.25f) << "splat " << i;
}

//===----------------------------------------------------------------------===//
// Chunk loops and grids
//===----------------------------------------------------------------------===//

/// A chunk loop carrying a 4x4 tile: acc <- acc / 2 + X_c^T X_c over chunks
/// of 8 rows, the last one masked by T.
constexpr const char *kChunks = R"mlir(
func.func @chunks(%x: memref<?x4xf32>, %out: memref<4x4xf32>, %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  tile.kernel "chunks" grid(%c1) {
  ^bb0(%p: index):
    %zero = arith.constant 0.0 : f32
    %init = tile.splat %zero : f32 -> tensor<4x4xf32>
    %n = arith.ceildivsi %T, %c8 : index
    %r = scf.for %c = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<4x4xf32>) {
      %t0 = arith.muli %c, %c8 : index
      %xc = tile.load %x[%t0, %c0] dims [0, 1] below(%T) : memref<?x4xf32> -> tensor<8x4xf32>
      %half = arith.constant dense<0.5> : tensor<4x4xf32>
      %decayed = arith.mulf %acc, %half : tensor<4x4xf32>
      %s = tile.dot %xc, %xc acc(%decayed : tensor<4x4xf32>) transpose_a
          : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
      scf.yield %s : tensor<4x4xf32>
    }
    tile.store %r, %out[%c0, %c0] dims [0, 1] : tensor<4x4xf32>, memref<4x4xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, ChunkLoopCarriesATile) {
  ASSERT_NO_FATAL_FAILURE(compile(kChunks));
  const int64_t T = 29;
  std::mt19937 rng(11);
  // The rows past T hold a sentinel: the masked last chunk must not read it.
  Buffer<float> x({T, 4}, 1e6f, 3 * 4), out({4, 4}, 0);
  fillRandom(x, rng);
  int64_t bound = T;
  std::vector<void *> args;
  x.pack(args);
  out.pack(args);
  args.push_back(&bound);
  call("chunks", args);
  float acc[4][4] = {};
  for (int64_t t0 = 0; t0 < T; t0 += 8)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        float sum = acc[i][j] * 0.5f;
        for (int64_t k = 0; k < 8 && t0 + k < T; ++k)
          sum += x.at({t0 + k, i}) * x.at({t0 + k, j});
        acc[i][j] = sum;
      }
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j)
      expectClose(out.at({i, j}), acc[i][j], where("acc", {i, j}));
}

/// 100000 iterations carrying a 64x64 tile, each of which allocates a splat
/// and yields a fresh tile, on odd iterations through an scf.if: the tiles
/// of every iteration must be freed (and not live on the stack).
constexpr const char *kLongLoop = R"mlir(
func.func @long(%out: memref<64x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  tile.kernel "long" grid(%c1) {
  ^bb0(%p: index):
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %init = tile.splat %zero : f32 -> tensor<64x64xf32>
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<64x64xf32>) {
      %ones = tile.splat %one : f32 -> tensor<64x64xf32>
      %half = arith.constant dense<0.5> : tensor<64x64xf32>
      %a = arith.mulf %acc, %half : tensor<64x64xf32>
      %b = arith.addf %a, %ones : tensor<64x64xf32>
      %parity = arith.remui %i, %c2 : index
      %odd = arith.cmpi ne, %parity, %c0 : index
      %next = scf.if %odd -> (tensor<64x64xf32>) {
        %m = tile.causal_mask %b fill(2.0) : tensor<64x64xf32>
        scf.yield %m : tensor<64x64xf32>
      } else {
        scf.yield %b : tensor<64x64xf32>
      }
      scf.yield %next : tensor<64x64xf32>
    }
    tile.store %r, %out[%c0, %c0] dims [0, 1] : tensor<64x64xf32>, memref<64x64xf32>
  }
  return
}
)mlir";

long peakResidentKiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST_F(TileToLoopsTest, LongChunkLoopDoesNotGrowMemory) {
  ASSERT_NO_FATAL_FAILURE(compile(kLongLoop));
  Buffer<float> out({64, 64}, 0);
  int64_t n = 100000;
  std::vector<void *> args;
  out.pack(args);
  args.push_back(&n);
  long before = peakResidentKiB();
  call("long", args);
  long grown = peakResidentKiB() - before;
  // Two 16 KiB tiles an iteration would be 3 GiB if they were kept.
  EXPECT_LT(grown, 32 * 1024)
      << "peak resident memory grew by " << grown << " KiB";
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_FLOAT_EQ(out.data()[i], 2.0f) << i;
}

/// Two kernels in order: one program per point of a 3-d grid writes its
/// coordinates, then a 2-d grid's programs add to what the first wrote.
constexpr const char *kGrids = R"mlir(
func.func @grids(%out: memref<?x?x?x4xf32>, %sums: memref<?x?x4xf32>,
                 %X: index, %Y: index, %Z: index) {
  %c0 = arith.constant 0 : index
  %c10 = arith.constant 10 : index
  %c100 = arith.constant 100 : index
  tile.kernel "coordinates" grid(%X, %Y, %Z) {
  ^bb0(%x: index, %y: index, %z: index):
    %x100 = arith.muli %x, %c100 : index
    %y10 = arith.muli %y, %c10 : index
    %xy = arith.addi %x100, %y10 : index
    %xyz = arith.addi %xy, %z : index
    %i = arith.index_cast %xyz : index to i64
    %f = arith.sitofp %i : i64 to f32
    %t = tile.splat %f : f32 -> tensor<4xf32>
    tile.store %t, %out[%x, %y, %z, %c0] dims [3] : tensor<4xf32>, memref<?x?x?x4xf32>
  }
  tile.kernel "sums" grid(%X, %Y) {
  ^bb0(%x: index, %y: index):
    %a = tile.load %out[%x, %y, %c0, %c0] dims [2, 3] : memref<?x?x?x4xf32> -> tensor<3x4xf32>
    %s = tile.reduce add %a dim 0 : tensor<3x4xf32> -> tensor<4xf32>
    tile.store %s, %sums[%x, %y, %c0] dims [2] : tensor<4xf32>, memref<?x?x4xf32>
  }
  return
}
)mlir";

TEST_F(TileToLoopsTest, KernelsRunEveryProgramInOrder) {
  ASSERT_NO_FATAL_FAILURE(compile(kGrids));
  const int64_t X = 2, Y = 3, Z = 3;
  Buffer<float> out({X, Y, Z, 4}, -1), sums({X, Y, 4}, -1);
  int64_t x = X, y = Y, z = Z;
  std::vector<void *> args;
  out.pack(args);
  sums.pack(args);
  args.insert(args.end(), {&x, &y, &z});
  call("grids", args);
  for (int64_t i = 0; i < X; ++i)
    for (int64_t j = 0; j < Y; ++j) {
      for (int64_t k = 0; k < Z; ++k)
        for (int64_t l = 0; l < 4; ++l)
          EXPECT_EQ(out.at({i, j, k, l}), 100.0f * i + 10.0f * j + k)
              << where("out", {i, j, k, l});
      for (int64_t l = 0; l < 4; ++l)
        EXPECT_EQ(sums.at({i, j, l}), 300.0f * i + 30.0f * j + 3.0f)
            << where("sums", {i, j, l});
    }
}

} // namespace
