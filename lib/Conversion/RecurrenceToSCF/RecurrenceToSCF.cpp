//===- RecurrenceToSCF.cpp - Specifications to loop nests over buffers ----===//
//
// Applies a scan's schedule target-independently: the specification function
// over tensors becomes a program over buffers whose body is one scf.parallel
// nest per kernel. The CPU backend runs these nests as loops; the GPU backend
// maps their "program" dimensions to blocks and "lane" dimensions to threads.
// Both therefore run the very same per-row algebra.
//
// The sequential schedule gives every lane one row v of the state S (a
// K-vector held in registers as vector<Kxf32>), and walks t in order:
//
//   s <- s A_t                      (forget, per family)
//   s <- s + sum_l beta_l d_l[v] k_l (injection; d_l fused from the
//                                     refinement path when present)
//   o[t, v] = scale * <s, q_t>
//
// Every row update needs only that row and the step's K-vectors, for every
// forget family, because A_t acts on the key side. On a GPU, `k_split` lanes
// share a row, each holding K / k_split of it: their partial dot products are
// combined with butterfly warp shuffles, so every lane sees the full <s, x>.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "prism/Analysis/RecurrenceInfo.h"
#include "prism/Conversion/ChunkedScan.h"
#include "prism/Conversion/SpecBuffers.h"
#include "prism/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>

namespace prism {
#define GEN_PASS_DEF_CONVERTRECURRENCETOSCF
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;
using namespace prism::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Lowering of one specification
//===----------------------------------------------------------------------===//

class SpecLowering {
public:
  SpecLowering(func::FuncOp func, RecurrenceInfo &info, bool gpu,
               const GPUTarget *target)
      : func(func), info(info), gpu(gpu), target(target), buffers(func, info) {}

  LogicalResult run();

private:
  LogicalResult checkSchedule();
  void emitConv(OpBuilder &b, ShortConvOp conv);
  void emitSequentialScan(OpBuilder &b);

  Value memrefOf(Value tensor) { return buffers.memrefOf(tensor); }

  func::FuncOp func;
  RecurrenceInfo &info;
  bool gpu;
  const GPUTarget *target;
  ScheduleAttr schedule;
  int64_t vTile = 0;
  int64_t kSplit = 1;
  int64_t stages = 1;
  int64_t rows = 1;
  ChunkedParams chunked;

