//===- MemoryOps.cpp - Loads, stores, layouts and elementwise math --------===//
//
// Per-thread code for the tile ops that move or combine elements a thread
// already holds: loads and stores of global and shared buffers (16-byte
// vector accesses wherever the layout's runs, the buffer's rows and the
// indices are known to allow them), elementwise arith and math (one scalar
// op per element; 2^x as ex2.approx.ftz), splats, broadcasts of slices,
// causal masks, and shared buffers as views of the block's dynamic shared
// memory.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Conversion/ChunkedScan.h"
#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <numeric>

using namespace mlir;
using namespace prism;
using namespace prism::gpumap;
using tilegpu::Layout;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

TileTypeConverter::TileTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](RankedTensorType type) -> Type {
    FailureOr<Layout> layout = Layout::get(type);
    if (failed(layout))
      return type;
    return VectorType::get({layout->numSlots()}, type.getElementType());
  });
}

Thread Thread::at(OpBuilder &b, Location loc) {
  Thread t;
  t.tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  t.warp = arith::DivUIOp::create(b, loc, t.tid, indexConst(b, loc, 32));
  t.lane = arith::RemUIOp::create(b, loc, t.tid, indexConst(b, loc, 32));
  return t;
}

Value gpumap::exp2Approx(OpBuilder &b, Location loc, Value x) {
  return LLVM::CallIntrinsicOp::create(
             b, loc, b.getF32Type(),
             b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f32"), ValueRange{x})
      .getResult(0);
}

Value gpumap::indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value gpumap::floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

Value gpumap::splatVector(OpBuilder &b, Location loc, Value v, int64_t n) {
  return vector::BroadcastOp::create(b, loc, VectorType::get({n}, v.getType()),
                                     v);
}

Value gpumap::elementAt(OpBuilder &b, Location loc, Value v, int64_t i) {
  return vector::ExtractOp::create(b, loc, v, i);
}

Value gpumap::withElement(OpBuilder &b, Location loc, Value v, int64_t i,
                          Value x) {
  return vector::InsertOp::create(b, loc, x, v, i);
}

Layout gpumap::layoutOf(Type tileType) {
  return *Layout::get(cast<RankedTensorType>(tileType));
}

int64_t gpumap::knownMultiple(Value v) {
  constexpr int64_t kAny = int64_t(1) << 30;
  APInt value;
  if (auto cst = v.getDefiningOp<arith::ConstantIndexOp>())
    return cst.value() == 0 ? kAny : std::abs(cst.value());
  if (auto mul = v.getDefiningOp<arith::MulIOp>())
    return std::min(kAny,
                    knownMultiple(mul.getLhs()) * knownMultiple(mul.getRhs()));
  if (auto add = v.getDefiningOp<arith::AddIOp>())
    return std::gcd(knownMultiple(add.getLhs()), knownMultiple(add.getRhs()));
  if (auto sub = v.getDefiningOp<arith::SubIOp>())
    return std::gcd(knownMultiple(sub.getLhs()), knownMultiple(sub.getRhs()));
  // A loop's induction variable: its start plus multiples of its step (a
  // V-tile walk's column offset).
  if (auto loop = scf::getForInductionVarOwner(v))
    return std::gcd(knownMultiple(loop.getLowerBound()),
                    knownMultiple(loop.getStep()));
  return 1;
}

SmallVector<SlotRun> gpumap::slotRuns(const Layout &layout, int64_t dim,
                                      int64_t maxWidth, int64_t startMultiple) {
  SmallVector<SlotRun> runs;
  int64_t n = layout.numSlots(), rank = layout.rank();
  int64_t align = std::gcd(layout.baseMultiple(dim), startMultiple);
  for (int64_t e = 0; e < n;) {
    // How far the slots from e are consecutive along `dim`.
    int64_t length = 1;
    while (e + length < n && length < maxWidth) {
      bool next = true;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t step = d == dim ? length : 0;
        next &= layout.offset(e + length, d) == layout.offset(e, d) + step;
      }
      if (!next)
        break;
      ++length;
    }
    int64_t width = 1;
    while (width * 2 <= length && align % (width * 2) == 0 &&
           layout.offset(e, dim) % (width * 2) == 0)
      width *= 2;
    runs.push_back({e, width});
    e += width;
  }
  return runs;
}

