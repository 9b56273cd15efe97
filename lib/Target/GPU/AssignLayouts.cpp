//===- AssignLayouts.cpp - Where every tile of a GPU kernel lives ---------===//
//
// The first step of the GPU target mapping: every tile of a kernel gets a
// layout (tilegpu), every product and solve reads its operands from shared
// memory, and tiles that two ops want in different layouts move through
// shared memory. The schedule decided what is computed; this pass decides,
// for the GPU, where each tile is held:
//
// - a kernel with products is laid out around the mma.sync accumulators:
//   every 2-d f32 tile takes the mma layout of its shape (rows of 16 dealt
//   to the warps), so that elementwise work, masks and row reductions act on
//   the accumulators where the products leave them;
// - a kernel without products (the sequential walk, the short convolution)
//   takes blocked layouts: for the sequential schedule, rows of the state
//   split over `k_split` lanes (`rows` of them a lane), as its schedule
//   says;
// - a 1-d tile takes the layout its users want: the rows or columns of the
//   2-d layout it is broadcast into (a slice), so broadcasts move nothing;
// - products, solves and cumulative sums work in shared memory (their
//   operands are stored there once per value), and reductions never cross
//   warps;
// - a kernel whose tiles cannot be held in registers at the schedule's warps
//   gets more warps (the tree's K x K transitions at K = 128).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Dialect/Recurrence/RecurrenceOps.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Dialect/TileGPU/TileGPUOps.h"
#include "prism/Passes.h"
#include "prism/Target/GPUTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace prism {
#define GEN_PASS_DEF_TILEGPUASSIGNLAYOUTS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::tilegpu;

