//===- HostFloats.cpp - 16-bit floats in host code without libcalls -------===//
//
// The CPU backend's host code must run on every x86-64 (and build with every
// supported system's runtime library), not only on the build machine. Two
// places make LLVM call a runtime routine for 16-bit floats where the host
// CPU lacks the instructions:
// - f16 <-> f32 conversions without F16C: `__extendhfsf2`, `__truncsfhf2`.
//   prism-host-expand-f16 writes them as integer arithmetic (arith-expand
//   does the same for bf16).
// - bf16 or f16 values live across blocks (loop-carried loads, a load used
//   in a later block): the backend keeps them in f32 registers between
//   blocks and truncates them back with `__truncsfbf2` / `__truncsfhf2`.
//   prism-host-integer-storage retypes every 16-bit float of the LLVM
//   dialect host code (loads, stores, block arguments, constants) as i16,
//   so the LLVM IR holds no bfloat or half at all and no optimisation can
//   bring such a value back.
//
//===----------------------------------------------------------------------===//

#include "prism/Passes.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace prism {
#define GEN_PASS_DEF_HOSTEXPANDF16
#define GEN_PASS_DEF_HOSTINTEGERSTORAGE
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;

namespace {

/// `type` with its (scalar or vector) element type replaced by `element`.
Type withElement(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

/// An integer constant of `type` (iN or a vector of iN), every element
/// `value`.
Value intConst(OpBuilder &b, Location loc, Type type, uint64_t value) {
  auto element = cast<IntegerType>(getElementTypeOrSelf(type));
  auto attr = IntegerAttr::get(element, APInt(element.getWidth(), value));
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(b, loc, vector,
                                     DenseElementsAttr::get(vector, attr));
  return arith::ConstantOp::create(b, loc, element, attr);
}

/// An f32 constant of `type` (f32 or a vector of f32).
Value f32Const(OpBuilder &b, Location loc, Type type, float value) {
  auto attr = b.getF32FloatAttr(value);
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(b, loc, vector,
                                     DenseElementsAttr::get(vector, attr));
  return arith::ConstantOp::create(b, loc, b.getF32Type(), attr);
}

bool hasElement(Type type, Type element) {
  return getElementTypeOrSelf(type) == element;
}

/// arith.extf f16 -> f32: exact; subnormals scaled in f32 arithmetic.
struct ExpandExtF16 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type in = op.getIn().getType(), out = op.getType();
    if (!hasElement(in, rewriter.getF16Type()) ||
        !hasElement(out, rewriter.getF32Type()))
      return failure();
    Location loc = op.getLoc();
    Type i16 = withElement(in, rewriter.getI16Type());
    Type i32 = withElement(in, rewriter.getI32Type());
    auto c = [&](uint64_t v) { return intConst(rewriter, loc, i32, v); };
    Value h = arith::ExtUIOp::create(
        rewriter, loc, i32,
        arith::BitcastOp::create(rewriter, loc, i16, op.getIn()));
    Value sign = arith::ShLIOp::create(
        rewriter, loc, arith::AndIOp::create(rewriter, loc, h, c(0x8000)),
        c(16));
    Value exp = arith::AndIOp::create(
        rewriter, loc, arith::ShRUIOp::create(rewriter, loc, h, c(10)),
        c(0x1f));
    Value mant = arith::AndIOp::create(rewriter, loc, h, c(0x3ff));
    Value mantBits = arith::ShLIOp::create(rewriter, loc, mant, c(13));
    // Normal: rebias the exponent (127 - 15 = 112).
    Value normal = arith::OrIOp::create(
        rewriter, loc,
        arith::ShLIOp::create(rewriter, loc,
                              arith::AddIOp::create(rewriter, loc, exp, c(112)),
                              c(23)),
        mantBits);
    // Infinity and NaN keep their payload.
    Value special =
        arith::OrIOp::create(rewriter, loc, mantBits, c(0x7f800000));
    // Zero and subnormals: mant * 2^-24, exact in f32.
    Value scaled = arith::MulFOp::create(
        rewriter, loc, arith::UIToFPOp::create(rewriter, loc, out, mant),
        f32Const(rewriter, loc, out, 0x1p-24f));
    Value small = arith::BitcastOp::create(rewriter, loc, i32, scaled);
    Value bits = arith::SelectOp::create(
        rewriter, loc,
        arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, exp,
                              c(0)),
        small,
        arith::SelectOp::create(rewriter, loc,
                                arith::CmpIOp::create(rewriter, loc,
                                                      arith::CmpIPredicate::eq,
                                                      exp, c(0x1f)),
                                special, normal));
    bits = arith::OrIOp::create(rewriter, loc, bits, sign);
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, out, bits);
    return success();
  }
};

