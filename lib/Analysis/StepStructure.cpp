//===- StepStructure.cpp - A step body as structured ops ------------------===//
//
// Expands the next state symbolically into
//
//   S_{t-1} (sum_i c_i T_i) + sum_j c_j d_j k_j^T,   T_i in {I, diag(x), a w^T}
//
// where every c is a monomial (a constant times scalars of the body) and
// every vector a value of the body, then reads the forget family and the
// injection's slots off the terms. The expansion follows the same rules as
// StepForm.cpp's key-linear form, restricted to what the structured ops
// can take: parameters that are inputs (or exp of inputs), not vectors
// computed in the body.
//
//===----------------------------------------------------------------------===//

#include "prism/Analysis/StepStructure.h"
#include "prism/Analysis/StepForm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
/// A constant times a product of scalar values of the body.
struct Mono {
  double constant = 1.0;
  SmallVector<Value> factors;

  Mono operator*(const Mono &other) const {
    Mono m{constant * other.constant, factors};
    m.factors.append(other.factors.begin(), other.factors.end());
    llvm::sort(m.factors, [](Value a, Value b) {
      return a.getAsOpaquePointer() < b.getAsOpaquePointer();
    });
    return m;
  }
  Mono negated() const { return Mono{-constant, factors}; }
  bool isOne() const { return constant == 1.0 && factors.empty(); }
};

enum class TermKind { identity, diagonal, outer };

/// c S T, T = I, diag(vec), or left right^T.
struct ForgetTerm {
  Mono coef;
  TermKind kind;
  Value vec, left, right;
};

/// c d k^T.
struct InjectTerm {
  Mono coef;
  Value value, key;
};

struct MatrixTerms {
  SmallVector<ForgetTerm> forget;
  SmallVector<InjectTerm> inject;
};

/// S (sum c a) + sum c b for a V-vector.
struct VectorTerms {
  SmallVector<std::pair<Mono, Value>> state, free;
};