namespace {

RankedTensorType tileTypeOf(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

int64_t largestPow2Dividing(int64_t n, int64_t limit) {
  int64_t p = 1;
  while (p * 2 <= limit && n % (p * 2) == 0)
    p *= 2;
  return p;
}

/// The layout decisions for one kernel.
class KernelLayouts {
public:
  KernelLayouts(tile::KernelOp kernel, int64_t warps,
                recurrence::ScheduleAttr schedule)
      : kernel(kernel), warps(warps), schedule(schedule),
        ctx(kernel.getContext()) {
    kernel.walk([&](Operation *op) {
      if (isa<tile::DotOp, tile::DecayDotOp, tile::TriSolveOp>(op))
        withProducts = true;
    });
  }

  LogicalResult run();

private:
  /// The layout every 2-d tile of `shape` takes in this kernel.
  Attribute canonical(ArrayRef<int64_t> shape);
  /// The layout a value should be produced in, from its users.
  Attribute preferred(Value v);
  /// The same, null when no user asks for one.
  Attribute wanted(Value v, int depth);
  /// `v` in layout `layout`: itself, a register copy, or through shared
  /// memory (memoized per value and layout).
  Value convert(Value v, Attribute layout);
  /// A shared buffer holding `v` (memoized per value; the truncation of a
  /// value already held at the narrower type is that buffer).
  Value sharedCopy(Value v, Type elem = Type());
  /// tile.tri_solve: tilegpu.tri_solve with 16-bit operands, an inverse and
  /// a product in f32.
  LogicalResult assignSolve(tile::TriSolveOp solve);
  /// A shared buffer of `shape` and `elem`, allocated after `v`'s
  /// definition; the builder is left after it.
  Value allocAfter(OpBuilder &b, Value v, ArrayRef<int64_t> shape, Type elem);

  LogicalResult assign(Operation *op);
  LogicalResult assignElementwise(Operation *op);
  void setLayout(Value v, Attribute layout) {
    v.setType(withLayout(tileTypeOf(v), layout));
  }
  /// Every tile of the kernel has a layout that fits it.
  LogicalResult verifyLayouts();
  Attribute layoutOf(Value v) { return tileTypeOf(v).getEncoding(); }

  tile::KernelOp kernel;
  int64_t warps;
  recurrence::ScheduleAttr schedule;
  MLIRContext *ctx;
  bool withProducts = false;
  DenseMap<std::pair<Value, Attribute>, Value> converted;
  DenseMap<std::pair<Value, Type>, Value> shared;
  /// The op after which each shared copy holds its value.
  DenseMap<Value, Operation *> written;
  /// The factor of each solved L: the inverses of its diagonal blocks
  /// (16-bit), or the whole inverse (f32).
  DenseMap<Value, Value> factors;
};

Attribute KernelLayouts::canonical(ArrayRef<int64_t> shape) {
  if (shape.size() == 1)
    return blockedLayout(ctx, shape, {1}, warps);
  int64_t m = shape[0], n = shape[1];
  if (withProducts && m % 16 == 0 && n % 8 == 0) {
    int64_t wm = largestPow2Dividing(m / 16, warps);
    int64_t wn = largestPow2Dividing(n / 8, warps / wm);
    return MmaAttr::get(ctx, {wm, wn});
  }
  // Without products: the sequential schedule's rows (k_split lanes a row,
  // `rows` rows a lane), else rows of 16-byte pieces.
  int64_t perRow = std::min<int64_t>(n, 4), rows = 1;
  // (the walk of a scan or of a state-dependent step body).
  if (schedule && schedule.getKind() == recurrence::ScheduleKind::sequential &&
      (kernel.getName() == "scan" || kernel.getName() == "step")) {
    int64_t split = std::max<int64_t>(1, schedule.getKSplit());
    perRow = std::max<int64_t>(1, n / split);
    rows = std::max<int64_t>(1, schedule.getRows());
  }
  while (m % rows)
    rows /= 2;
  while (n % perRow)
    perRow /= 2;
  return blockedLayout(ctx, shape, {rows, perRow}, warps);
}

Attribute KernelLayouts::preferred(Value v) {
  if (Attribute a = wanted(v, 0))
    return a;
  return canonical(tileTypeOf(v).getShape());
}

Attribute KernelLayouts::wanted(Value v, int depth) {
  RankedTensorType type = tileTypeOf(v);
  if (type.getRank() == 2) {
    // A 16-bit tile read from memory loads best as rows of 16-byte pieces;
    // where products or math want it elsewhere it goes through the shared
    // copy that the products read anyway.
    if (v.getDefiningOp<tile::LoadOp>() &&
        type.getElementType().getIntOrFloatBitWidth() == 16) {
      int64_t piece = std::min<int64_t>(type.getDimSize(1), 8);
      while (type.getDimSize(1) % piece)
        piece /= 2;
      return blockedLayout(ctx, type.getShape(), {1, piece}, warps);
    }
    return canonical(type.getShape());
  }
  // A value reached through the loops that carry it may have its layout
  // already (a loop's carried tile takes its initial value's).
  if (depth > 0 && type.getEncoding())
    return type.getEncoding();
  if (depth < 8)
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto bcast = dyn_cast<tile::BroadcastOp>(user))
        return SliceAttr::get(
            ctx, bcast.getDim(),
            canonical(bcast.getResult().getType().getShape()));
      // Through the branches and loops that carry it (a load issued an
      // iteration early): where the carried value goes.
      if (isa<scf::YieldOp>(user)) {
        Operation *parent = user->getParentOp();
        unsigned n = use.getOperandNumber();
        Value carried = parent->getResult(n);
        if (auto loop = dyn_cast<scf::ForOp>(parent))
          carried = loop.getRegionIterArgs()[n];
        if (Attribute a = wanted(carried, depth + 1))
          return a;
        continue;
      }
      if (auto loop = dyn_cast<scf::ForOp>(user)) {
        unsigned n = use.getOperandNumber() - loop.getNumControlOperands();
        if (Attribute a = wanted(loop.getRegionIterArgs()[n], depth + 1))
          return a;
        continue;
      }
      if (isa<tile::CumsumOp>(user) ||
          (user->getNumResults() == 1 &&
           user->getResult(0).getType() == v.getType()) ||
          (isa<arith::ExtFOp, arith::TruncFOp>(user)))
        if (Attribute a = wanted(user->getResult(0), depth + 1))
          return a;
    }
  return Attribute();
}