namespace {

/// Tile dimension that walks the buffer's innermost (contiguous) dimension
/// and the multiple its accesses start at; -1 when none does.
std::pair<int64_t, int64_t> contiguity(const TileAccess &access) {
  auto type = cast<MemRefType>(access.buffer.getType());
  int64_t inner = type.getRank() - 1;
  int64_t dim = -1;
  for (auto [d, bufferDim] : llvm::enumerate(access.dims))
    if (bufferDim == inner)
      dim = d;
  if (dim < 0)
    return {-1, 1};
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || strides[inner] != 1)
    return {-1, 1};
  // Every other dimension's stride is a multiple of the row length.
  int64_t rows = type.getLayout().isIdentity() ? type.getDimSize(inner) : 0;
  for (int64_t d = 0; d < inner; ++d)
    if (!ShapedType::isDynamic(strides[d]))
      rows = std::gcd(rows, strides[d]);
  if (ShapedType::isDynamic(rows) || rows <= 0)
    rows = 1;
  return {dim, std::gcd(rows, knownMultiple(access.indices[inner]))};
}

/// Buffer indices of the run's first element, and whether its row is in
/// bounds (null without a bound).
std::pair<SmallVector<Value>, Value>
runIndices(OpBuilder &b, Location loc, const Layout &layout,
           ArrayRef<Value> base, int64_t slot, const TileAccess &access) {
  SmallVector<Value> at(access.indices.begin(), access.indices.end());
  for (auto [d, bufferDim] : llvm::enumerate(access.dims)) {
    Value c = arith::AddIOp::create(b, loc, base[d],
                                    indexConst(b, loc, layout.offset(slot, d)));
    at[bufferDim] = arith::AddIOp::create(b, loc, at[bufferDim], c);
  }
  Value valid;
  if (access.bound) {
    Value row = at[access.dims[0]];
    Value zero = indexConst(b, loc, 0);
    valid = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, row, zero),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row,
                              access.bound));
  }
  return {at, valid};
}

/// Loads `width` elements (a scalar when 1) at `at`.
Value loadRun(OpBuilder &b, Location loc, Value buffer, ValueRange at,
              Type elem, int64_t width) {
  if (width == 1)
    return memref::LoadOp::create(b, loc, buffer, at);
  unsigned bytes = width * elem.getIntOrFloatBitWidth() / 8;
  return vector::LoadOp::create(b, loc, VectorType::get({width}, elem), buffer,
                                at, /*nontemporal=*/false, llvm::Align(bytes));
}
/// `loadRun`, or zeros where `valid` (when given) is false.
Value loadRunOrZero(OpBuilder &b, Location loc, Value buffer, ValueRange at,
                    Value valid, Type elem, int64_t width) {
  if (!valid)
    return loadRun(b, loc, buffer, at, elem, width);
  Type type = width == 1 ? elem : VectorType::get({width}, elem);
  auto branch = scf::IfOp::create(b, loc, type, valid, /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(branch.thenBlock());
  scf::YieldOp::create(b, loc, loadRun(b, loc, buffer, at, elem, width));
  b.setInsertionPointToStart(branch.elseBlock());
  Value zero = floatConst(b, loc, elem, 0.0);
  scf::YieldOp::create(b, loc,
                       width == 1 ? zero : splatVector(b, loc, zero, width));
  return branch.getResult(0);
}

/// Stores `value` (a scalar or a vector of `width` elements) at `at`.
void storeRun(OpBuilder &b, Location loc, Value value, Value buffer,
              ValueRange at, int64_t width) {
  if (width == 1) {
    memref::StoreOp::create(b, loc, value, buffer, at);
    return;
  }
  Type elem = cast<VectorType>(value.getType()).getElementType();
  unsigned bytes = width * elem.getIntOrFloatBitWidth() / 8;
  vector::StoreOp::create(b, loc, value, buffer, at, /*nontemporal=*/false,
                          llvm::Align(bytes));
}

TileAccess sharedAccess(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  TileAccess access{buffer, {}, {}, Value()};
  for (int64_t d = 0; d < type.getRank(); ++d) {
    access.indices.push_back(indexConst(b, loc, 0));
    access.dims.push_back(d);
  }
  return access;
}
} // namespace