class Expander {
public:
  explicit Expander(StepOp step) : step(step) {
    dependent.insert(step.getState());
    for (Operation &op : step.getBodyBlock())
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return dependent.contains(v); }))
        dependent.insert(op.result_begin(), op.result_end());
  }

  std::string reason;

  FailureOr<Mono> uniform(Value f) {
    if (auto splat = f.getDefiningOp<SplatOp>()) {
      FloatAttr c;
      if (matchPattern(splat.getScalar(), m_Constant(&c)))
        return Mono{c.getValueAsDouble(), {}};
      return Mono{1.0, {splat.getScalar()}};
    }
    DenseElementsAttr constant;
    if (matchPattern(f, m_Constant(&constant)) && constant.isSplat())
      return Mono{constant.getSplatValue<APFloat>().convertToDouble(), {}};
    if (auto mul = f.getDefiningOp<arith::MulFOp>()) {
      FailureOr<Mono> a = uniform(mul.getLhs()), b = uniform(mul.getRhs());
      if (succeeded(a) && succeeded(b))
        return *a * *b;
    }
    if (auto neg = f.getDefiningOp<arith::NegFOp>()) {
      FailureOr<Mono> a = uniform(neg.getOperand());
      if (succeeded(a))
        return a->negated();
    }
    return fail("the factor " + describe(f) +
                " is not a product of scalars and constants");
  }

  /// uniform() without a reason on failure.
  FailureOr<Mono> uniformQuiet(Value f) {
    std::string saved = reason;
    FailureOr<Mono> c = uniform(f);
    reason = saved;
    return c;
  }

  FailureOr<MatrixTerms> matrix(Value m) {
    if (m == step.getState())
      return MatrixTerms{{ForgetTerm{Mono{}, TermKind::identity, {}, {}, {}}},
                         {}};
    Operation *op = m.getDefiningOp();
    if (!dependent.contains(m)) {
      MatrixTerms terms;
      if (failed(injection(m, terms.inject)))
        return failure();
      return terms;
    }
    if (isa<arith::AddFOp, arith::SubFOp>(op)) {
      FailureOr<MatrixTerms> a = matrix(op->getOperand(0)),
                             b = matrix(op->getOperand(1));
      if (failed(a) || failed(b))
        return failure();
      bool sub = isa<arith::SubFOp>(op);
      for (ForgetTerm t : b->forget)
        a->forget.push_back(sub ? negate(t) : t);
      for (InjectTerm t : b->inject)
        a->inject.push_back(sub ? InjectTerm{t.coef.negated(), t.value, t.key}
                                : t);
      return a;
    }
    if (auto neg = dyn_cast<arith::NegFOp>(op)) {
      FailureOr<MatrixTerms> a = matrix(neg.getOperand());
      if (failed(a))
        return failure();
      for (ForgetTerm &t : a->forget)
        t = negate(t);
      for (InjectTerm &t : a->inject)
        t.coef = t.coef.negated();
      return a;
    }
    if (auto mul = dyn_cast<arith::MulFOp>(op)) {
      bool lhs = dependent.contains(mul.getLhs());
      Value factor = lhs ? mul.getRhs() : mul.getLhs();
      FailureOr<MatrixTerms> a = matrix(lhs ? mul.getLhs() : mul.getRhs());
      if (failed(a))
        return failure();
      if (auto rows = factor.getDefiningOp<BroadcastOp>()) {
        // S A diag(x): only S diag(x) is a family's (the diagonal decay).
        if (a->forget.size() != 1 || a->forget[0].kind != TermKind::identity ||
            !a->inject.empty())
          return fail("a K-vector decay (" + describe(factor) +
                      ") multiplies more than the state itself");
        a->forget[0].kind = TermKind::diagonal;
        a->forget[0].vec = rows.getInput();
        return a;
      }
      FailureOr<Mono> c = uniform(factor);
      if (failed(c))
        return failure();
      for (ForgetTerm &t : a->forget)
        t.coef = t.coef * *c;
      for (InjectTerm &t : a->inject)
        t.coef = t.coef * *c;
      return a;
    }
    if (auto outer = dyn_cast<OuterOp>(op)) {
      FailureOr<VectorTerms> x = vector(outer.getLhs());
      if (failed(x))
        return failure();
      MatrixTerms terms;
      for (auto &[c, a] : x->state)
        terms.forget.push_back(
            ForgetTerm{c, TermKind::outer, {}, a, outer.getRhs()});
      for (auto &[c, d] : x->free)
        terms.inject.push_back(InjectTerm{c, d, outer.getRhs()});
      return terms;
    }
    return fail("the state's update " + describe(m) +
                " is not a sum of scaled states and outer products");
  }

  FailureOr<VectorTerms> vector(Value x) {
    Operation *op = x.getDefiningOp();
    // A free vector that is not a scaled sum stays whole (a value computed
    // in the body, which the structured ops cannot take as a slot value).
    if (!dependent.contains(x) &&
        !isa_and_nonnull<arith::AddFOp, arith::SubFOp, arith::NegFOp,
                         arith::MulFOp>(op))
      return VectorTerms{{}, {{Mono{}, x}}};
    if (auto matvec = dyn_cast<MatvecOp>(op)) {
      FailureOr<MatrixTerms> m = matrix(matvec.getMatrix());
      if (failed(m))
        return failure();
      VectorTerms terms;
      for (ForgetTerm &t : m->forget) {
        if (t.kind != TermKind::identity)
          return fail(describe(x) + " reads the state after a forget other "
                                    "than a scalar decay");
        terms.state.push_back({t.coef, matvec.getVector()});
      }
      if (!m->inject.empty())
        return fail(describe(x) + " reads the injection back");
      return terms;
    }
    if (isa<arith::AddFOp, arith::SubFOp>(op)) {
      FailureOr<VectorTerms> a = vector(op->getOperand(0)),
                             b = vector(op->getOperand(1));
      if (failed(a) || failed(b))
        return failure();
      bool sub = isa<arith::SubFOp>(op);
      for (auto [c, v] : b->state)
        a->state.push_back({sub ? c.negated() : c, v});
      for (auto [c, v] : b->free)
        a->free.push_back({sub ? c.negated() : c, v});
      return a;
    }
    if (auto neg = dyn_cast<arith::NegFOp>(op)) {
      FailureOr<VectorTerms> a = vector(neg.getOperand());
      if (failed(a))
        return failure();
      for (auto &entry :
           llvm::concat<std::pair<Mono, Value>>(a->state, a->free))
        entry.first = entry.first.negated();
      return a;
    }
    if (auto mul = dyn_cast<arith::MulFOp>(op)) {
      // The factor: the free, uniform side (for a free product, whichever
      // side is uniform).
      bool lhs = dependent.contains(mul.getLhs()) ||
                 (!dependent.contains(mul.getRhs()) &&
                  succeeded(uniformQuiet(mul.getRhs())));
      if (!dependent.contains(x) &&
          failed(uniformQuiet(lhs ? mul.getRhs() : mul.getLhs())))
        return VectorTerms{{}, {{Mono{}, x}}};
      FailureOr<VectorTerms> a = vector(lhs ? mul.getLhs() : mul.getRhs());
      FailureOr<Mono> c = uniform(lhs ? mul.getRhs() : mul.getLhs());
      if (failed(a) || failed(c))
        return failure();
      for (auto &entry :
           llvm::concat<std::pair<Mono, Value>>(a->state, a->free))
        entry.first = entry.first * *c;
      return a;
    }
    return fail(describe(x) + " is not a sum of scaled reads of the state");
  }

  /// A free matrix as a sum of scaled outer products.
  LogicalResult injection(Value m, SmallVector<InjectTerm> &terms) {
    Operation *op = m.getDefiningOp();
    if (auto outer = dyn_cast_or_null<OuterOp>(op)) {
      FailureOr<VectorTerms> values = vector(outer.getLhs());
      if (failed(values))
        return failure();
      for (auto &[c, d] : values->free)
        terms.push_back(InjectTerm{c, d, outer.getRhs()});
      return success();
    }
    if (isa_and_nonnull<arith::AddFOp, arith::SubFOp>(op)) {
      if (failed(injection(op->getOperand(0), terms)))
        return failure();
      size_t second = terms.size();
      if (failed(injection(op->getOperand(1), terms)))
        return failure();
      if (isa<arith::SubFOp>(op))
        for (size_t i = second; i < terms.size(); ++i)
          terms[i].coef = terms[i].coef.negated();
      return success();
    }
    if (auto mul = dyn_cast_or_null<arith::MulFOp>(op)) {
      for (auto [matrixSide, factorSide] :
           {std::pair{mul.getLhs(), mul.getRhs()},
            std::pair{mul.getRhs(), mul.getLhs()}}) {
        SmallVector<InjectTerm> inner;
        std::string saved = reason;
        if (failed(injection(matrixSide, inner))) {
          reason = saved;
          continue;
        }
        FailureOr<Mono> c = uniform(factorSide);
        if (failed(c))
          return failure();
        for (InjectTerm &t : inner)
          t.coef = t.coef * *c;
        terms.append(inner.begin(), inner.end());
        return success();
      }
    }
    return fail("the injection " + describe(m) +
                " is not a sum of scaled outer products");
  }