Value KernelLayouts::allocAfter(OpBuilder &b, Value v, ArrayRef<int64_t> shape,
                                Type elem) {
  if (Operation *def = v.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
  return AllocOp::create(b, v.getLoc(), sharedBufferType(shape, elem),
                         IntegerAttr());
}

Value KernelLayouts::convert(Value v, Attribute layout) {
  if (layoutOf(v) == layout)
    return v;
  auto key = std::make_pair(v, layout);
  if (Value done = converted.lookup(key))
    return done;
  RankedTensorType type = tileTypeOf(v);
  RankedTensorType target = withLayout(type, layout);
  OpBuilder b(ctx);
  Value result;
  FailureOr<Layout> from = Layout::get(type);
  // A constant is made again in the new layout.
  DenseElementsAttr value;
  if (auto cst = v.getDefiningOp<arith::ConstantOp>();
      cst && (value = dyn_cast<DenseElementsAttr>(cst.getValue())) &&
      value.isSplat()) {
    b.setInsertionPointAfter(cst);
    result = arith::ConstantOp::create(b, v.getLoc(), target,
                                       value.resizeSplat(target));
  } else if (auto splat = v.getDefiningOp<tile::SplatOp>()) {
    // So is a splat (every thread holds the scalar), never through shared
    // memory.
    b.setInsertionPointAfter(splat);
    result = tile::SplatOp::create(b, v.getLoc(), target, splat.getScalar());
  } else if (succeeded(from) &&
             from->sameThreadsAndSlots(*Layout::get(target))) {
    if (Operation *def = v.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
    result = ConvertOp::create(b, v.getLoc(), target, v);
  } else {
    // Through the value's shared copy (which products of it read too).
    Value buf = sharedCopy(v);
    b.setInsertionPointAfter(written.lookup(buf));
    result = LocalLoadOp::create(b, v.getLoc(), target, buf);
  }
  converted[key] = result;
  return result;
}

Value KernelLayouts::sharedCopy(Value v, Type elem) {
  RankedTensorType type = tileTypeOf(v);
  if (!elem)
    elem = type.getElementType();
  auto key = std::make_pair(v, elem);
  if (Value done = shared.lookup(key))
    return done;
  if (auto trunc = v.getDefiningOp<arith::TruncFOp>();
      trunc && elem == type.getElementType())
    if (Value done = shared.lookup({trunc.getIn(), elem}))
      return done;
  OpBuilder b(ctx);
  Value buf = allocAfter(b, v, type.getShape(), elem);
  b.setInsertionPointAfter(buf.getDefiningOp());
  Value stored = v;
  if (elem != type.getElementType()) {
    RankedTensorType cast =
        RankedTensorType::get(type.getShape(), elem, type.getEncoding());
    stored = elem.getIntOrFloatBitWidth() > type.getElementTypeBitWidth()
                 ? Value(arith::ExtFOp::create(b, v.getLoc(), cast, v))
                 : Value(arith::TruncFOp::create(b, v.getLoc(), cast, v));
  }
  written[buf] = LocalStoreOp::create(b, v.getLoc(), stored, buf);
  shared[key] = buf;
  return buf;
}

LogicalResult KernelLayouts::assignElementwise(Operation *op) {
  // A 2-d result takes the kernel's layout of its shape (the accumulators'
  // where there are products); otherwise the first tile operand's layout
  // (or, for a constant, the one its users prefer). Other tile operands
  // follow.
  Attribute layout;
  RankedTensorType result = tileTypeOf(op->getResult(0));
  if (result && result.getRank() == 2 && withProducts)
    layout = canonical(result.getShape());
  for (Value operand : op->getOperands())
    if (!layout && tileTypeOf(operand))
      layout = layoutOf(operand);
  if (!layout)
    layout = preferred(op->getResult(0));
  for (OpOperand &operand : op->getOpOperands())
    if (tileTypeOf(operand.get()))
      operand.set(convert(operand.get(), layout));
  for (Value result : op->getResults())
    if (tileTypeOf(result))
      setLayout(result, layout);
  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    auto value = cast<DenseElementsAttr>(cst.getValue());
    cst.setValueAttr(
        value.resizeSplat(cast<ShapedType>(cst.getResult().getType())));
  }
  return success();
}

LogicalResult KernelLayouts::assign(Operation *op) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  auto hasTiles = [&]() {
    for (Type t : op->getOperandTypes())
      if (isa<RankedTensorType>(t))
        return true;
    for (Type t : op->getResultTypes())
      if (isa<RankedTensorType>(t))
        return true;
    return false;
  };
  if (!hasTiles())
    return success();

  if (auto load = dyn_cast<tile::LoadOp>(op)) {
    setLayout(load.getResult(), preferred(load.getResult()));
    return success();
  }
  if (isa<tile::StoreOp>(op))
    return success();
  if (auto splat = dyn_cast<tile::SplatOp>(op)) {
    setLayout(splat.getResult(), preferred(splat.getResult()));
    return success();
  }
  if (auto bcast = dyn_cast<tile::BroadcastOp>(op)) {
    Attribute layout = canonical(bcast.getResult().getType().getShape());
    bcast.getInputMutable().assign(
        convert(bcast.getInput(), SliceAttr::get(ctx, bcast.getDim(), layout)));
    setLayout(bcast.getResult(), layout);
    return success();
  }
  if (auto reduce = dyn_cast<tile::ReduceOp>(op)) {
    Value input = reduce.getInput();
    int64_t dim = reduce.getDim();
    FailureOr<Layout> layout = Layout::get(tileTypeOf(input));
    if (failed(layout))
      return op->emitOpError() << "has an input without a valid layout";
    if (tileTypeOf(reduce.getResult()))
      setLayout(reduce.getResult(), SliceAttr::get(ctx, dim, layoutOf(input)));
    int64_t across = layout->warpsAlong(dim);
    if (across == 1)
      return success();
    // Across warps: their partials meet in a scratch row each.
    SmallVector<int64_t, 2> shape = {across};
    if (layout->rank() == 2)
      shape.push_back(layout->shape()[1 - dim]);
    Value scratch = AllocOp::create(
        b, loc, sharedBufferType(shape, b.getF32Type()), IntegerAttr());
    Value result = ReduceOp::create(
        b, loc, reduce.getResult().getType(), input, b.getI64IntegerAttr(dim),
        reduce.getKind() == tile::ReduceKind::max ? b.getUnitAttr()
                                                  : UnitAttr(),
        scratch);
    reduce.getResult().replaceAllUsesWith(result);
    op->erase();
    return success();
  }
  if (auto mask = dyn_cast<tile::CausalMaskOp>(op)) {
    setLayout(mask.getResult(), layoutOf(mask.getInput()));
    return success();
  }
  if (auto cumsum = dyn_cast<tile::CumsumOp>(op)) {
    if (cumsum.getDim() != 0)
      return op->emitOpError()
             << "has no GPU mapping along dimension " << cumsum.getDim();
    Value input = cumsum.getInput();
    Value buf =
        allocAfter(b, input, tileTypeOf(input).getShape(), b.getF32Type());
    b.setInsertionPoint(op);
    LocalStoreOp::create(b, loc, input, buf);
    ScanOp::create(b, loc, buf);
    Value result = LocalLoadOp::create(b, loc, input.getType(), buf);
    cumsum.getResult().replaceAllUsesWith(result);
    op->erase();
    return success();
  }
  // A product's result: the mma layout of its shape.
  auto mmaLayout = [&](RankedTensorType type) -> FailureOr<Attribute> {
    Attribute layout = canonical(type.getShape());
    if (!isa<MmaAttr>(layout))
      return op->emitOpError()
             << "has a " << type << " result that no mma layout fits";
    return layout;
  };
  if (auto dot = dyn_cast<tile::DotOp>(op)) {
    RankedTensorType type = dot.getResult().getType();
    FailureOr<Attribute> fitted = mmaLayout(type);
    if (failed(fitted))
      return failure();
    Attribute layout = *fitted;
    Value a = sharedCopy(dot.getA()), bb = sharedCopy(dot.getB());
    Value acc = dot.getAcc() ? convert(dot.getAcc(), layout) : Value();
    b.setInsertionPoint(op);
    Value result = MmaOp::create(b, loc, withLayout(type, layout), a, bb, acc,
                                 dot.getTransposeA(), dot.getTransposeB(),
                                 dot.getLowerA(), dot.getLower());
    dot.getResult().replaceAllUsesWith(result);
    op->erase();
    return success();
  }
  if (auto dot = dyn_cast<tile::DecayDotOp>(op)) {
    RankedTensorType type = dot.getResult().getType();
    FailureOr<Attribute> layout = mmaLayout(type);
    if (failed(layout))
      return failure();
    Value a = sharedCopy(dot.getA()), bb = sharedCopy(dot.getB());
    Value ga = sharedCopy(dot.getGa()), gb = sharedCopy(dot.getGb());
    b.setInsertionPoint(op);
    Value result =
        DecayMmaOp::create(b, loc, withLayout(type, *layout), a, bb, ga, gb);
    dot.getResult().replaceAllUsesWith(result);
    op->erase();
    return success();
  }
  if (auto solve = dyn_cast<tile::TriSolveOp>(op))
    return assignSolve(solve);
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    for (auto [init, arg, result] : llvm::zip(
             loop.getInitArgs(), loop.getRegionIterArgs(), loop.getResults()))
      if (tileTypeOf(init)) {
        arg.setType(init.getType());
        result.setType(init.getType());
      }
    return success();
  }
  if (isa<scf::IfOp>(op))
    return success(); // Results are set by the then-branch's yield.
  if (auto yield = dyn_cast<scf::YieldOp>(op)) {
    Operation *parent = yield->getParentOp();
    for (OpOperand &operand : yield->getOpOperands()) {
      if (!tileTypeOf(operand.get()))
        continue;
      Value result = parent->getResult(operand.getOperandNumber());
      auto ifOp = dyn_cast<scf::IfOp>(parent);
      if (ifOp && yield->getParentRegion() == &ifOp.getThenRegion()) {
        result.setType(operand.get().getType());
        continue;
      }
      operand.set(convert(operand.get(), layoutOf(result)));
    }
    return success();
  }
  if (isa<arith::ArithDialect, math::MathDialect>(op->getDialect()))
    return assignElementwise(op);
  return op->emitOpError() << "has tiles the GPU mapping cannot lay out";
}

