//===- Harness.cpp - Inputs, oracle and checks from a manifest ------------===//
//
// The harness turns a manifest's recurrence description into oracle problems.
// Every value the oracle reads goes through HostBuffer::get, i.e. after
// rounding to the buffer's dtype, so the oracle and the device see the same
// numbers and the comparison measures only the program's own error.
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Harness.h"
#include "prism/Reference/Float.h"
#include "prism/Reference/Oracle.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

using namespace prism;
using namespace prism::ref;
using runtime::DType;
using runtime::Manifest;
using runtime::Recurrence;
using runtime::Role;

//===----------------------------------------------------------------------===//
// HostBuffer
//===----------------------------------------------------------------------===//

namespace {

template <typename T> T loadLE(const uint8_t *p) {
  std::make_unsigned_t<T> bits = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    bits |= static_cast<std::make_unsigned_t<T>>(p[i]) << (8 * i);
  return static_cast<T>(bits);
}

template <typename T> void storeLE(uint8_t *p, T value) {
  auto bits = static_cast<std::make_unsigned_t<T>>(value);
  for (size_t i = 0; i < sizeof(T); ++i)
    p[i] = static_cast<uint8_t>(bits >> (8 * i));
}

template <typename T> T toInteger(double value) {
  if (!std::isfinite(value))
    return 0;
  double lo = static_cast<double>(std::numeric_limits<T>::min());
  double hi = static_cast<double>(std::numeric_limits<T>::max());
  return static_cast<T>(std::clamp(std::nearbyint(value), lo, hi));
}

} // namespace

int64_t HostBuffer::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double HostBuffer::get(int64_t i) const {
  const uint8_t *p = bytes.data() + i * runtime::dtypeSize(dtype);
  switch (dtype) {
  case DType::F32:
    return bitsToFloat(loadLE<uint32_t>(p));
  case DType::F16:
    return f16ToFloat(loadLE<uint16_t>(p));
  case DType::BF16:
    return bf16ToFloat(loadLE<uint16_t>(p));
  case DType::I32:
    return static_cast<double>(loadLE<int32_t>(p));
  case DType::I64:
    return static_cast<double>(loadLE<int64_t>(p));
  }
  return 0;
}

void HostBuffer::set(int64_t i, double value) {
  uint8_t *p = bytes.data() + i * runtime::dtypeSize(dtype);
  switch (dtype) {
  case DType::F32:
    // The default floating-point environment rounds to nearest even.
    storeLE<uint32_t>(p, floatBits(static_cast<float>(value)));
    return;
  case DType::F16:
    storeLE<uint16_t>(p, doubleToF16(value));
    return;
  case DType::BF16:
    storeLE<uint16_t>(p, doubleToBF16(value));
    return;
  case DType::I32:
    storeLE<int32_t>(p, toInteger<int32_t>(value));
    return;
  case DType::I64:
    storeLE<int64_t>(p, toInteger<int64_t>(value));
    return;
  }
}

//===----------------------------------------------------------------------===//
// Manifest checks shared by makeCase and evaluateOracle
//===----------------------------------------------------------------------===//

namespace {

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16;
}