  SpecBuffers buffers;
};

LogicalResult SpecLowering::checkSchedule() {
  ScanOp scan = info.scan;
  schedule = scan.getScheduleAttr();
  if (!schedule)
    schedule = ScheduleAttr::get(scan.getContext(), ScheduleKind::sequential, 0,
                                 0, 0, 0, 0, 0);
  if (schedule.getKind() == ScheduleKind::chunked_fused ||
      schedule.getKind() == ScheduleKind::chunked_two_pass) {
    chunked.twoPass = schedule.getKind() == ScheduleKind::chunked_two_pass;
    chunked.chunk = schedule.getChunk() ? schedule.getChunk() : 64;
    chunked.vTile = schedule.getVTile() ? schedule.getVTile()
                                        : std::min<int64_t>(info.valueDim, 64);
    chunked.warps = schedule.getWarps() ? schedule.getWarps() : 4;
    chunked.stages = schedule.getStages() ? schedule.getStages() : 1;
    chunked.target = target;
    vTile = chunked.vTile;
    stages = chunked.stages;
    return checkChunkedScan(info, chunked, gpu);
  }
  if (schedule.getKind() != ScheduleKind::sequential)
    return scan.emitOpError()
           << "schedule '" << stringifyScheduleKind(schedule.getKind())
           << "' has no lowering yet; use #recurrence.schedule<sequential>, "
              "<chunked_fused> or <chunked_two_pass>";
  // A lane holds its state row (K floats) and the step's K-vectors in
  // registers.
  if (info.keyDim > 256)
    return scan.emitOpError() << "the sequential schedule keeps a state row "
                                 "in registers and supports K <= 256, got K = "
                              << info.keyDim;
  vTile = schedule.getVTile() ? schedule.getVTile()
                              : std::min<int64_t>(info.valueDim, 128);
  if (info.valueDim % vTile != 0)
    return scan.emitOpError()
           << "v_tile " << vTile << " does not divide V = " << info.valueDim;
  // State rows per lane: each loaded key and query slice serves them all.
  rows = schedule.getRows() ? schedule.getRows() : 1;
  if (vTile % rows != 0)
    return scan.emitOpError()
           << "rows " << rows << " does not divide v_tile " << vTile;
  // Steps whose loads are in flight at once (1: no prefetching).
  stages = schedule.getStages() ? schedule.getStages() : 1;
  // Lanes are loop iterations on the CPU: a row is never split there.
  kSplit = gpu && schedule.getKSplit() ? schedule.getKSplit() : 1;
  if (info.keyDim % kSplit != 0)
    return scan.emitOpError()
           << "k_split " << kSplit << " does not divide K = " << info.keyDim;
  if (vTile / rows * kSplit > 1024)
    return scan.emitOpError()
           << "v_tile / rows * k_split = " << vTile / rows * kSplit
           << " exceeds 1024 lanes per program";
  return success();
}

void SpecLowering::emitConv(OpBuilder &b, ShortConvOp conv) {
  Location loc = conv.getLoc();
  Emitter e{b, loc};
  Value x = memrefOf(conv.getInput());
  Value weight = memrefOf(conv.getWeight());
  Value bias = conv.getBias() ? memrefOf(conv.getBias()) : Value();
  Value cache = conv.getCache() ? memrefOf(conv.getCache()) : Value();
  Value y = memrefOf(conv.getOutput());
  int64_t window = cast<MemRefType>(weight.getType()).getDimSize(2);
  Type outElem = cast<MemRefType>(y.getType()).getElementType();
  bool silu = conv.getActivation() == ConvActivation::silu;

  // One lane per channel d; programs over (t, b, h).
  SmallVector<Value> lbs(4, e.idx(0)), steps(4, e.idx(1));
  SmallVector<Value> ubs = {dimOf(b, loc, x, 1), dimOf(b, loc, x, 0),
                            dimOf(b, loc, x, 2), dimOf(b, loc, x, 3)};
  auto loop = scf::ParallelOp::create(
      b, loc, lbs, ubs, steps,
      [&](OpBuilder &nb, Location nloc, ValueRange iv) {
        Emitter n{nb, nloc};
        Value t = iv[0], bi = iv[1], h = iv[2], d = iv[3];
        Value acc = bias ? n.loadScalar(bias, {h, d}) : n.f32(0.0);
        for (int64_t j = 0; j < window; ++j) {
          // x_{t-j}, from the cache (oldest first) or zero before t = 0.
          Value shift = n.idx(j);
          Value inRange = arith::CmpIOp::create(
              nb, nloc, arith::CmpIPredicate::sge, t, shift);
          auto select =
              scf::IfOp::create(nb, nloc, TypeRange{nb.getF32Type()}, inRange,
                                /*withElseRegion=*/true);
          {
            OpBuilder::InsertionGuard guard(nb);
            nb.setInsertionPointToStart(select.thenBlock());
            Value ti = arith::SubIOp::create(nb, nloc, t, shift);
            scf::YieldOp::create(nb, nloc, n.loadScalar(x, {bi, ti, h, d}));
            nb.setInsertionPointToStart(select.elseBlock());
            Value prior = n.f32(0.0);
            if (cache) {
              // t - j < 0: cache row (W - 1) + (t - j).
              Value row = arith::SubIOp::create(
                  nb, nloc,
                  arith::AddIOp::create(nb, nloc, t, n.idx(window - 1)), shift);
              prior = n.loadScalar(cache, {bi, row, h, d});
            }
            scf::YieldOp::create(nb, nloc, prior);
          }
          Value wj = n.loadScalar(weight, {h, d, n.idx(j)});
          acc = n.add(acc, n.mul(wj, select.getResult(0)));
        }
        if (silu)
          acc = n.silu(acc);
        memref::StoreOp::create(nb, nloc, n.fromF32(acc, outElem), y,
                                ValueRange{bi, t, h, d});
      });
  setLoopRoles(loop, {"program", "program", "program", "lane"});
}

void SpecLowering::emitSequentialScan(OpBuilder &b) {
  ScanOp scan = info.scan;
  Location loc = scan.getLoc();
  Emitter e{b, loc};
  const int64_t kDim = info.keyDim;
  Value q = memrefOf(info.query);
  Value out = memrefOf(scan.getOutput());
  Value init = info.initialState ? memrefOf(info.initialState) : Value();
  Value fin = scan.getFinalState() ? memrefOf(scan.getFinalState()) : Value();
  Type outElem = cast<MemRefType>(out.getType()).getElementType();
  bool kv = info.layout == StateLayout::kv;
  // Each lane holds `slice` entries of its row, from key index k0 on.
  const int64_t slice = kDim / kSplit;
  VectorType rowType = VectorType::get({slice}, b.getF32Type());

  // Programs over (h, b, v-tile); lanes over (k-part, row in the tile), the
  // k-part fastest so that the lanes of a row are neighbours in a warp.
  SmallVector<Value> ubs = {dimOf(b, loc, q, 2), dimOf(b, loc, q, 0),
                            e.idx(info.valueDim / vTile)};
  SmallVector<StringRef> roles = {"program", "program", "program"};
  if (kSplit > 1) {
    ubs.push_back(e.idx(kSplit));
    roles.push_back("lane");
  }
  ubs.push_back(e.idx(vTile / rows));
  roles.push_back("lane");
  // Row j of a lane is v = tile * v_tile + j * (v_tile / rows) + lane, so
  // that neighbouring lanes store neighbouring outputs.
  const int64_t rowStride = vTile / rows;
  SmallVector<Value> lbs(ubs.size(), e.idx(0)), steps(ubs.size(), e.idx(1));
  auto loop = scf::ParallelOp::create(
      b, loc, lbs, ubs, steps,
      [&](OpBuilder &nb, Location nloc, ValueRange iv) {
        Emitter n{nb, nloc};
        Value h = iv[0], bi = iv[1];
        Value part = kSplit > 1 ? iv[3] : n.idx(0);
        Value vBase = arith::AddIOp::create(
            nb, nloc, arith::MulIOp::create(nb, nloc, iv[2], n.idx(vTile)),
            iv.back());
        SmallVector<Value> vs;
        for (int64_t j = 0; j < rows; ++j)
          vs.push_back(j == 0 ? vBase
                              : arith::AddIOp::create(nb, nloc, vBase,
                                                      n.idx(j * rowStride))
                                    .getResult());
        Value k0 = arith::MulIOp::create(nb, nloc, part, n.idx(slice));
        auto kAt = [&](OpBuilder &ab, Location aloc, int64_t k) -> Value {
          return arith::AddIOp::create(
              ab, aloc, k0, arith::ConstantIndexOp::create(ab, aloc, k));
        };

        // The lane's rows of S_{-1}.
        SmallVector<Value> s0;
        for (Value v : vs) {
          if (!init) {
            s0.push_back(arith::ConstantOp::create(
                nb, nloc,
                DenseElementsAttr::get(rowType, nb.getF32FloatAttr(0))));
          } else if (kv) {
            SmallVector<Value> elems;
            for (int64_t k = 0; k < slice; ++k)
              elems.push_back(n.loadScalar(init, {bi, h, kAt(nb, nloc, k), v}));
            s0.push_back(
                vector::FromElementsOp::create(nb, nloc, rowType, elems));
          } else {
            s0.push_back(n.loadVector(init, {bi, h, v, k0}, slice));
          }
        }

        Value numSteps = dimOf(nb, nloc, q, 1);

        // Every distinct load of step t, in storage precision: a buffer used
        // twice (Gated DeltaNet's k is both w and k^(1)) is loaded once. None
        // depends on the state, so they can be issued steps ahead.
        // A BTHV slot holds one value per row of the lane, consecutively.
        enum class At { BTH, BTHV, Row };
        SmallVector<std::pair<Value, At>> slots;
        SmallVector<size_t> slotStart;
        size_t numLoads = 0;
        auto slotOf = [&](Value tensor, At at) -> size_t {
          Value memref = memrefOf(tensor);
          for (auto [i, slot] : llvm::enumerate(slots))
            if (slot.first == memref && slot.second == at)
              return slotStart[i];
          slots.push_back({memref, at});
          slotStart.push_back(numLoads);
          numLoads += at == At::BTHV ? rows : 1;
          return slotStart.back();
        };
        // The plan, in the order the compute phase uses the inputs.
        size_t gSlot = 0, wSlot = 0, betaSlot = 0, anchorSlot = 0,
               valueSlot = 0;
        SmallVector<size_t> gainSlots, valueSlots, gateSlots, keySlots;
        if (info.logDecay)
          gSlot =
              slotOf(info.logDecay,
                     info.family == ForgetFamily::diagonal ? At::Row : At::BTH);
        if (info.family == ForgetFamily::delta) {
          wSlot = slotOf(info.eraseKey, At::Row);
          betaSlot = slotOf(info.eraseStrength, At::BTH);
        }
        if (info.refine) {
          anchorSlot = slotOf(info.refine.getAnchor(), At::BTHV);
          valueSlot = slotOf(info.refine.getValue(), At::BTHV);
          for (Value gain : info.refine.getGains())
            gainSlots.push_back(slotOf(gain, At::BTHV));
        } else {
          for (Value value : info.values)
            valueSlots.push_back(slotOf(value, At::BTHV));
        }
        for (Value gate : info.injectGates)
          gateSlots.push_back(slotOf(gate, At::BTH));
        for (Value key : info.keys)
          keySlots.push_back(slotOf(key, At::Row));
        size_t qSlot = slotOf(info.query, At::Row);

        auto loadStep = [&](OpBuilder &lb, Location lloc,
                            Value t) -> SmallVector<Value> {
          Emitter l{lb, lloc};
          SmallVector<Value> in;
          for (auto [memref, at] : slots) {
            if (at == At::Row)
              in.push_back(l.loadRawVector(memref, {bi, t, h, k0}, slice));
            else if (at == At::BTHV)
              for (Value v : vs)
                in.push_back(memref::LoadOp::create(lb, lloc, memref,
                                                    ValueRange{bi, t, h, v}));
            else
              in.push_back(memref::LoadOp::create(lb, lloc, memref,
                                                  ValueRange{bi, t, h}));
          }
          return in;
        };

        // One step on the loaded inputs: forget, inject, read out at t.
        auto computeRow = [&](OpBuilder &fb, Location floc, Value t, Value s,
                              ValueRange in, int64_t j) -> Value {
          Value v = vs[j];
          Emitter f{fb, floc};
          auto take = [&](size_t slot) { return f.toF32(in[slot]); };
          // Per-row values sit j places after their slot's start.
          auto takeRow = [&](size_t slot) { return f.toF32(in[slot + j]); };
          // <x, y> over the whole row: the lanes of a row combine their
          // partial sums.
          auto rowDot = [&](Value x, Value y) {
            Value sum = f.dot(x, y);
            for (int64_t offset = kSplit / 2; offset >= 1; offset /= 2) {
              auto shuffle = gpu::ShuffleOp::create(
                  fb, floc, sum, static_cast<int32_t>(offset),
                  static_cast<int32_t>(32), gpu::ShuffleMode::XOR);
              sum = f.add(sum, shuffle.getShuffleResult());
            }
            return sum;
          };

          // Forget: s <- s A_t.
          Value g = info.logDecay ? take(gSlot) : Value();
          switch (info.family) {
          case ForgetFamily::identity:
            break;
          case ForgetFamily::scalar:
            s = f.mul(s, f.splat(f.exp(g), slice));
            break;
          case ForgetFamily::diagonal:
            s = f.mul(s, f.exp(g));
            break;
          case ForgetFamily::delta: {
            Value w = take(wSlot);
            Value beta = take(betaSlot);
            if (info.normalizeEraseKey) {
              Value norm2 = f.add(rowDot(w, w), f.f32(1e-12));
              Value inv =
                  f.div(f.f32(1.0), math::SqrtOp::create(fb, floc, norm2));
              w = f.mul(w, f.splat(inv, slice));
            }
            Value coeff = f.mul(beta, rowDot(s, w));
            s = f.sub(s, f.mul(f.splat(coeff, slice), w));
            if (g)
              s = f.mul(s, f.splat(f.exp(g), slice));
            break;
          }
          }

          // Injection values d_l[v]: loaded, or the refinement path.
          SmallVector<Value> deltas;
          if (info.refine) {
            Value r = f.sub(takeRow(valueSlot), takeRow(anchorSlot));
            for (size_t gainSlot : gainSlots) {
              Value pr = f.mul(takeRow(gainSlot), r);
              Value d = info.refine.getActivation() == Activation::gelu
                            ? f.gelu(pr)
                            : pr;
              deltas.push_back(d);
              r = f.sub(r, d);
            }
          } else {
            for (size_t valueSlot : valueSlots)
              deltas.push_back(takeRow(valueSlot));
          }
          for (auto [l, gateSlot] : llvm::enumerate(gateSlots))
            deltas[l] = f.mul(deltas[l], take(gateSlot));

          // Injection: s <- s + sum_l beta_l d_l k_l.
          for (auto [l, keySlot] : llvm::enumerate(keySlots))
            s = f.add(s, f.mul(f.splat(deltas[l], slice), take(keySlot)));

          // Readout.
          Value o = f.mul(f.f32(info.scale), rowDot(s, take(qSlot)));
          SmallVector<Value> bthv = {bi, t, h, v};
          if (kSplit > 1) {
            // Every lane of the row holds o; the first one stores it.
            Value first = arith::CmpIOp::create(
                fb, floc, arith::CmpIPredicate::eq, part, f.idx(0));
            auto store = scf::IfOp::create(fb, floc, first);
            OpBuilder::InsertionGuard guard(fb);
            fb.setInsertionPointToStart(store.thenBlock());
            memref::StoreOp::create(fb, floc, f.fromF32(o, outElem), out, bthv);
          } else {
            memref::StoreOp::create(fb, floc, f.fromF32(o, outElem), out, bthv);
          }
          return s;
        };
        auto computeStep = [&](OpBuilder &fb, Location floc, Value t,
                               ValueRange states,
                               ValueRange in) -> SmallVector<Value> {
          SmallVector<Value> next;
          for (int64_t j = 0; j < rows; ++j)
            next.push_back(computeRow(fb, floc, t, states[j], in, j));
          return next;
        };

        // Software pipelining: the inputs of the next `ahead` steps are in
        // flight while a step computes. Indices past the end are clamped to
        // T - 1 (loaded, never used), so every load stays in bounds.
        const int64_t ahead = std::max<int64_t>(stages - 1, 0);
        Value last = arith::SubIOp::create(nb, nloc, numSteps, n.idx(1));
        auto clamped = [&](OpBuilder &cb, Location cloc, Value t) {
          return arith::MinSIOp::create(cb, cloc, t, last).getResult();
        };
        SmallVector<Value> init(s0.begin(), s0.end());
        if (ahead > 0) {
          // The first `ahead` steps, only when there is a first step.
          Value any = arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::sgt,
                                            numSteps, n.idx(0));
          SmallVector<Type> types;
          {
            OpBuilder::InsertionGuard guard(nb);
            Block *scratch = new Block();
            nb.setInsertionPointToStart(scratch);
            for (Value val : loadStep(nb, nloc, n.idx(0)))
              types.push_back(val.getType());
            scratch->dropAllDefinedValueUses();
            delete scratch;
          }
          SmallVector<Type> allTypes;
          for (int64_t j = 0; j < ahead; ++j)
            allTypes.append(types);
          auto prologue = scf::IfOp::create(nb, nloc, allTypes, any,
                                            /*withElseRegion=*/true);
          {
            OpBuilder::InsertionGuard guard(nb);
            nb.setInsertionPointToStart(prologue.thenBlock());
            SmallVector<Value> vals;
            for (int64_t j = 0; j < ahead; ++j)
              vals.append(loadStep(nb, nloc, clamped(nb, nloc, n.idx(j))));
            scf::YieldOp::create(nb, nloc, vals);
            nb.setInsertionPointToStart(prologue.elseBlock());
            SmallVector<Value> zeros;
            for (Type type : allTypes)
              zeros.push_back(arith::ConstantOp::create(
                  nb, nloc, cast<TypedAttr>(nb.getZeroAttr(type))));
            scf::YieldOp::create(nb, nloc, zeros);
          }
          init.append(prologue.getResults().begin(),
                      prologue.getResults().end());
        }

        auto walk = scf::ForOp::create(
            nb, nloc, n.idx(0), numSteps, n.idx(1), init,
            [&](OpBuilder &fb, Location floc, Value t, ValueRange carried) {
              ValueRange states = carried.take_front(rows);
              if (ahead == 0) {
                scf::YieldOp::create(
                    fb, floc,
                    computeStep(fb, floc, t, states, loadStep(fb, floc, t)));
                return;
              }
              size_t width = (carried.size() - rows) / ahead;
              Value future = arith::AddIOp::create(
                  fb, floc, t, arith::ConstantIndexOp::create(fb, floc, ahead));
              SmallVector<Value> fresh =
                  loadStep(fb, floc, clamped(fb, floc, future));
              SmallVector<Value> yields =
                  computeStep(fb, floc, t, states, carried.slice(rows, width));
              yields.append(carried.begin() + rows + width, carried.end());
              yields.append(fresh);
              scf::YieldOp::create(fb, floc, yields);
            });

        for (int64_t j = 0; fin && j < rows; ++j) {
          Value s = walk.getResult(j);
          Value v = vs[j];
          if (kv) {
            for (int64_t k = 0; k < slice; ++k) {
              Value elem = vector::ExtractOp::create(nb, nloc, s, k);
              memref::StoreOp::create(nb, nloc, elem, fin,
                                      ValueRange{bi, h, kAt(nb, nloc, k), v});
            }
          } else {
            vector::StoreOp::create(nb, nloc, s, fin, ValueRange{bi, h, v, k0});
          }
        }
      });
  setLoopRoles(loop, roles);
}