private:
  static ForgetTerm negate(ForgetTerm t) {
    t.coef = t.coef.negated();
    return t;
  }
  std::string describe(Value v) const { return describeStepValue(step, v); }
  LogicalResult fail(std::string why) {
    if (reason.empty())
      reason = std::move(why);
    return failure();
  }

  StepOp step;
  llvm::DenseSet<Value> dependent;
};

/// Input index of a slice argument of the body.
std::optional<unsigned> sliceIndex(StepOp step, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &step.getBodyBlock() || arg.getArgNumber() == 0)
    return std::nullopt;
  return arg.getArgNumber() - 1;
}

/// The value of a constant: an f32, a splat tensor, or a splat of one.
std::optional<double> constantValue(Value v) {
  if (auto splat = v.getDefiningOp<SplatOp>())
    return constantValue(splat.getScalar());
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(c.getValue()))
    return f.getValueAsDouble();
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      dense && dense.isSplat())
    return dense.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

bool near(std::optional<double> x, double want) {
  return x && std::abs(*x - want) <= 1e-6 * std::abs(want);
}

/// The factors of a product tree of arith.mulf, constants multiplied into
/// `constant`.
void factorsOf(Value v, SmallVectorImpl<Value> &factors, double &constant) {
  if (std::optional<double> c = constantValue(v)) {
    constant *= *c;
    return;
  }
  if (auto mul = v.getDefiningOp<arith::MulFOp>()) {
    factorsOf(mul.getLhs(), factors, constant);
    factorsOf(mul.getRhs(), factors, constant);
    return;
  }
  factors.push_back(v);
}

