//===- StepEvaluator.cpp - A step body evaluated in float64 ---------------===//

#include "prism/Analysis/StepEvaluator.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
/// A scalar (shape {}), vector or matrix, row-major.
struct Val {
  std::vector<int64_t> shape;
  std::vector<double> data;
};

std::vector<int64_t> shapeOfType(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return std::vector<int64_t>(tensor.getShape().begin(),
                                tensor.getShape().end());
  return {};
}

Val elementwise(const Val &a, const Val &b, double (*f)(double, double)) {
  Val r{a.shape, a.data};
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = f(a.data[i], b.data[i]);
  return r;
}

Val unary(const Val &a, double (*f)(double)) {
  Val r{a.shape, a.data};
  for (double &x : r.data)
    x = f(x);
  return r;
}

/// Runs one step: `values` holds the block's arguments on entry.
bool runBody(StepOp step, llvm::DenseMap<Value, Val> &values,
             std::string &error) {
  for (Operation &op : step.getBodyBlock().without_terminator()) {
    auto in = [&](unsigned i) -> const Val & {
      return values[op.getOperand(i)];
    };
    Val result;
    result.shape = shapeOfType(op.getResult(0).getType());
    int64_t count = 1;
    for (int64_t d : result.shape)
      count *= d;
    bool ok = true;
    llvm::TypeSwitch<Operation *>(&op)
        .Case<arith::ConstantOp>([&](arith::ConstantOp c) {
          if (auto f = dyn_cast<FloatAttr>(c.getValue())) {
            result.data = {f.getValueAsDouble()};
          } else if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
            for (APFloat v : dense.getValues<APFloat>())
              result.data.push_back(v.convertToDouble());
            if (dense.isSplat())
              result.data.assign(count, result.data.front());
          } else {
            ok = false;
          }
        })
        .Case<arith::AddFOp>([&](auto) {
          result = elementwise(in(0), in(1),
                               [](double a, double b) { return a + b; });
        })
        .Case<arith::SubFOp>([&](auto) {
          result = elementwise(in(0), in(1),
                               [](double a, double b) { return a - b; });
        })
        .Case<arith::MulFOp>([&](auto) {
          result = elementwise(in(0), in(1),
                               [](double a, double b) { return a * b; });
        })
        .Case<arith::DivFOp>([&](auto) {
          result = elementwise(in(0), in(1),
                               [](double a, double b) { return a / b; });
        })
        .Case<arith::MaximumFOp, arith::MaxNumFOp>([&](auto) {
          result = elementwise(
              in(0), in(1), [](double a, double b) { return std::fmax(a, b); });
        })
        .Case<arith::MinimumFOp, arith::MinNumFOp>([&](auto) {
          result = elementwise(
              in(0), in(1), [](double a, double b) { return std::fmin(a, b); });
        })
        .Case<arith::NegFOp>(
            [&](auto) { result = unary(in(0), [](double a) { return -a; }); })
        .Case<math::TanhOp>([&](auto) { result = unary(in(0), std::tanh); })
        .Case<math::ExpOp>([&](auto) { result = unary(in(0), std::exp); })
        .Case<math::Exp2Op>([&](auto) { result = unary(in(0), std::exp2); })
        .Case<math::ExpM1Op>([&](auto) { result = unary(in(0), std::expm1); })
        .Case<math::LogOp>([&](auto) { result = unary(in(0), std::log); })
        .Case<math::Log2Op>([&](auto) { result = unary(in(0), std::log2); })
        .Case<math::Log1pOp>([&](auto) { result = unary(in(0), std::log1p); })
        .Case<math::SqrtOp>([&](auto) { result = unary(in(0), std::sqrt); })
        .Case<math::RsqrtOp>([&](auto) {
          result = unary(in(0), [](double a) { return 1.0 / std::sqrt(a); });
        })
        .Case<math::ErfOp>([&](auto) { result = unary(in(0), std::erf); })
        .Case<math::AbsFOp>([&](auto) { result = unary(in(0), std::fabs); })
        .Case<math::SinOp>([&](auto) { result = unary(in(0), std::sin); })
        .Case<math::CosOp>([&](auto) { result = unary(in(0), std::cos); })
        .Case<math::PowFOp>([&](auto) {
          result = elementwise(
              in(0), in(1), [](double a, double b) { return std::pow(a, b); });
        })
        .Case<MatvecOp>([&](MatvecOp m) {
          const Val &a = in(0), &x = in(1);
          int64_t rows = a.shape[0], cols = a.shape[1];
          result.data.assign(count, 0.0);
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) {
              double e = a.data[i * cols + j];
              if (m.getTranspose())
                result.data[j] += e * x.data[i];
              else
                result.data[i] += e * x.data[j];
            }
        })
        .Case<OuterOp>([&](auto) {
          const Val &a = in(0), &b = in(1);
          for (double x : a.data)
            for (double y : b.data)
              result.data.push_back(x * y);
        })
        .Case<DotOp>([&](auto) {
          double sum = 0;
          for (size_t i = 0; i < in(0).data.size(); ++i)
            sum += in(0).data[i] * in(1).data[i];
          result.data = {sum};
        })
        .Case<SplatOp>([&](auto) { result.data.assign(count, in(0).data[0]); })
        .Case<BroadcastOp>([&](BroadcastOp bc) {
          const Val &x = in(0);
          int64_t cols = result.shape[1];
          result.data.resize(count);
          for (int64_t i = 0; i < count; ++i)
            result.data[i] =
                bc.getDim() == 0 ? x.data[i % cols] : x.data[i / cols];
        })
        .Default([&](Operation *) { ok = false; });
    if (!ok) {
      error = "the float64 evaluator of step bodies does not know " +
              op.getName().getStringRef().str();
      return false;
    }
    values[op.getResult(0)] = std::move(result);
  }
  return true;
}
} // namespace