Value gpumap::loadTile(OpBuilder &b, Location loc, const Layout &layout,
                       Type elem, const TileAccess &access) {
  Thread t = Thread::at(b, loc);
  SmallVector<Value> base = layout.base(b, loc, t.warp, t.lane);
  auto [dim, start] = contiguity(access);
  int64_t maxWidth = dim < 0 ? 1 : 128 / elem.getIntOrFloatBitWidth();
  SmallVector<SlotRun> runs = dim < 0 ? slotRuns(layout, 0, 1, 1)
                                      : slotRuns(layout, dim, maxWidth, start);
  SmallVector<Value> elements;
  for (SlotRun run : runs) {
    auto [at, valid] = runIndices(b, loc, layout, base, run.first, access);
    Value value =
        loadRunOrZero(b, loc, access.buffer, at, valid, elem, run.width);
    if (run.width == 1)
      elements.push_back(value);
    else
      for (int64_t i = 0; i < run.width; ++i)
        elements.push_back(elementAt(b, loc, value, i));
  }
  return vector::FromElementsOp::create(
      b, loc, VectorType::get({layout.numSlots()}, elem), elements);
}

void gpumap::storeTile(OpBuilder &b, Location loc, const Layout &layout,
                       Value value, const TileAccess &access) {
  Type elem = cast<VectorType>(value.getType()).getElementType();
  Thread t = Thread::at(b, loc);
  SmallVector<Value> base = layout.base(b, loc, t.warp, t.lane);
  auto [dim, start] = contiguity(access);
  int64_t maxWidth = dim < 0 ? 1 : 128 / elem.getIntOrFloatBitWidth();
  SmallVector<SlotRun> runs = dim < 0 ? slotRuns(layout, 0, 1, 1)
                                      : slotRuns(layout, dim, maxWidth, start);
  for (SlotRun run : runs) {
    auto [at, valid] = runIndices(b, loc, layout, base, run.first, access);
    OpBuilder::InsertionGuard guard(b);
    if (valid) {
      auto branch = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
      b.setInsertionPointToStart(branch.thenBlock());
    }
    if (run.width == 1) {
      storeRun(b, loc, elementAt(b, loc, value, run.first), access.buffer, at,
               1);
      continue;
    }
    SmallVector<Value> parts;
    for (int64_t i = 0; i < run.width; ++i)
      parts.push_back(elementAt(b, loc, value, run.first + i));
    Value piece = vector::FromElementsOp::create(
        b, loc, VectorType::get({run.width}, elem), parts);
    storeRun(b, loc, piece, access.buffer, at, run.width);
  }
}