/// A product's non-constant factors (in a fixed order) and its constant.
struct Product {
  SmallVector<Value> factors;
  double constant = 1.0;
  bool operator==(const Product &o) const {
    return factors == o.factors &&
           std::abs(constant - o.constant) <= 1e-12 * std::abs(o.constant);
  }
};
Product productOf(Value v, double constant = 1.0) {
  Product p;
  p.constant = constant;
  factorsOf(v, p.factors, p.constant);
  llvm::sort(p.factors, [](Value a, Value b) {
    return a.getAsOpaquePointer() < b.getAsOpaquePointer();
  });
  return p;
}

/// x where the product `p` is gelu(x) = x (1 + erf(x / sqrt 2)) / 2, the
/// sum in either order, x / sqrt 2 as a product or a quotient, and x itself
/// a product.
std::optional<Product> geluArgument(const Product &p) {
  for (auto [i, sum] : llvm::enumerate(p.factors)) {
    auto add = sum.getDefiningOp<arith::AddFOp>();
    if (!add)
      continue;
    for (auto [one, erfValue] : {std::pair{add.getLhs(), add.getRhs()},
                                 std::pair{add.getRhs(), add.getLhs()}}) {
      auto erf = erfValue.getDefiningOp<math::ErfOp>();
      if (!erf || !near(constantValue(one), 1.0))
        continue;
      // x from the other factors (times 2), and from inside the erf.
      Product x;
      x.constant = 2.0 * p.constant;
      for (auto [j, f] : llvm::enumerate(p.factors))
        if (j != i)
          x.factors.push_back(f);
      Value y = erf.getOperand();
      Product inner;
      if (auto div = y.getDefiningOp<arith::DivFOp>()) {
        std::optional<double> c = constantValue(div.getRhs());
        if (!c || *c == 0.0)
          continue;
        inner = productOf(div.getLhs(), M_SQRT2 / *c);
      } else {
        inner = productOf(y, M_SQRT2);
      }
      if (inner.factors == x.factors &&
          std::abs(inner.constant - x.constant) <= 1e-6 * std::abs(x.constant))
        return x;
    }
  }
  return std::nullopt;
}

/// The refinement write path (prism-math.md section 3) in the injection
/// values d_1 .. d_L, each `values[l]` times the constant `constants[l]` of
/// its term: r_1 = v - u, d_l = phi(p_l r_l), r_{l+1} = r_l - d_l, with u,
/// v and the gains p_l inputs and phi GELU (erf form) or the identity, the
/// same for every l.
std::optional<StepRefine> matchRefine(StepOp step, ArrayRef<Value> values,
                                      ArrayRef<double> constants) {
  StepRefine refine;
  Value residual; // r_l
  Product previous;
  std::optional<Activation> activation;
  for (auto [l, d] : llvm::enumerate(values)) {
    Product delta = productOf(d, constants[l]);
    Product x = delta;
    Activation phi = Activation::identity;
    if (std::optional<Product> arg = geluArgument(delta)) {
      phi = Activation::gelu;
      x = *arg;
    }
    if ((activation && *activation != phi) || x.factors.size() != 2 ||
        !near(x.constant, 1.0))
      return std::nullopt;
    activation = phi;
    bool found = false;
    for (auto [p, r] : {std::pair{x.factors[0], x.factors[1]},
                        std::pair{x.factors[1], x.factors[0]}}) {
      std::optional<unsigned> gain = sliceIndex(step, p);
      auto sub = r.getDefiningOp<arith::SubFOp>();
      if (!gain || !sub)
        continue;
      if (l == 0) {
        std::optional<unsigned> value = sliceIndex(step, sub.getLhs());
        std::optional<unsigned> anchor = sliceIndex(step, sub.getRhs());
        if (!value || !anchor)
          continue;
        refine.value = *value;
        refine.anchor = *anchor;
      } else if (sub.getLhs() != residual ||
                 !(productOf(sub.getRhs()) == previous)) {
        continue;
      }
      refine.gains.push_back(*gain);
      residual = r;
      found = true;
      break;
    }
    if (!found)
      return std::nullopt;
    previous = delta;
  }
  refine.activation = *activation;
  return refine;
}

