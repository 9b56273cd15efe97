//===- WritePath.cpp - What the schedules share: injections, convolution --===//
//
// The injection of a span of tokens (keys, and values loaded or refined by
// PRISM's input-anchored write path, prism-math.md section 3), and the
// kernel of a short convolution; with the helpers of ScheduleContext.
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;
using namespace prism::tiling;

//===----------------------------------------------------------------------===//
// ScheduleContext
//===----------------------------------------------------------------------===//

TileBuilder ScheduleContext::builderFor(Value batch, Value head) {
  SpecBuffers *bufs = &buffers;
  TileBuilder tb{
      b,       loc(),
      info,    [bufs](Value tensor) { return bufs->memrefOf(tensor); },
      batch,   head,
      Value(), Type()};
  tb.seqLen = dimOf(info.step ? info.step.getInputs().front() : info.query, 1);
  tb.operandType = operandTypeOf(info);
  return tb;
}

Type tiling::operandTypeOf(RecurrenceInfo &info) {
  // A step body computes in f32 and has no matrix products.
  if (info.step)
    return Float32Type::get(info.step.getContext());
  // The inputs' 16-bit type when they all share it (tensor cores), else f32.
  SmallVector<Value> inputs = {info.query};
  inputs.append(info.keys.begin(), info.keys.end());
  if (info.refine) {
    inputs.push_back(info.refine.getAnchor());
    inputs.push_back(info.refine.getValue());
    inputs.append(info.refine.getGains().begin(), info.refine.getGains().end());
  } else {
    inputs.append(info.values.begin(), info.values.end());
  }
  Type f32 = Float32Type::get(info.scan.getContext());
  Type common;
  for (Value v : inputs) {
    Type elem = cast<ShapedType>(v.getType()).getElementType();
    common = !common || common == elem ? elem : f32;
  }
  return common;
}

Value ScheduleContext::dimOf(Value tensor, int64_t d) {
  Value memref = buffers.memrefOf(tensor);
  return memref::DimOp::create(b, loc(), memref, d);
}

tile::KernelOp ScheduleContext::createKernel(StringRef name, ValueRange grid) {
  auto kernel = tile::KernelOp::create(b, loc(), name, grid);
  b.setInsertionPoint(kernel.getBody().front().getTerminator());
  return kernel;
}

scf::ForOp ScheduleContext::createLoop(Value ub, Value init) {
  Value zero = arith::ConstantIndexOp::create(b, loc(), 0);
  Value one = arith::ConstantIndexOp::create(b, loc(), 1);
  auto loop = scf::ForOp::create(b, loc(), zero, ub, one, ValueRange{init});
  b.setInsertionPointToEnd(loop.getBody());
  return loop;
}

Value ScheduleContext::workspace(int i) {
  return workspaces[i] >= 0 ? program.getArgument(workspaces[i]) : Value();
}

LogicalResult tiling::declareVTiles(ScheduleContext &ctx) {
  int64_t vTile = ctx.schedule.getVTile();
  if (vTile <= 0 || ctx.info.valueDim % vTile != 0)
    return ctx.info.op()->emitOpError()
           << "v_tile " << vTile
           << " does not divide V = " << ctx.info.valueDim;
  if (ctx.schedule.isChunked() && ctx.schedule.getChunk() <= 0)
    return ctx.info.op()->emitOpError()
           << "chunk must be positive, got " << ctx.schedule.getChunk();
  return success();
}

Value ScheduleContext::initialState(TileBuilder &tb, Value v0, int64_t vTile) {
  if (info.initialState)
    return tb.loadState(info.initialState, v0, vTile);
  auto type = RankedTensorType::get({vTile, info.keyDim}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc(), DenseElementsAttr::get(type, b.getF32FloatAttr(0.0)));
}

//===----------------------------------------------------------------------===//
// Injections
//===----------------------------------------------------------------------===//

SmallVector<Value> tiling::buildInjectionValues(TileBuilder &tb, Value t,
                                                int64_t rows, Value v0,
                                                int64_t vTile) {
  RecurrenceInfo &info = tb.info;
  SmallVector<Value> values;
  if (RefineOp refine = info.refine) {
    // r1 = v - u; delta_l = phi(p_l r_l); r_{l+1} = r_l - delta_l.
    Value u = tb.loadTokens(refine.getAnchor(), t, rows, v0, vTile);
    Value v = tb.loadTokens(refine.getValue(), t, rows, v0, vTile);
    Value r = tb.sub(v, u);
    for (Value gain : refine.getGains()) {
      Value pr = tb.mul(tb.loadTokens(gain, t, rows, v0, vTile), r);
      Value d = refine.getActivation() == Activation::gelu ? tb.gelu(pr) : pr;
      values.push_back(d);
      r = tb.sub(r, d);
    }
  } else {
    for (Value value : info.values)
      values.push_back(tb.loadTokens(value, t, rows, v0, vTile));
  }
  for (auto [l, gate] : llvm::enumerate(info.injectGates))
    values[l] = tb.scaleTokens(values[l], tb.loadTokenScalars(gate, t, rows));
  return values;
}

