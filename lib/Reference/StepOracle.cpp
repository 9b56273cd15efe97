//===- StepOracle.cpp - A step body evaluated in float64 ------------------===//

#include "prism/Reference/StepOracle.h"
#include "prism/Reference/Harness.h"

using namespace prism;
using namespace prism::ref;
using runtime::StepBody;
using runtime::StepInstr;
using runtime::StepOpInfo;
using runtime::StepOpKind;

namespace {
using Shape = std::vector<int64_t>;

std::string shapeText(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t count(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// The shape instruction `instr` gives from its arguments' `shapes`, or an
/// error message.
std::string resultShape(const StepInstr &instr, const StepOpInfo &info,
                        const std::vector<Shape> &shapes, int64_t v, int64_t k,
                        Shape &out) {
  auto arg = [&](int i) -> const Shape & { return shapes[instr.args[i]]; };
  const Shape vec_v = {v}, vec_k = {k}, matrix = {v, k};
  auto expect = [&](int i, const Shape &want, const char *what) {
    if (arg(i) == want)
      return std::string();
    return "argument " + std::to_string(i) + " must be " + what + " " +
           shapeText(want) + ", got " + shapeText(arg(i));
  };
  std::string why;
  switch (info.kind) {
  case StepOpKind::Unary:
    out = arg(0);
    return "";
  case StepOpKind::Binary:
    if (arg(0) != arg(1))
      return "arguments have shapes " + shapeText(arg(0)) + " and " +
             shapeText(arg(1));
    out = arg(0);
    return "";
  case StepOpKind::Constant: {
    out = instr.shape;
    size_t n = count(out);
    if (instr.values.size() != 1 && instr.values.size() != n)
      return "has " + std::to_string(instr.values.size()) +
             " values for shape " + shapeText(out);
    if (out.size() > 2 || (out.size() == 2 && out != matrix))
      return "shape " + shapeText(out) + " is not f32, a vector or V x K";
    return "";
  }
  case StepOpKind::Matvec:
    if (!(why = expect(0, matrix, "the matrix")).empty() ||
        !(why = expect(1, vec_k, "a K-vector")).empty())
      return why;
    out = vec_v;
    return "";
  case StepOpKind::MatvecT:
    if (!(why = expect(0, matrix, "the matrix")).empty() ||
        !(why = expect(1, vec_v, "a V-vector")).empty())
      return why;
    out = vec_k;
    return "";
  case StepOpKind::Outer:
    if (!(why = expect(0, vec_v, "a V-vector")).empty() ||
        !(why = expect(1, vec_k, "a K-vector")).empty())
      return why;
    out = matrix;
    return "";
  case StepOpKind::Dot:
    if (arg(0).size() != 1 || arg(0) != arg(1))
      return "arguments must be vectors of one length, got " +
             shapeText(arg(0)) + " and " + shapeText(arg(1));
    out = {};
    return "";
  case StepOpKind::Splat:
    if (!(why = expect(0, {}, "an f32")).empty())
      return why;
    out = instr.shape;
    if (out.empty() || out.size() > 2 || (out.size() == 2 && out != matrix))
      return "shape " + shapeText(out) + " is not a vector or V x K";
    return "";
  case StepOpKind::BroadcastRows:
    if (!(why = expect(0, vec_k, "a K-vector")).empty())
      return why;
    out = matrix;
    return "";
  case StepOpKind::BroadcastCols:
    if (!(why = expect(0, vec_v, "a V-vector")).empty())
      return why;
    out = matrix;
    return "";
  }
  return "unknown kind";
}

/// The instructions' infos, after validate().
std::vector<const StepOpInfo *> infosOf(const StepBody &body) {
  std::vector<const StepOpInfo *> infos;
  for (const StepInstr &instr : body.ops)
    infos.push_back(runtime::lookupStepOp(instr.op));
  return infos;
}

struct Val {
  Shape shape;
  std::vector<double> data;
};

/// One step: `values` holds the state and the inputs' slices on entry.
void runBody(const StepBody &body, const std::vector<const StepOpInfo *> &infos,
             std::vector<Val> &values) {
  for (size_t n = 0; n < body.ops.size(); ++n) {
    const StepInstr &instr = body.ops[n];
    const StepOpInfo &info = *infos[n];
    auto in = [&](int i) -> const Val & { return values[instr.args[i]]; };
    Val r;
    switch (info.kind) {
    case StepOpKind::Unary:
      r = in(0);
      for (double &x : r.data)
        x = info.unary(x);
      break;
    case StepOpKind::Binary:
      r = in(0);
      for (size_t i = 0; i < r.data.size(); ++i)
        r.data[i] = info.binary(r.data[i], in(1).data[i]);
      break;
    case StepOpKind::Constant:
      r.shape = instr.shape;
      r.data = instr.values;
      if (r.data.size() == 1)
        r.data.assign(count(r.shape), instr.values[0]);
      break;
    case StepOpKind::Matvec:
    case StepOpKind::MatvecT: {
      const Val &m = in(0), &x = in(1);
      int64_t rows = m.shape[0], cols = m.shape[1];
      bool t = info.kind == StepOpKind::MatvecT;
      r.shape = {t ? cols : rows};
      r.data.assign(r.shape[0], 0.0);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          double e = m.data[i * cols + j];
          if (t)
            r.data[j] += e * x.data[i];
          else
            r.data[i] += e * x.data[j];
        }
      break;
    }
    case StepOpKind::Outer:
      r.shape = {in(0).shape[0], in(1).shape[0]};
      for (double a : in(0).data)
        for (double b : in(1).data)
          r.data.push_back(a * b);
      break;
    case StepOpKind::Dot: {
      double sum = 0;
      for (size_t i = 0; i < in(0).data.size(); ++i)
        sum += in(0).data[i] * in(1).data[i];
      r.data = {sum};
      break;
    }
    case StepOpKind::Splat:
      r.shape = instr.shape;
      r.data.assign(count(r.shape), in(0).data[0]);
      break;
    case StepOpKind::BroadcastRows:
    case StepOpKind::BroadcastCols: {
      const Val &x = in(0);
      r.shape = instr.shape;
      int64_t cols = r.shape[1];
      r.data.resize(count(r.shape));
      for (int64_t i = 0; i < static_cast<int64_t>(r.data.size()); ++i)
        r.data[i] = info.kind == StepOpKind::BroadcastRows ? x.data[i % cols]
                                                           : x.data[i / cols];
      break;
    }
    }
    values.push_back(std::move(r));
  }
}
} // namespace

std::string prism::ref::validate(const StepProblem &p) {
  if (p.B < 0 || p.T < 0 || p.H < 1 || p.K < 1 || p.V < 1)
    return "sizes must be B, T >= 0 and H, K, V >= 1";
  if (p.inputs.size() != p.inputShapes.size())
    return "inputs and input shapes differ in number";
  std::vector<Shape> shapes = {{p.V, p.K}};
  for (size_t n = 0; n < p.inputs.size(); ++n) {
    const Shape &shape = p.inputShapes[n];
    std::string name = "input " + std::to_string(n);
    if (shape.size() != 3 && shape.size() != 4)
      return name + " must be [B, T, H] or [B, T, H, D], got " +
             shapeText(shape);
    if (shape[0] != p.B || shape[1] != p.T || shape[2] != p.H)
      return name + " has shape " + shapeText(shape) + ", expected [" +
             std::to_string(p.B) + ", " + std::to_string(p.T) + ", " +
             std::to_string(p.H) + (shape.size() == 4 ? ", D]" : "]");
    if (shape.size() == 4 && shape[3] < 1)
      return name + " has an empty last dimension";
    if (static_cast<int64_t>(p.inputs[n].size()) != count(shape))
      return name + " has " + std::to_string(p.inputs[n].size()) +
             " values for shape " + shapeText(shape);
    shapes.push_back(shape.size() == 4 ? Shape{shape[3]} : Shape{});
  }
  if (!p.initialState.empty() &&
      static_cast<int64_t>(p.initialState.size()) != p.B * p.H * p.K * p.V)
    return "initial state has " + std::to_string(p.initialState.size()) +
           " values, expected B * H * K * V";
  for (size_t n = 0; n < p.body.ops.size(); ++n) {
    const StepInstr &instr = p.body.ops[n];
    std::string where =
        "step instruction " + std::to_string(n) + " ('" + instr.op + "'): ";
    const StepOpInfo *info = runtime::lookupStepOp(instr.op);
    if (!info)
      return where + "unknown op";
    if (static_cast<int>(instr.args.size()) != info->arity)
      return where + "takes " + std::to_string(info->arity) +
             " arguments, got " + std::to_string(instr.args.size());
    for (int64_t a : instr.args)
      if (a < 0 || a >= static_cast<int64_t>(shapes.size()))
        return where + "argument " + std::to_string(a) +
               " is not an earlier value (0 .. " +
               std::to_string(shapes.size() - 1) + ")";
    Shape shape;
    std::string why = resultShape(instr, *info, shapes, p.V, p.K, shape);
    if (!why.empty())
      return where + why;
    if (shape != instr.shape)
      return where + "gives " + shapeText(shape) + " but declares " +
             shapeText(instr.shape);
    shapes.push_back(shape);
  }
  auto yielded = [&](int64_t value, const Shape &want, const char *what) {
    if (value < 0 || value >= static_cast<int64_t>(shapes.size()))
      return std::string("the yielded ") + what + " " + std::to_string(value) +
             " is not a value of the body";
    if (shapes[value] != want)
      return std::string("the yielded ") + what + " has shape " +
             shapeText(shapes[value]) + ", expected " + shapeText(want);
    return std::string();
  };
  std::string why = yielded(p.body.state, {p.V, p.K}, "state");
  if (why.empty())
    why = yielded(p.body.output, {p.V}, "output");
  return why;
}

bool prism::ref::evaluateStep(const StepProblem &p, Result &result,
                              std::string &error) {
  error = validate(p);
  if (!error.empty())
    return false;
  const int64_t v = p.V, k = p.K;
  const bool kv = p.stateLayout == StateLayout::KV;
  result.output.assign(p.B * p.T * p.H * v, 0.0);
  result.finalState.assign(p.B * p.H * v * k, 0.0);
  // Entry (row i of V, column j of K) of (b, h)'s state in the layout.
  auto stateIndex = [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    return ((b * p.H + h) * (kv ? k : v) + (kv ? j : i)) * (kv ? v : k) +
           (kv ? i : j);
  };
  std::vector<const StepOpInfo *> infos = infosOf(p.body);
  std::vector<Val> values;
  for (int64_t b = 0; b < p.B; ++b)
    for (int64_t h = 0; h < p.H; ++h) {
      Val state{{v, k}, std::vector<double>(v * k, 0.0)};
      if (!p.initialState.empty())
        for (int64_t i = 0; i < v; ++i)
          for (int64_t j = 0; j < k; ++j)
            state.data[i * k + j] = p.initialState[stateIndex(b, h, i, j)];
      for (int64_t t = 0; t < p.T; ++t) {
        values.clear();
        values.push_back(state);
        for (size_t n = 0; n < p.inputs.size(); ++n) {
          const Shape &shape = p.inputShapes[n];
          int64_t width = shape.size() == 4 ? shape[3] : 1;
          int64_t base = ((b * p.T + t) * p.H + h) * width;
          Val slice{shape.size() == 4 ? Shape{width} : Shape{},
                    std::vector<double>(p.inputs[n].begin() + base,
                                        p.inputs[n].begin() + base + width)};
          values.push_back(std::move(slice));
        }
        runBody(p.body, infos, values);
        state = values[p.body.state];
        const Val &o = values[p.body.output];
        std::copy(o.data.begin(), o.data.end(),
                  result.output.begin() + ((b * p.T + t) * p.H + h) * v);
      }
      for (int64_t i = 0; i < v; ++i)
        for (int64_t j = 0; j < k; ++j)
          result.finalState[stateIndex(b, h, i, j)] = state.data[i * k + j];
    }
  return true;
}

bool prism::ref::evaluateStepOracle(
    const runtime::Manifest &manifest, const Case &input,
    const std::function<std::vector<double>(int)> &read,
    std::vector<std::vector<double>> &expected, std::string &error) {
  const runtime::Recurrence &r = manifest.recurrence;
  if (!r.step) {
    error = "the recurrence has no step body";
    return false;
  }
  auto named = [&](int index, const std::string &what) {
    return what + " buffer '" + manifest.buffers[index].name + "'";
  };
  StepProblem p;
  p.H = r.heads;
  p.K = r.keyDim;
  p.V = r.valueDim;
  p.stateLayout = r.stateLayout == "vk" ? StateLayout::VK : StateLayout::KV;
  p.body = *r.step;
  const std::vector<int64_t> &first = input.buffers[r.inputs.front()].shape;
  if (first.size() < 3) {
    error = named(r.inputs.front(), "input") + " must be [B, T, H, ...]";
    return false;
  }
  p.B = first[0];
  p.T = first[1];
  for (int index : r.inputs) {
    p.inputShapes.push_back(input.buffers[index].shape);
    p.inputs.push_back(read(index));
  }
  const Shape state = p.stateLayout == StateLayout::KV
                          ? Shape{p.B, p.H, p.K, p.V}
                          : Shape{p.B, p.H, p.V, p.K};
  auto expectShape = [&](int index, const Shape &want, const char *what) {
    if (index < 0 || input.buffers[index].shape == want)
      return true;
    error = named(index, what) + " has shape " +
            shapeText(input.buffers[index].shape) + ", expected " +
            shapeText(want);
    return false;
  };
  if (!expectShape(r.initialState, state, "initial state") ||
      !expectShape(r.output, {p.B, p.T, p.H, p.V}, "output") ||
      !expectShape(r.finalState, state, "final state"))
    return false;
  if (r.initialState >= 0)
    p.initialState = read(r.initialState);
  Result result;
  if (!evaluateStep(p, result, error))
    return false;
  expected[r.output] = std::move(result.output);
  if (r.finalState >= 0)
    expected[r.finalState] = std::move(result.finalState);
  return true;
}