LogicalResult KernelLayouts::assignSolve(tile::TriSolveOp solve) {
  Location loc = solve.getLoc();
  RankedTensorType type = solve.getResult().getType();
  Value l = solve.getL();
  Type elem = solve.getL().getType().getElementType();
  int64_t n = type.getDimSize(0), width = type.getDimSize(1);
  Attribute layout = canonical(type.getShape());
  bool wide = elem.isF32();
  if (!isa<MmaAttr>(layout) || (!wide && n % 16 != 0))
    return solve.emitOpError()
           << "has a " << type << " result the GPU solve cannot lay out "
           << "(16-bit operands need rows in blocks of 16, columns in 8s)";
  // The factor, once per L, where L is made: L's diagonal blocks inverted
  // in a buffer of their own (f32: the whole inverse, in place).
  OpBuilder b(ctx);
  Value &factor = factors[l];
  if (!factor) {
    factor = allocAfter(b, l, {n, n}, elem);
    b.setInsertionPointAfter(factor.getDefiningOp());
    LocalStoreOp::create(b, loc, l, factor);
    written[factor] =
        TriInverseOp::create(b, loc, factor, wide ? 0 : 16).getOperation();
  }
  b.setInsertionPoint(solve);
  Value result;
  if (wide) {
    result = MmaOp::create(b, loc, withLayout(type, layout), factor,
                           sharedCopy(solve.getR()), Value(), false, false);
  } else {
    Value y = AllocOp::create(b, loc, sharedBufferType({16, width}, elem),
                              IntegerAttr());
    Value x = AllocOp::create(b, loc, sharedBufferType({n, width}, elem),
                              IntegerAttr());
    Operation *solved = TriSolveOp::create(
        b, loc, sharedCopy(l), factor, sharedCopy(solve.getR(), elem), y, x);
    b.setInsertionPoint(solve);
    RankedTensorType narrow =
        RankedTensorType::get(type.getShape(), elem, layout);
    Value loaded = LocalLoadOp::create(b, loc, narrow, x);
    result = arith::ExtFOp::create(b, loc, withLayout(type, layout), loaded);
    // Products of the rounded solution read x itself.
    shared[{result, elem}] = x;
    written[x] = solved;
  }
  solve.getResult().replaceAllUsesWith(result);
  solve->erase();
  return success();
}