/// Checks that every buffer index of the recurrence is in range (or -1 where
/// optional) and names a floating-point buffer.
bool checkReferences(const Manifest &m, std::string &error) {
  const Recurrence &r = m.recurrence;
  const int n = static_cast<int>(m.buffers.size());
  auto check = [&](int index, const char *what, bool optional) {
    if (optional && index == -1)
      return true;
    if (index < 0 || index >= n) {
      error = std::string("recurrence ") + what + " refers to buffer " +
              std::to_string(index) + " of " + std::to_string(n);
      return false;
    }
    if (!isFloat(m.buffers[index].dtype)) {
      error = std::string("recurrence ") + what + " buffer '" +
              m.buffers[index].name + "' is not a floating-point buffer";
      return false;
    }
    return true;
  };
  auto checkAll = [&](const std::vector<int> &indices, const char *what) {
    for (int index : indices)
      if (!check(index, what, false))
        return false;
    return true;
  };
  // A state-dependent step has no query; its inputs are the body's.
  const bool step = r.step.has_value();
  if (step != (r.forget == "step")) {
    error = "recurrence forget 'step' and a step body go together";
    return false;
  }
  if (!check(r.query, "query", step) || !checkAll(r.inputs, "inputs") ||
      !check(r.logDecay, "log_decay", true) ||
      !check(r.eraseKey, "erase_key", true) ||
      !check(r.eraseStrength, "erase_strength", true) ||
      !checkAll(r.keys, "keys") || !checkAll(r.values, "values") ||
      !checkAll(r.injectGates, "inject_gates") ||
      !check(r.initialState, "initial_state", true) ||
      !check(r.output, "output", false) ||
      !check(r.finalState, "final_state", true))
    return false;
  if (r.refine && (!check(r.refine->anchor, "refine.anchor", false) ||
                   !check(r.refine->value, "refine.value", false) ||
                   !checkAll(r.refine->gains, "refine.gains")))
    return false;
  for (const runtime::ShortConv &conv : r.shortConvs)
    if (!check(conv.input, "short_convs.input", false) ||
        !check(conv.weight, "short_convs.weight", false) ||
        !check(conv.bias, "short_convs.bias", true) ||
        !check(conv.cache, "short_convs.cache", true) ||
        !check(conv.output, "short_convs.output", false))
      return false;
  if (m.buffers[r.output].role != Role::Output) {
    error = "recurrence output buffer '" + m.buffers[r.output].name +
            "' does not have role output";
    return false;
  }
  if (r.finalState >= 0 && m.buffers[r.finalState].role != Role::Output) {
    error = "recurrence final_state buffer '" + m.buffers[r.finalState].name +
            "' does not have role output";
    return false;
  }
  for (const runtime::ShortConv &conv : r.shortConvs)
    if (m.buffers[conv.output].role == Role::Input) {
      // The program would overwrite a caller's input.
      error = "short conv output buffer '" + m.buffers[conv.output].name +
              "' has role input";
      return false;
    }
  return true;
}

//===----------------------------------------------------------------------===//
// Input distributions
//===----------------------------------------------------------------------===//

/// What a buffer is used for, in increasing priority: a buffer with several
/// uses is drawn for the highest one. The erase key ranks first because its
/// constraint (unit norm) is what keeps the delta forget contractive.
enum class Use {
  Unused,        // N(0, 1)
  Value,         // values, refine anchor/value, conv inputs and caches: N(0,1)
  ConvBias,      // N(0, 0.1)
  ConvWeight,    // N(0, 1) / sqrt(W)
  InitialState,  // N(0, 0.1)
  Gain,          // N(1, 0.5)
  Key,           // queries and keys: N(0, 1), then unit norm per row
  InjectGate,    // sigmoid(N(0, 1))
  EraseStrength, // sigmoid(N(0, 1)) * erase_beta_max
  LogDecay,      // log(sigmoid(N(0, 1) + 4))
  EraseKey,      // unit norm, or raw N(0, 1) when the kernel normalises
};

std::vector<Use> classify(const Manifest &m) {
  const Recurrence &r = m.recurrence;
  std::vector<Use> uses(m.buffers.size(), Use::Unused);
  auto mark = [&](int index, Use use) {
    if (index >= 0)
      uses[index] = std::max(uses[index], use);
  };
  mark(r.query, Use::Key);
  for (int index : r.keys)
    mark(index, Use::Key);
  for (int index : r.values)
    mark(index, Use::Value);
  for (int index : r.injectGates)
    mark(index, Use::InjectGate);
  mark(r.logDecay, Use::LogDecay);
  mark(r.eraseKey, Use::EraseKey);
  mark(r.eraseStrength, Use::EraseStrength);
  mark(r.initialState, Use::InitialState);
  if (r.refine) {
    mark(r.refine->anchor, Use::Value);
    mark(r.refine->value, Use::Value);
    for (int index : r.refine->gains)
      mark(index, Use::Gain);
  }
  for (const runtime::ShortConv &conv : r.shortConvs) {
    mark(conv.input, Use::Value);
    mark(conv.weight, Use::ConvWeight);
    mark(conv.bias, Use::ConvBias);
    mark(conv.cache, Use::Value);
  }
  return uses;
}

/// A normal generator with a fixed algorithm (Box-Muller on mt19937_64, whose
/// output sequence the standard fixes): std::normal_distribution differs
/// between standard libraries, and a case must be the same everywhere.
class Normal {
public:
  explicit Normal(uint64_t seed) : engine(seed) {}
  double operator()() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    double u1 = uniform(), u2 = uniform();
    double radius = std::sqrt(-2.0 * std::log(u1));
    double angle = 6.283185307179586476925 * u2; // 2 pi
    spare = radius * std::sin(angle);
    hasSpare = true;
    return radius * std::cos(angle);
  }