bool prism::evaluateStep(StepOp step, const StepArrays &arrays,
                         std::vector<double> &output,
                         std::vector<double> &finalState, std::string &error) {
  const std::vector<int64_t> &first = arrays.inputShapes.front();
  const int64_t batch = first[0], steps = first[1], heads = first[2];
  const int64_t v = step.getStateShape()[0], k = step.getStateShape()[1];
  const bool kv = step.getStateLayout() == StateLayout::kv;
  output.assign(batch * steps * heads * v, 0.0);
  finalState.assign(batch * heads * v * k, 0.0);
  auto yield = cast<YieldOp>(step.getBodyBlock().getTerminator());
  // Index of state entry (row i of V, column j of K) in the layout.
  auto stateIndex = [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    return ((b * heads + h) * (kv ? k : v) + (kv ? j : i)) * (kv ? v : k) +
           (kv ? i : j);
  };
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      Val state{{v, k}, std::vector<double>(v * k, 0.0)};
      if (arrays.initialState)
        for (int64_t i = 0; i < v; ++i)
          for (int64_t j = 0; j < k; ++j)
            state.data[i * k + j] = arrays.initialState(stateIndex(b, h, i, j));
      for (int64_t t = 0; t < steps; ++t) {
        llvm::DenseMap<Value, Val> values;
        values[step.getState()] = state;
        for (unsigned n = 0; n < arrays.inputShapes.size(); ++n) {
          const std::vector<int64_t> &shape = arrays.inputShapes[n];
          int64_t width = shape.size() == 4 ? shape[3] : 1;
          int64_t base = ((b * steps + t) * heads + h) * width;
          Val slice{shape.size() == 4 ? std::vector<int64_t>{width}
                                      : std::vector<int64_t>{},
                    {}};
          for (int64_t d = 0; d < width; ++d)
            slice.data.push_back(arrays.input(n, base + d));
          values[step.getSlice(n)] = std::move(slice);
        }
        if (!runBody(step, values, error))
          return false;
        state = values[yield.getState()];
        const Val &o = values[yield.getOutput()];
        for (int64_t i = 0; i < v; ++i)
          output[((b * steps + t) * heads + h) * v + i] = o.data[i];
      }
      for (int64_t i = 0; i < v; ++i)
        for (int64_t j = 0; j < k; ++j)
          finalState[stateIndex(b, h, i, j)] = state.data[i * k + j];
    }
  return true;
}