LogicalResult KernelLayouts::run() {
  // Tile constants hoisted out of the kernel (canonicalization does that)
  // are made again inside it, where they get their layouts.
  OpBuilder b(ctx);
  b.setInsertionPointToStart(&kernel.getBody().front());
  DenseMap<Operation *, Operation *> copies;
  kernel.getBody().walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      auto cst = operand.get().getDefiningOp<arith::ConstantOp>();
      if (!cst || !tileTypeOf(cst) || kernel->isAncestor(cst))
        continue;
      Operation *&copy = copies[cst];
      if (!copy)
        copy = b.clone(*cst);
      operand.set(copy->getResult(0));
    }
  });
  SmallVector<Operation *> ops;
  kernel.getBody().walk<WalkOrder::PreOrder>(
      [&](Operation *op) { ops.push_back(op); });
  for (Operation *op : ops)
    if (failed(assign(op)))
      return failure();
  if (failed(verifyLayouts()))
    return failure();
  kernel->setAttr("tilegpu.warps",
                  IntegerAttr::get(IntegerType::get(ctx, 64), warps));
  return success();
}

LogicalResult KernelLayouts::verifyLayouts() {
  WalkResult result = kernel.getBody().walk([&](Operation *op) {
    for (Value v : op->getResults())
      if (RankedTensorType type = tileTypeOf(v))
        if (failed(Layout::get(type))) {
          op->emitOpError() << "has a tile " << type
                            << " for which the GPU mapping found no layout";
          return WalkResult::interrupt();
        }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// 32-bit registers a thread needs at `warps` for the tiles of `kernel`
/// that must be live at once (one tile, or those a loop carries), if each
/// tile's elements were spread evenly: no layout needs fewer.
int64_t leastRegisters(tile::KernelOp kernel, int64_t warps) {
  return gpumap::registerPeak(kernel,
                              [&](Type type) -> int64_t {
                                auto tensor = dyn_cast<RankedTensorType>(type);
                                if (!tensor || !tensor.hasStaticShape())
                                  return 0;
                                int64_t bits = tensor.getNumElements() *
                                               tensor.getElementTypeBitWidth();
                                return llvm::divideCeil(bits, 32 * 32 * warps);
                              })
      .registers;
}

struct TileGPUAssignLayoutsPass
    : prism::impl::TileGPUAssignLayoutsBase<TileGPUAssignLayoutsPass> {
  using Base::Base;

  void runOnOperation() override {
    const GPUTarget *target =
        lookupGPUTarget(chip, getOperation(), "prism-tile-gpu-assign-layouts");
    if (!target)
      return signalPassFailure();
    WalkResult result = getOperation().walk([&](tile::KernelOp kernel) {
      auto program = kernel->getParentOfType<func::FuncOp>();
      auto schedule = program
                          ? program->getAttrOfType<recurrence::ScheduleAttr>(
                                "prism.schedule")
                          : recurrence::ScheduleAttr();
      int64_t w = warps;
      if (w <= 0)
        w = schedule && schedule.getWarps() > 0 ? schedule.getWarps() : 4;
      if (w & (w - 1)) {
        kernel.emitOpError() << "needs a power of two of warps, got " << w;
        return WalkResult::interrupt();
      }
      // More warps for a kernel that could not hold its tiles at `w` (the
      // register check of allocate-shared would refuse it): the fewest at
      // which they take at most half of a thread's registers (fewer a
      // thread beyond 256 threads), the rest being for operands, addresses
      // and the next tile. Where none does, `w` stays and the kernel is
      // refused.
      auto budget = [&](int64_t n) {
        return std::min(target->registersPerThread,
                        target->registersPerBlock / (32 * n));
      };
      if (widen && leastRegisters(kernel, w) > target->registersPerThread) {
        for (int64_t n = 2 * w; 32 * n <= target->threadsPerBlock; n *= 2)
          if (2 * leastRegisters(kernel, n) <= budget(n)) {
            w = n;
            break;
          }
      }
      KernelLayouts layouts(kernel, w, schedule);
      return failed(layouts.run()) ? WalkResult::interrupt()
                                   : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