private:
  /// Uniform in (0, 1), never 0 (log above) nor 1.
  double uniform() { return ((engine() >> 11) + 0.5) * 0x1.0p-53; }

  std::mt19937_64 engine;
  double spare = 0;
  bool hasSpare = false;
};

/// One stream per buffer, so that adding a buffer to a manifest does not
/// change what the others draw.
uint64_t bufferSeed(uint64_t seed, size_t index) {
  // splitmix64 of the pair.
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// log(sigmoid(x)) without cancellation for large x.
double logSigmoid(double x) {
  return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

/// The length of the buffer's rows: its last dimension (1 for a scalar).
int64_t rowWidth(const HostBuffer &buffer) {
  return buffer.shape.empty() ? 1 : buffer.shape.back();
}

/// Draws elements [begin, end) of `buffer` for `use` from `normal`. `begin`
/// and `end` are multiples of the row width where rows are drawn.
void fillRange(HostBuffer &buffer, int64_t begin, int64_t end, Use use,
               const Recurrence &r, int64_t convWidth, Normal &normal) {
  auto drawEach = [&](auto draw) {
    for (int64_t i = begin; i < end; ++i)
      buffer.set(i, draw());
  };
  // Draws in (0, high) after rounding; a gate that rounds to exactly 0 or to
  // the bound would test a degenerate case the distribution does not mean.
  auto drawOpen = [&](double high) {
    for (int64_t i = begin; i < end; ++i) {
      do
        buffer.set(i, high * sigmoid(normal()));
      while (!(buffer.get(i) > 0 && buffer.get(i) < high));
    }
  };
  // N(0, 1) rows along the last dimension, scaled to unit norm before
  // rounding.
  auto drawUnitRows = [&]() {
    const int64_t width = rowWidth(buffer);
    std::vector<double> row(width);
    for (int64_t start = begin; start + width <= end && width > 0;
         start += width) {
      double norm = 0;
      for (double &x : row) {
        x = normal();
        norm += x * x;
      }
      norm = std::sqrt(norm);
      for (int64_t i = 0; i < width; ++i)
        buffer.set(start + i, row[i] / norm);
    }
  };

  switch (use) {
  case Use::Unused:
  case Use::Value:
    drawEach([&] { return normal(); });
    return;
  case Use::ConvBias:
  case Use::InitialState:
    drawEach([&] { return 0.1 * normal(); });
    return;
  case Use::ConvWeight:
    drawEach(
        [&] { return normal() / std::sqrt(static_cast<double>(convWidth)); });
    return;
  case Use::Gain:
    drawEach([&] { return 1.0 + 0.5 * normal(); });
    return;
  case Use::Key:
    drawUnitRows();
    return;
  case Use::InjectGate:
    drawOpen(1.0);
    return;
  case Use::EraseStrength:
    drawOpen(r.eraseBetaMax);
    return;
  case Use::LogDecay:
    drawEach([&] { return logSigmoid(normal() + 4.0); });
    return;
  case Use::EraseKey:
    if (r.normalizeEraseKey)
      drawEach([&] { return normal(); });
    else
      drawUnitRows();
    return;
  }
}

/// Fills an input buffer from the stream `seed`. A buffer of at most
/// kBlockElements elements is one stream, drawn in order; a larger one (the
/// benchmarks' inputs: tens of millions of elements) is cut into blocks of
/// whole rows, each its own stream (`bufferSeed(seed, block)`), drawn on
/// several threads. Either way the values depend only on the seed and the
/// shape, never on the thread count.
void fill(HostBuffer &buffer, Use use, const Recurrence &r, int64_t convWidth,
          uint64_t seed) {
  constexpr int64_t kBlockElements = int64_t(1) << 20;
  const int64_t n = buffer.numElements();
  if (n <= kBlockElements) {
    Normal normal(seed);
    fillRange(buffer, 0, n, use, r, convWidth, normal);
    return;
  }
  const int64_t width = std::max<int64_t>(1, rowWidth(buffer));
  const int64_t block = std::max<int64_t>(1, kBlockElements / width) * width;
  const int64_t blocks = (n + block - 1) / block;
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i; (i = next.fetch_add(1)) < blocks;) {
      Normal normal(bufferSeed(seed, static_cast<size_t>(i)));
      fillRange(buffer, i * block, std::min(n, (i + 1) * block), use, r,
                convWidth, normal);
    }
  };
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(
      std::min<int64_t>(std::min<unsigned>(threads, 32), blocks));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
}

} // namespace