SmallVector<Slot> tiling::buildInjectionSlots(TileBuilder &tb, Value t,
                                              int64_t rows, Value v0,
                                              int64_t vTile) {
  SmallVector<Value> values = buildInjectionValues(tb, t, rows, v0, vTile);
  SmallVector<Slot> slots;
  for (auto [key, value] : llvm::zip(tb.info.keys, values))
    slots.push_back(
        {tb.loadTokens(key, t, rows, tb.idx(0), tb.info.keyDim), value});
  return slots;
}

//===----------------------------------------------------------------------===//
// Short convolution
//===----------------------------------------------------------------------===//

void tiling::buildShortConv(ScheduleContext &ctx, ShortConvOp conv) {
  // One program per (64 tokens, batch, head), all D channels:
  // y_t = act(bias + sum_j w_j x_{t-j}), x before the sequence from the
  // cache (oldest first) or zero.
  constexpr int64_t rows = 64;
  OpBuilder &b = ctx.b;
  OpBuilder::InsertionGuard guard(b);
  Location loc = conv.getLoc();
  Value x = ctx.buffers.memrefOf(conv.getInput());
  auto xType = cast<MemRefType>(x.getType());
  int64_t width = xType.getDimSize(3);
  Value seqLen = memref::DimOp::create(b, loc, x, 1);
  Value blocks = arith::CeilDivUIOp::create(
      b, loc, seqLen, arith::ConstantIndexOp::create(b, loc, rows));
  Value batches = memref::DimOp::create(b, loc, x, 0);
  Value heads = memref::DimOp::create(b, loc, x, 2);
  tile::KernelOp kernel =
      ctx.createKernel("short_conv", {blocks, batches, heads});
  auto ids = kernel.getProgramIds();
  TileBuilder tb = ctx.builderFor(ids[1], ids[2]);
  tb.seqLen = seqLen;
  Value t0 = arith::MulIOp::create(b, loc, ids[0], tb.idx(rows));
  Value weight = ctx.buffers.memrefOf(conv.getWeight());
  int64_t window = cast<MemRefType>(weight.getType()).getDimSize(2);
  // A [H, D, ...] parameter's channels of head h, repeated for every row.
  auto f32Row = [&](Value memref, ValueRange at) {
    Type elem = cast<MemRefType>(memref.getType()).getElementType();
    Value row =
        tile::LoadOp::create(b, loc, RankedTensorType::get({width}, elem),
                             memref, at, b.getDenseI64ArrayAttr({1}), Value());
    return tb.broadcast(tb.toF32(row), 0, rows);
  };

  Value acc;
  if (Value bias = conv.getBias())
    acc = f32Row(ctx.buffers.memrefOf(bias), {ids[2], tb.idx(0)});
  for (int64_t j = 0; j < window; ++j) {
    Value tj = arith::SubIOp::create(b, loc, t0, tb.idx(j));
    Value xj = tb.loadTokens(conv.getInput(), tj, rows, tb.idx(0), width);
    if (Value cache = conv.getCache()) {
      // Rows before the sequence: cache row (W - 1) + (t - j).
      Value c = ctx.buffers.memrefOf(cache);
      Value row = arith::AddIOp::create(b, loc, tj, tb.idx(window - 1));
      Type elem = cast<MemRefType>(c.getType()).getElementType();
      Value prior = tile::LoadOp::create(
          b, loc, RankedTensorType::get({rows, width}, elem), c,
          ValueRange{ids[1], row, ids[2], tb.idx(0)},
          b.getDenseI64ArrayAttr({1, 3}), tb.idx(window - 1));
      xj = tb.add(xj, tb.toF32(prior));
    }
    Value term = tb.mul(xj, f32Row(weight, {ids[2], tb.idx(0), tb.idx(j)}));
    acc = acc ? tb.add(acc, term) : term;
  }
  if (conv.getActivation() == ConvActivation::silu)
    acc = tb.silu(acc);
  tb.storeTokens(acc, conv.getOutput(), t0, rows, tb.idx(0));
}