/// Starts copying the thread's pieces of a tile of `layout` from `from` to
/// the same pieces of the shared buffer `to`: `cp.async` (zero-filled
/// outside the bound) where a piece is 4, 8 or 16 bytes, else a load and a
/// store.
static void copyTileAsync(OpBuilder &b, Location loc, const Layout &layout,
                          Type elem, const TileAccess &from, Value to) {
  Thread t = Thread::at(b, loc);
  SmallVector<Value> base = layout.base(b, loc, t.warp, t.lane);
  TileAccess into = sharedAccess(b, loc, to);
  auto [dim, start] = contiguity(from);
  auto [toDim, toStart] = contiguity(into);
  int64_t bits = elem.getIntOrFloatBitWidth();
  SmallVector<SlotRun> runs =
      dim < 0 || toDim != dim
          ? slotRuns(layout, 0, 1, 1)
          : slotRuns(layout, dim, 128 / bits, std::gcd(start, toStart));
  auto token = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  for (SlotRun run : runs) {
    auto [src, valid] = runIndices(b, loc, layout, base, run.first, from);
    SmallVector<Value> dst =
        runIndices(b, loc, layout, base, run.first, into).first;
    int64_t bytes = run.width * bits / 8;
    if (bytes == 4 || bytes == 8 || bytes == 16) {
      Value count;
      if (valid)
        count = arith::SelectOp::create(b, loc, valid,
                                        indexConst(b, loc, run.width),
                                        indexConst(b, loc, 0));
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, token, to, dst, from.buffer, src, b.getIndexAttr(run.width),
          count, bytes == 16 ? b.getUnitAttr() : UnitAttr());
      continue;
    }
    storeRun(b, loc,
             loadRunOrZero(b, loc, from.buffer, src, valid, elem, run.width),
             to, dst, run.width);
  }
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {

/// tile.load: the thread's elements, rows outside the bound zero.
struct LoadLowering : OpConversionPattern<tile::LoadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getResult().getType();
    TileAccess access{adaptor.getSource(),
                      SmallVector<Value>(adaptor.getIndices()),
                      SmallVector<int64_t>(op.getDims()), adaptor.getBound()};
    rewriter.replaceOp(op, loadTile(rewriter, op.getLoc(), layoutOf(type),
                                    type.getElementType(), access));
    return success();
  }
};

/// tile.store: the thread's elements, rows outside the bound skipped.
struct StoreLowering : OpConversionPattern<tile::StoreOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    TileAccess access{adaptor.getDest(),
                      SmallVector<Value>(adaptor.getIndices()),
                      SmallVector<int64_t>(op.getDims()), adaptor.getBound()};
    storeTile(rewriter, op.getLoc(), layoutOf(op.getValue().getType()),
              adaptor.getValue(), access);
    rewriter.eraseOp(op);
    return success();
  }
};

/// tilegpu.local_store: every thread writes its elements.
struct LocalStoreLowering : OpConversionPattern<tilegpu::LocalStoreOp> {
  LocalStoreLowering(TileTypeConverter &converter, MLIRContext *ctx,
                     bool stmatrix)
      : OpConversionPattern(converter, ctx), stmatrix(stmatrix) {}
  LogicalResult
  matchAndRewrite(tilegpu::LocalStoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Layout layout = layoutOf(op.getValue().getType());
    // Accumulators rounded to 16 bits: four 8 x 8 matrices an stmatrix
    // where the chip has it (a quarter of the 4-byte stores).
    if (!stmatrix || !storeMatrices(rewriter, op.getLoc(), layout,
                                    adaptor.getValue(), adaptor.getBuffer()))
      storeTile(rewriter, op.getLoc(), layout, adaptor.getValue(),
                sharedAccess(rewriter, op.getLoc(), adaptor.getBuffer()));
    rewriter.eraseOp(op);
    return success();
  }
  bool stmatrix;
};

/// tilegpu.local_load: every thread reads its elements.
struct LocalLoadLowering : OpConversionPattern<tilegpu::LocalLoadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::LocalLoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getResult().getType();
    rewriter.replaceOp(
        op,
        loadTile(rewriter, op.getLoc(), layoutOf(type), type.getElementType(),
                 sharedAccess(rewriter, op.getLoc(), adaptor.getBuffer())));
    return success();
  }
};