bool prism::ref::makeCase(const Manifest &manifest,
                          const runtime::Bindings &bindings, uint64_t seed,
                          Case &result, std::string &error) {
  for (const runtime::Buffer &buffer : manifest.buffers)
    for (const runtime::Dim &dim : buffer.shape) {
      if (dim.isStatic())
        continue;
      if (dim.isExpr) {
        int64_t size;
        std::string why;
        if (!runtime::evaluate(runtime::Expr{dim.symbol}, bindings, size,
                               why) ||
            size < 0) {
          error = "buffer '" + buffer.name +
                  "': " + (why.empty() ? "negative size " + dim.symbol : why);
          return false;
        }
        continue;
      }
      auto it = bindings.find(dim.symbol);
      if (it == bindings.end()) {
        error = "buffer '" + buffer.name + "': symbol '" + dim.symbol +
                "' is not bound";
        return false;
      }
      if (it->second < 0) {
        error = "symbol '" + dim.symbol + "' is bound to a negative size";
        return false;
      }
    }
  if (!checkReferences(manifest, error))
    return false;

  const Recurrence &r = manifest.recurrence;
  // The width W of the conv each weight buffer belongs to.
  std::vector<int64_t> convWidth(manifest.buffers.size(), 1);
  for (const runtime::ShortConv &conv : r.shortConvs) {
    std::vector<int64_t> shape =
        runtime::concreteShape(manifest, conv.weight, bindings);
    if (!shape.empty() && shape.back() > 0)
      convWidth[conv.weight] = shape.back();
  }

  std::vector<Use> uses = classify(manifest);
  result.bindings = bindings;
  result.buffers.assign(manifest.buffers.size(), HostBuffer());
  for (size_t i = 0; i < manifest.buffers.size(); ++i) {
    const runtime::Buffer &desc = manifest.buffers[i];
    HostBuffer &buffer = result.buffers[i];
    buffer.dtype = desc.dtype;
    buffer.shape =
        runtime::concreteShape(manifest, static_cast<int>(i), bindings);
    buffer.bytes.assign(buffer.numElements() * runtime::dtypeSize(desc.dtype),
                        0);
    switch (desc.role) {
    case Role::Workspace:
      break; // Sized, zero; the program owns its contents.
    case Role::Output:
      for (int64_t e = 0, n = buffer.numElements(); e < n; ++e)
        buffer.set(e, std::numeric_limits<double>::quiet_NaN());
      break;
    case Role::Input: {
      fill(buffer, uses[i], r, convWidth[i], bufferSeed(seed, i));
      break;
    }
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Oracle
//===----------------------------------------------------------------------===//

namespace {

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// Reads the case's buffers as doubles, with conv results standing in for the
/// buffers the convs write.
class Values {
public:
  Values(const Manifest &m, const Case &c)
      : m(m), c(c), cache(c.buffers.size()), loaded(c.buffers.size(), false) {}

  const std::vector<double> &operator[](int index) {
    if (!loaded[index]) {
      const HostBuffer &buffer = c.buffers[index];
      std::vector<double> &values = cache[index];
      values.resize(buffer.numElements());
      for (int64_t i = 0, n = buffer.numElements(); i < n; ++i)
        values[i] = buffer.get(i);
      loaded[index] = true;
    }
    return cache[index];
  }

  /// A computed buffer, rounded to its dtype as the device would store it.
  void setComputed(int index, const std::vector<double> &values) {
    HostBuffer rounded;
    rounded.dtype = m.buffers[index].dtype;
    rounded.shape = {static_cast<int64_t>(values.size())};
    rounded.bytes.resize(values.size() * runtime::dtypeSize(rounded.dtype));
    cache[index].resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      rounded.set(i, values[i]);
      cache[index][i] = rounded.get(i);
    }
    loaded[index] = true;
  }

  const std::vector<int64_t> &shape(int index) const {
    return c.buffers[index].shape;
  }

  bool expectShape(int index, const std::vector<int64_t> &shape,
                   const char *what, std::string &error) const {
    if (c.buffers[index].shape == shape)
      return true;
    error = std::string(what) + " buffer '" + m.buffers[index].name +
            "' has shape " + shapeString(c.buffers[index].shape) +
            ", expected " + shapeString(shape);
    return false;
  }

private:
  const Manifest &m;
  const Case &c;
  std::vector<std::vector<double>> cache;
  std::vector<bool> loaded;
};

bool runShortConv(const Manifest &m, const runtime::ShortConv &conv,
                  Values &values, std::vector<std::vector<double>> &expected,
                  std::string &error) {
  // Input [B, T, channels...]; the channels flatten into one axis because the
  // convolution is depthwise and every tensor is channel-contiguous.
  const std::vector<int64_t> &xShape = values.shape(conv.input);
  if (xShape.size() < 3) {
    error = "short conv input buffer '" + m.buffers[conv.input].name +
            "' must be [B, T, H, D]";
    return false;
  }
  std::vector<int64_t> channels(xShape.begin() + 2, xShape.end());
  const std::vector<int64_t> &wShape = values.shape(conv.weight);
  if (wShape.empty()) {
    error = "short conv weight must be [H, D, W]";
    return false;
  }
  ShortConvProblem problem;
  problem.B = xShape[0];
  problem.T = xShape[1];
  problem.H = 1;
  problem.D = 1;
  for (int64_t c : channels)
    problem.D *= c;
  problem.W = wShape.back();

  std::vector<int64_t> expectW = channels;
  expectW.push_back(problem.W);
  std::vector<int64_t> expectCache = {problem.B, problem.W - 1};
  expectCache.insert(expectCache.end(), channels.begin(), channels.end());
  if (!values.expectShape(conv.weight, expectW, "short conv weight", error) ||
      (conv.bias >= 0 &&
       !values.expectShape(conv.bias, channels, "short conv bias", error)) ||
      (conv.cache >= 0 && !values.expectShape(conv.cache, expectCache,
                                              "short conv cache", error)) ||
      !values.expectShape(conv.output, xShape, "short conv output", error))
    return false;

  if (conv.activation == "silu")
    problem.activation = ConvActivation::Silu;
  else if (conv.activation == "none" || conv.activation.empty())
    problem.activation = ConvActivation::None;
  else {
    error = "unknown short conv activation '" + conv.activation + "'";
    return false;
  }
  problem.x = values[conv.input];
  problem.weight = values[conv.weight];
  if (conv.bias >= 0)
    problem.bias = values[conv.bias];
  if (conv.cache >= 0)
    problem.cache = values[conv.cache];

  std::vector<double> y;
  if (!evaluateShortConv(problem, y, error))
    return false;
  values.setComputed(conv.output, y);
  if (m.buffers[conv.output].role == Role::Output)
    expected[conv.output] = y;
  return true;
}

} // namespace

bool prism::ref::evaluateOracle(const Manifest &manifest, const Case &input,
                                std::vector<std::vector<double>> &expected,
                                std::string &error) {
  if (input.buffers.size() != manifest.buffers.size()) {
    error = "case has " + std::to_string(input.buffers.size()) +
            " buffers, manifest " + std::to_string(manifest.buffers.size());
    return false;
  }
  for (size_t i = 0; i < input.buffers.size(); ++i) {
    const HostBuffer &buffer = input.buffers[i];
    if (buffer.dtype != manifest.buffers[i].dtype ||
        static_cast<int64_t>(buffer.bytes.size()) !=
            buffer.numElements() *
                static_cast<int64_t>(runtime::dtypeSize(buffer.dtype))) {
      error = "case buffer '" + manifest.buffers[i].name +
              "' does not match its dtype and shape";
      return false;
    }
  }
  if (!checkReferences(manifest, error))
    return false;

  expected.assign(manifest.buffers.size(), {});
  const Recurrence &r = manifest.recurrence;
  Values values(manifest, input);
  for (const runtime::ShortConv &conv : r.shortConvs)
    if (!runShortConv(manifest, conv, values, expected, error))
      return false;
  if (r.step)
    return evaluateStepOracle(
        manifest, input, [&](int index) { return values[index]; }, expected,
        error);

  Problem p;
  const std::vector<int64_t> &qShape = values.shape(r.query);
  if (qShape.size() != 4) {
    error = "query buffer '" + manifest.buffers[r.query].name +
            "' must be [B, T, H, K]";
    return false;
  }
  p.B = qShape[0];
  p.T = qShape[1];
  p.H = r.heads;
  p.K = r.keyDim;
  p.V = r.valueDim;
  p.L = r.rank;
  p.scale = r.scale;
  const std::vector<int64_t> bth = {p.B, p.T, p.H};
  const std::vector<int64_t> bthk = {p.B, p.T, p.H, p.K};
  const std::vector<int64_t> bthv = {p.B, p.T, p.H, p.V};
  if (!values.expectShape(r.query, bthk, "query", error))
    return false;

  if (r.forget == "identity")
    p.forget = Forget::Identity;
  else if (r.forget == "scalar")
    p.forget = Forget::Scalar;
  else if (r.forget == "diagonal")
    p.forget = Forget::Diagonal;
  else if (r.forget == "delta")
    p.forget = Forget::Delta;
  else {
    error = "unknown forget family '" + r.forget + "'";
    return false;
  }

  if (r.stateLayout == "kv")
    p.stateLayout = StateLayout::KV;
  else if (r.stateLayout == "vk")
    p.stateLayout = StateLayout::VK;
  else {
    error = "unknown state layout '" + r.stateLayout + "'";
    return false;
  }
  const std::vector<int64_t> stateShape =
      p.stateLayout == StateLayout::KV
          ? std::vector<int64_t>{p.B, p.H, p.K, p.V}
          : std::vector<int64_t>{p.B, p.H, p.V, p.K};

  if (static_cast<int>(r.keys.size()) != r.rank) {
    error = "recurrence has rank " + std::to_string(r.rank) + " but " +
            std::to_string(r.keys.size()) + " keys";
    return false;
  }
  p.q = values[r.query];
  for (int index : r.keys) {
    if (!values.expectShape(index, bthk, "key", error))
      return false;
    p.keys.push_back(values[index]);
  }

  if (r.refine) {
    if (!r.values.empty()) {
      error = "recurrence has both values and refine";
      return false;
    }
    p.refine = true;
    if (r.refine->activation == "gelu")
      p.refineActivation = RefineActivation::Gelu;
    else if (r.refine->activation == "identity")
      p.refineActivation = RefineActivation::Identity;
    else {
      error = "unknown refine activation '" + r.refine->activation + "'";
      return false;
    }
    if (!values.expectShape(r.refine->anchor, bthv, "refine anchor", error) ||
        !values.expectShape(r.refine->value, bthv, "refine value", error))
      return false;
    p.anchor = values[r.refine->anchor];
    p.refineValue = values[r.refine->value];
    for (int index : r.refine->gains) {
      if (!values.expectShape(index, bthv, "refine gain", error))
        return false;
      p.gains.push_back(values[index]);
    }
  } else {
    for (int index : r.values) {
      if (!values.expectShape(index, bthv, "value", error))
        return false;
      p.values.push_back(values[index]);
    }
  }
  for (int index : r.injectGates) {
    if (!values.expectShape(index, bth, "inject gate", error))
      return false;
    p.injectGates.push_back(values[index]);
  }

  if (r.logDecay >= 0) {
    if (!values.expectShape(r.logDecay,
                            p.forget == Forget::Diagonal ? bthk : bth,
                            "log decay", error))
      return false;
    p.logDecay = values[r.logDecay];
  }
  if (p.forget == Forget::Delta) {
    if (r.eraseKey < 0 || r.eraseStrength < 0) {
      error = "delta forget needs erase_key and erase_strength";
      return false;
    }
    if (!values.expectShape(r.eraseKey, bthk, "erase key", error) ||
        !values.expectShape(r.eraseStrength, bth, "erase strength", error))
      return false;
    p.eraseKey = values[r.eraseKey];
    p.eraseStrength = values[r.eraseStrength];
    p.normalizeEraseKey = r.normalizeEraseKey;
  } else if (r.eraseKey >= 0 || r.eraseStrength >= 0) {
    error = "erase_key/erase_strength given for forget '" + r.forget + "'";
    return false;
  }
  if (r.initialState >= 0) {
    if (!values.expectShape(r.initialState, stateShape, "initial state", error))
      return false;
    p.initialState = values[r.initialState];
  }
  if (!values.expectShape(r.output, bthv, "output", error) ||
      (r.finalState >= 0 &&
       !values.expectShape(r.finalState, stateShape, "final state", error)))
    return false;

  Result result;
  if (!evaluate(p, result, error))
    return false;
  expected[r.output] = std::move(result.output);
  if (r.finalState >= 0)
    expected[r.finalState] = std::move(result.finalState);
  return true;
}