LogicalResult SpecLowering::run() {
  if (failed(checkSchedule()))
    return failure();
  TwoPassWorkspaceIndices ws;
  if (chunked.twoPass)
    ws = buffers.addTwoPassWorkspaces(chunked.chunk, chunkedOperandType(info));
  if (failed(buffers.checkSizes()))
    return failure();

  OpBuilder b(func);
  Location loc = func.getLoc();
  func::FuncOp newFunc = buffers.createProgram(b);
  Block *entry = &newFunc.getBody().front();
  bool isChunked = schedule.getKind() == ScheduleKind::chunked_fused ||
                   schedule.getKind() == ScheduleKind::chunked_two_pass;
  newFunc->setAttr(
      "prism.schedule",
      isChunked ? ScheduleAttr::get(func.getContext(), schedule.getKind(),
                                    chunked.chunk, chunked.vTile, 0, 0,
                                    chunked.warps, chunked.stages)
                : ScheduleAttr::get(func.getContext(), schedule.getKind(),
                                    schedule.getChunk(), vTile, kSplit, rows,
                                    schedule.getWarps(), schedule.getStages()));

  b.setInsertionPointToStart(entry);
  for (ShortConvOp conv : info.convs)
    emitConv(b, conv);
  auto argOrNull = [&](int i) {
    return i >= 0 ? entry->getArgument(i) : Value();
  };
  ChunkedWorkspaces workspaces;
  workspaces.states = argOrNull(ws.states);
  workspaces.summaries = argOrNull(ws.summaries);
  workspaces.decays = argOrNull(ws.decays);
  workspaces.values = argOrNull(ws.values);
  workspaces.responses = argOrNull(ws.responses);
  workspaces.erasedKeys = argOrNull(ws.erasedKeys);
  if (isChunked)
    emitChunkedScan(
        b, info, [&](Value tensor) { return memrefOf(tensor); }, gpu, chunked,
        workspaces);
  else
    emitSequentialScan(b);
  func::ReturnOp::create(b, loc);

  func.erase();
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertRecurrenceToSCFPass
    : prism::impl::ConvertRecurrenceToSCFBase<ConvertRecurrenceToSCFPass> {
  using Base::Base;

  void runOnOperation() override {
    if (target != "cpu" && target != "gpu") {
      mlir::emitError(getOperation().getLoc())
          << "prism-convert-recurrence-to-scf: unknown "
             "target '"
          << target << "' (expected cpu or gpu)";
      return signalPassFailure();
    }
    const GPUTarget *gpuTarget = lookupGPUTarget(
        chip, getOperation(), "prism-convert-recurrence-to-scf");
    if (!gpuTarget)
      return signalPassFailure();
    SmallVector<func::FuncOp> specs;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (isRecurrenceSpec(func))
        specs.push_back(func);
    for (func::FuncOp func : specs) {
      FailureOr<RecurrenceInfo> info = analyzeRecurrence(func);
      if (failed(info))
        return signalPassFailure();
      SpecLowering lowering(func, *info, target == "gpu", gpuTarget);
      if (failed(lowering.run()))
        return signalPassFailure();
    }
    // Anything of the dialect left outside a specification is an error.
    WalkResult leftover = getOperation().walk([](Operation *op) {
      if (isa<RecurrenceDialect>(op->getDialect())) {
        op->emitOpError() << "is outside a function that can be lowered";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