/// tilegpu.async_copy: the thread's pieces, copied without registers.
struct AsyncCopyLowering : OpConversionPattern<tilegpu::AsyncCopyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::AsyncCopyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getLayout());
    TileAccess access{adaptor.getSource(),
                      SmallVector<Value>(adaptor.getIndices()),
                      SmallVector<int64_t>(op.getDims()), adaptor.getBound()};
    copyTileAsync(rewriter, op.getLoc(), layoutOf(type), type.getElementType(),
                  access, adaptor.getDest());
    rewriter.eraseOp(op);
    return success();
  }
};

/// tilegpu.async_wait: commit the thread's group, wait for older ones.
struct AsyncWaitLowering : OpConversionPattern<tilegpu::AsyncWaitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::AsyncWaitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto token = nvgpu::DeviceAsyncTokenType::get(rewriter.getContext());
    Value group = nvgpu::DeviceAsyncCreateGroupOp::create(rewriter, loc, token,
                                                          ValueRange{});
    rewriter.replaceOpWithNewOp<nvgpu::DeviceAsyncWaitOp>(
        op, group, rewriter.getI32IntegerAttr(op.getPending()));
    return success();
  }
};

/// tilegpu.alloc: a view at its offset into the block's dynamic shared
/// memory (prism-attach-shared-scratch makes it the launch's).
struct AllocLowering : OpConversionPattern<tilegpu::AllocOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::AllocOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto launch = op->getParentOfType<gpu::LaunchOp>();
    auto bytes =
        launch ? launch->getAttrOfType<IntegerAttr>("tilegpu.shared_bytes")
               : IntegerAttr();
    if (!bytes || !op.getOffset())
      return rewriter.notifyMatchFailure(op, "no shared-memory offsets");
    MemRefType type = op.getType();
    Attribute space = type.getMemorySpace();
    auto global = memref::GetGlobalOp::create(
        rewriter, loc,
        MemRefType::get({0}, rewriter.getI8Type(), AffineMap(), space),
        lowering::kSharedScratchName);
    global->setAttr(lowering::kSharedBytesAttr, bytes);
    Value offset = indexConst(rewriter, loc, *op.getOffset());
    if (type.getRank() == 1) {
      rewriter.replaceOpWithNewOp<memref::ViewOp>(op, type, global, offset,
                                                  ValueRange{});
      return success();
    }
    SmallVector<int64_t> strides;
    int64_t unused;
    (void)type.getStridesAndOffset(strides, unused);
    auto whole = MemRefType::get({type.getDimSize(0), strides[0]},
                                 type.getElementType(), AffineMap(), space);
    Value view =
        memref::ViewOp::create(rewriter, loc, whole, global, offset, {});
    // The padded rows (a reinterpret_cast lowers where a subview would
    // need expand-strided-metadata).
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, type, view, 0, type.getShape(), ArrayRef<int64_t>{strides[0], 1});
    return success();
  }
};

/// tilegpu.convert: the same elements in the same slots.
struct ConvertLowering : OpConversionPattern<tilegpu::ConvertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::ConvertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

/// arith.constant of a splat tile: a splat vector.
struct ConstantLowering : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = dyn_cast_or_null<VectorType>(
        getTypeConverter()->convertType(op.getType()));
    auto value = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!type || !value || !value.isSplat() ||
        !isa<RankedTensorType>(op.getType()))
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type,
                                                   value.resizeSplat(type));
    return success();
  }
};