/// Input index of g where `v` is exp(g_t) of a slice.
std::optional<unsigned> expOfSlice(StepOp step, Value v) {
  auto exp = v.getDefiningOp<math::ExpOp>();
  return exp ? sliceIndex(step, exp.getOperand()) : std::nullopt;
}
} // namespace

std::optional<StepStructure> prism::matchStepStructure(StepOp step,
                                                       std::string &reason) {
  Expander expander(step);
  auto yield = cast<YieldOp>(step.getBodyBlock().getTerminator());
  FailureOr<MatrixTerms> next = expander.matrix(yield.getState());
  auto fail = [&](std::string why) -> std::optional<StepStructure> {
    reason = expander.reason.empty() ? std::move(why) : expander.reason;
    return std::nullopt;
  };
  if (failed(next))
    return fail("");
  auto describe = [&](Value v) { return describeStepValue(step, v); };
  const int64_t k = step.getStateShape()[1];
  auto keySlice = [&](Value v) -> std::optional<unsigned> {
    std::optional<unsigned> index = sliceIndex(step, v);
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!index || !type || type.getShape() != ArrayRef<int64_t>{k})
      return std::nullopt;
    return index;
  };

  StepStructure result;
  // The forget: c I, diag(exp(g)), or c I - c beta w w^T.
  SmallVector<ForgetTerm> &forget = next->forget;
  auto gateOf = [&](const Mono &c) -> std::optional<std::optional<unsigned>> {
    if (c.isOne())
      return std::optional<unsigned>();
    if (c.constant == 1.0 && c.factors.size() == 1)
      if (std::optional<unsigned> g = expOfSlice(step, c.factors[0]))
        return g;
    return std::nullopt;
  };
  const char *families = "; the structured forgets are I, exp(g_t) I, "
                         "diag(exp(g_t)) and exp(g_t) (I - beta_t w_t "
                         "w_t^T) with g, beta, w inputs";
  if (forget.size() == 1 && forget[0].kind == TermKind::identity) {
    std::optional<std::optional<unsigned>> gate = gateOf(forget[0].coef);
    if (!gate)
      return fail(std::string("the state's decay is not exp of an input") +
                  families);
    result.family = *gate ? ForgetFamily::scalar : ForgetFamily::identity;
    result.logDecay = *gate;
  } else if (forget.size() == 1 && forget[0].kind == TermKind::diagonal) {
    std::optional<unsigned> g = expOfSlice(step, forget[0].vec);
    if (!forget[0].coef.isOne() || !g)
      return fail("the state's decay " + describe(forget[0].vec) +
                  " is not exp of an input" + families);
    result.family = ForgetFamily::diagonal;
    result.logDecay = g;
  } else if (forget.size() == 2 && forget[0].kind != forget[1].kind &&
             forget[0].kind != TermKind::diagonal &&
             forget[1].kind != TermKind::diagonal) {
    ForgetTerm &scaled =
        forget[0].kind == TermKind::identity ? forget[0] : forget[1];
    ForgetTerm &erase =
        forget[0].kind == TermKind::outer ? forget[0] : forget[1];
    std::optional<std::optional<unsigned>> gate = gateOf(scaled.coef);
    std::optional<unsigned> w = keySlice(erase.left);
    // erase.coef = -scaled.coef * beta.
    SmallVector<Value> rest(erase.coef.factors);
    for (Value f : scaled.coef.factors) {
      auto it = llvm::find(rest, f);
      if (it == rest.end())
        break;
      rest.erase(it);
    }
    std::optional<unsigned> beta =
        rest.size() == 1 ? sliceIndex(step, rest[0]) : std::nullopt;
    if (!gate || !w || erase.left != erase.right ||
        erase.coef.constant != -scaled.coef.constant ||
        rest.size() + scaled.coef.factors.size() != erase.coef.factors.size() ||
        !beta)
      return fail(std::string("the forget is not exp(g_t) (I - beta_t w_t "
                              "w_t^T) with g, beta and w inputs") +
                  families);
    result.family = ForgetFamily::delta;
    result.logDecay = *gate;
    result.eraseKey = *w;
    result.strength = *beta;
  } else {
    return fail(std::string("the forget has ") + std::to_string(forget.size()) +
                " terms of no structured family" + families);
  }

  // The injection: sum_l beta_l d_l k_l^T with inputs d, k, beta.
  if (next->inject.empty())
    return fail("the state receives no injection");
  // Values computed in the body are taken when they are the refinement
  // write path's, all of them in order.
  SmallVector<Value> values;
  SmallVector<double> constants;
  for (InjectTerm &term : next->inject) {
    values.push_back(term.value);
    constants.push_back(term.coef.constant);
  }
  if (llvm::any_of(values,
                   [&](Value v) { return !sliceIndex(step, v).has_value(); }))
    result.refine = matchRefine(step, values, constants);
  for (InjectTerm &term : next->inject) {
    std::optional<unsigned> key = keySlice(term.key);
    std::optional<unsigned> value = result.refine
                                        ? std::optional<unsigned>(0)
                                        : sliceIndex(step, term.value);
    if (!key || !value)
      return fail("the injection's value " + describe(term.value) +
                  " and key " + describe(term.key) +
                  " must be inputs (recurrence.inject takes sequences) or "
                  "the refinement write path's deltas");
    std::optional<unsigned> gate;
    // The refinement took the term's constant into its delta.
    if (result.refine)
      term.coef.constant = 1.0;
    if (!term.coef.isOne()) {
      if (term.coef.constant == 1.0 && term.coef.factors.size() == 1)
        gate = sliceIndex(step, term.coef.factors[0]);
      if (!gate)
        return fail("the injection term " + describe(term.value) + " " +
                    describe(term.key) +
                    "^T is scaled by something other than one input");
    }
    result.slots.push_back(StepSlot{*key, *value, gate});
  }
  bool gated = result.slots.front().gate.has_value();
  for (StepSlot &slot : result.slots)
    if (slot.gate.has_value() != gated)
      return fail("some injection terms have a gate and some do not");

  // The readout: o_t = scale * S_t q_t.
  Value out = yield.getOutput();
  double scale = 1.0;
  if (auto mul = out.getDefiningOp<arith::MulFOp>()) {
    for (auto [product, factor] : {std::pair{mul.getLhs(), mul.getRhs()},
                                   std::pair{mul.getRhs(), mul.getLhs()}}) {
      FailureOr<Mono> c = expander.uniform(factor);
      if (product.getDefiningOp<MatvecOp>() && succeeded(c) &&
          c->factors.empty()) {
        scale = c->constant;
        out = product;
        break;
      }
    }
  }
  auto readout = out.getDefiningOp<MatvecOp>();
  std::optional<unsigned> query =
      readout ? keySlice(readout.getVector()) : std::nullopt;
  if (!readout || readout.getTranspose() ||
      readout.getMatrix() != yield.getState() || !query)
    return fail("the output is not scale * S_t q_t with q an input and "
                "scale a constant");
  if (!(scale > 0.0))
    return fail("the output's scale must be positive");
  result.query = *query;
  result.scale = scale;
  return result;
}