/// arith.truncf f32 -> f16, round to nearest even.
struct ExpandTruncF16 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type in = op.getIn().getType(), out = op.getType();
    if (!hasElement(in, rewriter.getF32Type()) ||
        !hasElement(out, rewriter.getF16Type()))
      return failure();
    if (op.getRoundingmode() &&
        *op.getRoundingmode() != arith::RoundingMode::to_nearest_even)
      return rewriter.notifyMatchFailure(op, "rounding mode is not RNE");
    Location loc = op.getLoc();
    Type i32 = withElement(in, rewriter.getI32Type());
    Type i16 = withElement(in, rewriter.getI16Type());
    auto c = [&](uint64_t v) { return intConst(rewriter, loc, i32, v); };
    auto cmp = [&](arith::CmpIPredicate p, Value a, uint64_t v) {
      return arith::CmpIOp::create(rewriter, loc, p, a, c(v));
    };
    Value u = arith::BitcastOp::create(rewriter, loc, i32, op.getIn());
    Value sign = arith::AndIOp::create(rewriter, loc, u, c(0x80000000u));
    Value a = arith::XOrIOp::create(rewriter, loc, u, sign);
    // |x| >= 2^16 overflows; a NaN stays a NaN, quiet, with the top bits of
    // its payload (as the oracle's conversion does).
    Value quiet = arith::OrIOp::create(
        rewriter, loc, arith::ShRUIOp::create(rewriter, loc, a, c(13)),
        c(0x7e00));
    Value large = arith::SelectOp::create(
        rewriter, loc, cmp(arith::CmpIPredicate::ugt, a, 0x7f800000u),
        arith::AndIOp::create(rewriter, loc, quiet, c(0x7fff)), c(0x7c00));
    // |x| < 2^-14: adding 0.5 leaves the f16 subnormal ulp (2^-24) as the
    // f32 ulp, so the f32 addition rounds to nearest even for us.
    Value half = f32Const(rewriter, loc, in, 0.5f);
    Value shifted = arith::AddFOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, in, a), half);
    Value small = arith::SubIOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, i32, shifted),
        c(0x3f000000u));
    // Normal: rebias (-112 << 23), then round half to even on bit 13.
    Value odd = arith::AndIOp::create(
        rewriter, loc, arith::ShRUIOp::create(rewriter, loc, a, c(13)), c(1));
    Value biased = arith::AddIOp::create(
        rewriter, loc, arith::AddIOp::create(rewriter, loc, a, c(0xc8000fffu)),
        odd);
    Value normal = arith::ShRUIOp::create(rewriter, loc, biased, c(13));
    Value bits = arith::SelectOp::create(
        rewriter, loc, cmp(arith::CmpIPredicate::uge, a, 0x47800000u), large,
        arith::SelectOp::create(rewriter, loc,
                                cmp(arith::CmpIPredicate::ult, a, 0x38800000u),
                                small, normal));
    bits = arith::OrIOp::create(
        rewriter, loc, bits,
        arith::ShRUIOp::create(rewriter, loc, sign, c(16)));
    Value narrow = arith::TruncIOp::create(rewriter, loc, i16, bits);
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, out, narrow);
    return success();
  }
};

struct HostExpandF16Pass : prism::impl::HostExpandF16Base<HostExpandF16Pass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandExtF16, ExpandTruncF16>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

/// True when `type` is or holds bf16 or f16 (a vector, an LLVM array).
bool holdsHalfWidthFloat(Type type) {
  bool found = false;
  type.walk([&](Type t) {
    if (t.isBF16() || t.isF16())
      found = true;
  });
  return found;
}

/// LLVM dialect ops that only move bits, so that retyping their 16-bit float
/// values as i16 keeps their meaning.
bool movesBitsOnly(Operation *op) {
  return isa<LLVM::LoadOp, LLVM::StoreOp, LLVM::GEPOp, LLVM::AllocaOp,
             LLVM::BitcastOp, LLVM::ConstantOp, LLVM::UndefOp, LLVM::PoisonOp,
             LLVM::ZeroOp, LLVM::SelectOp, LLVM::ExtractElementOp,
             LLVM::InsertElementOp, LLVM::ShuffleVectorOp, LLVM::ExtractValueOp,
             LLVM::InsertValueOp, LLVM::FreezeOp, LLVM::BrOp, LLVM::CondBrOp,
             LLVM::SwitchOp, LLVM::MaskedLoadOp, LLVM::MaskedStoreOp>(op);
}

struct HostIntegerStoragePass
    : prism::impl::HostIntegerStorageBase<HostIntegerStoragePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Anything that computes on a 16-bit float (rather than moving it) would
    // change meaning as i16: refuse it, naming the op.
    WalkResult check = module.walk([&](Operation *op) {
      if (movesBitsOnly(op))
        return WalkResult::advance();
      auto touches = [](TypeRange types) {
        return llvm::any_of(types, holdsHalfWidthFloat);
      };
      bool blockArgs = llvm::any_of(op->getRegions(), [&](Region &region) {
        return llvm::any_of(region, [&](Block &block) {
          return !block.isEntryBlock() && touches(block.getArgumentTypes());
        });
      });
      if (touches(op->getOperandTypes()) || touches(op->getResultTypes()) ||
          (blockArgs && !isa<LLVM::LLVMFuncOp>(op))) {
        mlir::emitError(op->getLoc())
            << "host code: '" << op->getName()
            << "' computes on a 16-bit float; expand it to f32 arithmetic "
               "first (arith-expand, prism-host-expand-f16)";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (check.wasInterrupted())
      return signalPassFailure();

    Type i16 = IntegerType::get(&getContext(), 16);
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](FloatType t) -> std::optional<Type> {
      if (t.isBF16() || t.isF16())
        return i16;
      return std::nullopt;
    });
    // Constants keep their bits.
    replacer.addReplacement(
        [&](FloatAttr a) -> std::optional<std::pair<Attribute, WalkResult>> {
          if (!a.getType().isBF16() && !a.getType().isF16())
            return std::nullopt;
          return std::make_pair(
              IntegerAttr::get(i16, a.getValue().bitcastToAPInt()),
              WalkResult::skip());
        });
    replacer.addReplacement(
        [&](DenseElementsAttr a)
            -> std::optional<std::pair<Attribute, WalkResult>> {
          Type element = a.getElementType();
          if (!element.isBF16() && !element.isF16())
            return std::nullopt;
          return std::make_pair(Attribute(a.bitcast(i16)), WalkResult::skip());
        });
    replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
    // Conversions between the float and its bits are now identities.
    module.walk([](LLVM::BitcastOp cast) {
      if (cast.getArg().getType() == cast.getType()) {
        cast.replaceAllUsesWith(cast.getArg());
        cast.erase();
      }
    });
  }
};

} // namespace