/// Elementwise arith and math on tiles: arith on the vectors, math one
/// element at a time (libdevice takes scalars).
struct ElementwiseLowering : ConversionPattern {
  ElementwiseLowering(TypeConverter &converter, MLIRContext *ctx)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), 1, ctx) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) ||
        isa<arith::ConstantOp>(op) || op->getNumResults() != 1)
      return failure();
    Type resultType =
        getTypeConverter()->convertType(op->getResult(0).getType());
    auto vector = dyn_cast_or_null<VectorType>(resultType);
    if (!vector || resultType == op->getResult(0).getType())
      return failure();
    Location loc = op->getLoc();
    if (isa<arith::ArithDialect>(op->getDialect())) {
      OperationState state(loc, op->getName(), operands, {resultType},
                           op->getAttrs());
      rewriter.replaceOp(op, rewriter.create(state)->getResults());
      return success();
    }
    SmallVector<Value> parts;
    Type elem = vector.getElementType();
    for (int64_t i = 0; i < vector.getNumElements(); ++i) {
      SmallVector<Value> scalars;
      for (Value operand : operands)
        scalars.push_back(elementAt(rewriter, loc, operand, i));
      if (isa<math::Exp2Op>(op) && elem.isF32()) {
        parts.push_back(exp2Approx(rewriter, loc, scalars[0]));
        continue;
      }
      OperationState state(loc, op->getName(), scalars, {elem}, op->getAttrs());
      parts.push_back(rewriter.create(state)->getResult(0));
    }
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, vector, parts);
    return success();
  }
};

/// tile.splat: a splat vector.
struct SplatLowering : OpConversionPattern<tile::SplatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::SplatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(
        getTypeConverter()->convertType(op.getResult().getType()));
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, type,
                                                     adaptor.getScalar());
    return success();
  }
};

/// tile.broadcast of a slice into its parent: each parent slot takes the
/// slice slot of its row (or column), in the same thread.
struct BroadcastLowering : OpConversionPattern<tile::BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Layout in = layoutOf(op.getInput().getType());
    Layout out = layoutOf(op.getResult().getType());
    int64_t kept = 1 - op.getDim();
    SmallVector<int64_t> mask;
    for (int64_t e = 0; e < out.numSlots(); ++e) {
      int64_t found = -1;
      for (int64_t s = 0; s < in.numSlots() && found < 0; ++s)
        if (in.offset(s, 0) == out.offset(e, kept))
          found = s;
      if (found < 0)
        return rewriter.notifyMatchFailure(op, "input is not a slice");
      mask.push_back(found);
    }
    rewriter.replaceOpWithNewOp<vector::ShuffleOp>(op, adaptor.getInput(),
                                                   adaptor.getInput(), mask);
    return success();
  }
};

/// tile.causal_mask: compares each slot's (i, j) from the thread's base
/// difference and the slot's constant offsets.
struct CausalMaskLowering : OpConversionPattern<tile::CausalMaskOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::CausalMaskOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Layout layout = layoutOf(op.getInput().getType());
    Thread t = Thread::at(rewriter, loc);
    SmallVector<Value> base = layout.base(rewriter, loc, t.warp, t.lane);
    Value diff = arith::SubIOp::create(rewriter, loc, base[0], base[1]);
    Value fill = floatConst(rewriter, loc, rewriter.getF32Type(),
                            op.getFill().convertToDouble());
    Value x = adaptor.getInput();
    auto pred =
        op.getStrict() ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge;
    SmallVector<Value> parts;
    for (int64_t e = 0; e < layout.numSlots(); ++e) {
      // j <= i  <=>  (bi - bj) >= oj - oi.
      Value keep = arith::CmpIOp::create(
          rewriter, loc, pred, diff,
          indexConst(rewriter, loc, layout.offset(e, 1) - layout.offset(e, 0)));
      parts.push_back(arith::SelectOp::create(
          rewriter, loc, keep, elementAt(rewriter, loc, x, e), fill));
    }
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, x.getType(), parts);
    return success();
  }
};

} // namespace

void gpumap::populateMemoryPatterns(TileTypeConverter &converter,
                                    RewritePatternSet &patterns,
                                    bool stmatrix) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LocalStoreLowering>(converter, ctx, stmatrix);
  patterns
      .add<LoadLowering, StoreLowering, LocalLoadLowering, AllocLowering,
           ConvertLowering, ConstantLowering, SplatLowering, BroadcastLowering,
           CausalMaskLowering, AsyncCopyLowering, AsyncWaitLowering>(converter,
                                                                     ctx);
  patterns.add<ElementwiseLowering>(converter, ctx);
}
