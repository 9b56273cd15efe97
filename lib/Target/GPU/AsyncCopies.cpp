//===- AsyncCopies.cpp - Pipelined loads straight into shared memory ------===//
//
// `prism-tile-pipeline-loads` implements `stages` for any target: a loop
// carries the tiles it loaded one iteration early. On the GPU a carried
// 64 x 128 bf16 tile is 16 registers a thread, live through the whole
// chunk body, only to be stored into shared memory (for the products) at
// the top of the next iteration. This pass, after layouts are assigned,
// turns such a tile into copies that never touch registers:
//
//   two shared buffers before the loop; the first iteration's tile copied
//   into the first (`tilegpu.async_copy`, cp.async) before the loop;
//   iteration i starts the copy of iteration i + 1's tile into the buffer
//   iteration i - 1 read, closes the group and waits for iteration i's
//   (`tilegpu.async_wait {pending = 1}`), and reads its own buffer.
//
// A carried tile qualifies when the loop's only use of it is that store
// into a buffer nothing else writes, and both its first load and the
// in-loop one are `tile.load`s in the branches `prism-tile-pipeline-loads`
// builds. Barriers come from `prism-tile-gpu-allocate-shared`, which sees
// the two buffers as one range. A kernel whose buffers would then exceed
// the chip's shared memory is left as it was.
//
// In a kernel without pipelined loads (`stages = 1`), every `tile.load`
// whose only use is its store into a shared buffer that only products read
// (a tile also wanted in registers keeps its load) becomes a copy into that
// buffer where it was stored, and
// one `async_wait {pending = 0}` goes before the first reader of the
// copied buffers: the loads of a chunk are all in flight at once instead
// of each waiting for the one before it, and never pass through registers.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Dialect/TileGPU/TileGPUOps.h"
#include "prism/Passes.h"
#include "prism/Target/GPUTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace prism {
#define GEN_PASS_DEF_TILEGPUASYNCCOPIES
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;

namespace {

/// The `tile.load` a pipelining branch yields as result `n`, or null.
tile::LoadOp branchLoad(Value v) {
  auto branch = v.getDefiningOp<scf::IfOp>();
  if (!branch || branch.getNumResults() != 1 || !v.hasOneUse())
    return {};
  auto load = branch.thenYield().getOperand(0).getDefiningOp<tile::LoadOp>();
  if (!load || !load->hasOneUse())
    return {};
  return load;
}

/// The carried tile `n` of `loop`: its store into shared memory, when the
/// pass can replace it by copies.
tilegpu::LocalStoreOp candidate(scf::ForOp loop, unsigned n) {
  Value arg = loop.getRegionIterArgs()[n];
  if (!arg.hasOneUse())
    return {};
  auto store = dyn_cast<tilegpu::LocalStoreOp>(*arg.getUsers().begin());
  if (!store || store->getBlock() != loop.getBody())
    return {};
  auto alloc = store.getBuffer().getDefiningOp<tilegpu::AllocOp>();
  if (!alloc || alloc->getBlock() != loop.getBody())
    return {};
  for (Operation *user : alloc->getUsers())
    if (user != store &&
        !isa<tilegpu::LocalLoadOp, tilegpu::MmaOp, tilegpu::DecayMmaOp>(user))
      return {};
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  tile::LoadOp first = branchLoad(loop.getInitArgs()[n]);
  tile::LoadOp next = branchLoad(yield.getOperand(n));
  if (!first || !next || next->getParentOp()->getBlock() != loop.getBody())
    return {};
  return store;
}

/// A branch on `cond` like `load`'s (its ops cloned through `map`) that
/// starts copying the tile into `dest` instead of loading it.
void copyInstead(OpBuilder &b, tile::LoadOp load, Value cond, Value dest,
                 IRMapping map) {
  auto old = cast<scf::IfOp>(load->getParentOp());
  auto branch = scf::IfOp::create(b, old.getLoc(), TypeRange{}, cond,
                                  /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(branch.thenBlock());
  for (Operation &op : old.thenBlock()->without_terminator()) {
    if (&op != load.getOperation()) {
      b.clone(op, map);
      continue;
    }
    SmallVector<Value> indices;
    for (Value i : load.getIndices())
      indices.push_back(map.lookupOrDefault(i));
    Value bound =
        load.getBound() ? map.lookupOrDefault(load.getBound()) : Value();
    tilegpu::AsyncCopyOp::create(b, load.getLoc(), load.getSource(), indices,
                                 load.getDimsAttr(), bound, dest,
                                 TypeAttr::get(load.getResult().getType()));
  }
}

/// Replaces the carried tiles of `loop` that qualify by copies; returns
/// whether there were any.
bool rewrite(scf::ForOp loop) {
  SmallVector<unsigned> carried;
  SmallVector<tilegpu::LocalStoreOp> stores;
  for (unsigned n = 0; n < loop.getNumRegionIterArgs(); ++n)
    if (tilegpu::LocalStoreOp store = candidate(loop, n)) {
      carried.push_back(n);
      stores.push_back(store);
    }
  if (carried.empty())
    return false;
  Location loc = loop.getLoc();
  OpBuilder b(loop);
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());

  // Before the loop: two buffers per tile, the first iteration's copies.
  SmallVector<std::pair<Value, Value>> buffers;
  for (auto [n, store] : llvm::zip(carried, stores)) {
    auto type = cast<MemRefType>(store.getBuffer().getType());
    buffers.push_back({tilegpu::AllocOp::create(b, loc, type, IntegerAttr()),
                       tilegpu::AllocOp::create(b, loc, type, IntegerAttr())});
    tile::LoadOp first = branchLoad(loop.getInitArgs()[n]);
    auto branch = cast<scf::IfOp>(first->getParentOp());
    copyInstead(b, first, branch.getCondition(), buffers.back().first,
                IRMapping());
  }
  tilegpu::AsyncWaitOp::create(b, loc, b.getI64IntegerAttr(1));

  // The loop without those tiles.
  SmallVector<Value> inits;
  for (auto [n, init] : llvm::enumerate(loop.getInitArgs()))
    if (!llvm::is_contained(carried, n))
      inits.push_back(init);
  auto next = scf::ForOp::create(b, loc, loop.getLowerBound(),
                                 loop.getUpperBound(), loop.getStep(), inits);
  // Without carried values the builder adds an empty yield: the body's
  // own comes last.
  if (inits.empty())
    next.getBody()->getTerminator()->erase();
  OpBuilder nb = OpBuilder::atBlockBegin(next.getBody());
  Value iv = next.getInductionVar();
  // Iteration i reads buffer i mod 2 and fills the other.
  Value k = arith::DivUIOp::create(
      nb, loc, arith::SubIOp::create(nb, loc, iv, loop.getLowerBound()),
      loop.getStep());
  // The buffers this iteration fills were read by the previous one.
  gpu::BarrierOp::create(nb, loc);
  Value odd = arith::CmpIOp::create(
      nb, loc, arith::CmpIPredicate::ne,
      arith::RemUIOp::create(nb, loc, k,
                             arith::ConstantIndexOp::create(nb, loc, 2)),
      arith::ConstantIndexOp::create(nb, loc, 0));
  IRMapping map;
  map.map(loop.getInductionVar(), iv);
  for (auto [n, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    auto at = llvm::find(carried, n);
    if (at == carried.end()) {
      unsigned kept =
          n - llvm::count_if(carried, [&](unsigned c) { return c < n; });
      map.map(arg, next.getRegionIterArgs()[kept]);
    }
  }
  for (auto [n, store, pair] : llvm::zip(carried, stores, buffers)) {
    auto [even, other] = pair;
    Value mine = arith::SelectOp::create(nb, loc, odd, other, even);
    Value theirs = arith::SelectOp::create(nb, loc, odd, even, other);
    map.map(store.getBuffer(), mine);
    tile::LoadOp ahead = branchLoad(yield.getOperand(n));
    // The branch's condition and address computations, then the copy.
    auto branch = cast<scf::IfOp>(ahead->getParentOp());
    llvm::SetVector<Operation *> slice;
    for (Value v : branch->getOperands())
      if (Operation *def = v.getDefiningOp();
          def && def->getBlock() == loop.getBody())
        slice.insert(def);
    for (size_t i = 0; i < slice.size(); ++i)
      for (Value v : slice[i]->getOperands())
        if (Operation *def = v.getDefiningOp();
            def && def->getBlock() == loop.getBody())
          slice.insert(def);
    SmallVector<Operation *> ordered(slice.begin(), slice.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *op : ordered)
      if (!map.contains(op->getResult(0)))
        nb.clone(*op, map);
    copyInstead(nb, ahead, map.lookupOrDefault(branch.getCondition()), theirs,
                map);
  }
  tilegpu::AsyncWaitOp::create(nb, loc, nb.getI64IntegerAttr(1));
  llvm::SmallPtrSet<Operation *, 8> dropped;
  for (auto [n, store] : llvm::zip(carried, stores)) {
    dropped.insert(store);
    dropped.insert(store.getBuffer().getDefiningOp());
    dropped.insert(yield.getOperand(n).getDefiningOp());
  }
  for (Operation &op : loop.getBody()->without_terminator())
    if (!dropped.contains(&op) &&
        !(op.getNumResults() == 1 && map.contains(op.getResult(0))))
      nb.clone(op, map);
  SmallVector<Value> results;
  for (auto [n, v] : llvm::enumerate(yield.getOperands()))
    if (!llvm::is_contained(carried, n))
      results.push_back(map.lookupOrDefault(v));
  scf::YieldOp::create(nb, loc, results);
  unsigned kept = 0;
  for (auto [n, result] : llvm::enumerate(loop.getResults()))
    if (!llvm::is_contained(carried, n))
      result.replaceAllUsesWith(next.getResult(kept++));
  SmallVector<Operation *> firsts;
  for (unsigned n : carried)
    firsts.push_back(loop.getInitArgs()[n].getDefiningOp());
  loop.erase();
  for (Operation *op : firsts)
    op->erase();
  return true;
}

/// The op of `block` that is or holds `op`, null if none.
Operation *inBlock(Block *block, Operation *op) {
  while (op && op->getBlock() != block)
    op = op->getParentOp();
  return op;
}

/// Replaces the loads of `kernel` that are only stored into shared buffers
/// by copies into them; returns whether there were any.
bool copyDirectly(tile::KernelOp kernel) {
  bool pipelined = false;
  kernel.walk([&](tilegpu::AsyncCopyOp) { pipelined = true; });
  if (pipelined)
    return false;
  struct Copy {
    tile::LoadOp load;
    tilegpu::LocalStoreOp store;
    Operation *firstReader;
  };
  SmallVector<Copy> copies;
  kernel.walk([&](tile::LoadOp load) {
    if (!load->hasOneUse())
      return;
    auto store = dyn_cast<tilegpu::LocalStoreOp>(*load->getUsers().begin());
    if (!store || store->getBlock() != load->getBlock() ||
        store.getValue() != load.getResult())
      return;
    auto alloc = store.getBuffer().getDefiningOp<tilegpu::AllocOp>();
    if (!alloc || alloc.getType().getElementType() !=
                      load.getResult().getType().getElementType())
      return;
    Operation *first = nullptr;
    for (Operation *user : alloc->getUsers()) {
      if (user == store)
        continue;
      Operation *reader = inBlock(store->getBlock(), user);
      if (!isa<tilegpu::MmaOp, tilegpu::DecayMmaOp>(user) || !reader ||
          !store->isBeforeInBlock(reader))
        return;
      if (!first || reader->isBeforeInBlock(first))
        first = reader;
    }
    if (first)
      copies.push_back({load, store, first});
  });
  for (Copy &copy : copies) {
    tile::LoadOp load = copy.load;
    Value buffer = copy.store.getBuffer();
    OpBuilder b(copy.store);
    Operation *issued = tilegpu::AsyncCopyOp::create(
        b, load.getLoc(), load.getSource(), load.getIndices(),
        load.getDimsAttr(), load.getBound(), buffer,
        TypeAttr::get(load.getResult().getType()));
    // One wait between the copy and its first reader is enough.
    Operation *op = copy.firstReader->getPrevNode();
    while (op != issued && !isa<tilegpu::AsyncWaitOp>(op))
      op = op->getPrevNode();
    if (op == issued) {
      b.setInsertionPoint(copy.firstReader);
      tilegpu::AsyncWaitOp::create(b, load.getLoc(), b.getI64IntegerAttr(0));
    }
    copy.store->erase();
    load->erase();
  }
  return !copies.empty();
}

struct TileGPUAsyncCopiesPass
    : prism::impl::TileGPUAsyncCopiesBase<TileGPUAsyncCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    const GPUTarget *target =
        lookupGPUTarget(chip, getOperation(), "prism-tile-gpu-async-copies");
    if (!target)
      return signalPassFailure();
    SmallVector<tile::KernelOp> kernels;
    getOperation().walk([&](tile::KernelOp k) { kernels.push_back(k); });
    for (tile::KernelOp kernel : kernels) {
      // On a copy first: the second buffers of each stage must not push the
      // kernel past the chip's shared memory (then the loads stay in
      // registers).
      gpumap::rewriteIfFits(
          kernel, target->sharedBytesPerBlock, [](tile::KernelOp copy) {
            SmallVector<scf::ForOp> loops;
            copy.walk([&](scf::ForOp loop) { loops.push_back(loop); });
            bool changed = false;
            for (scf::ForOp loop : loops)
              changed |= rewrite(loop);
            return changed;
          });
      gpumap::rewriteIfFits(kernel, target->sharedBytesPerBlock, copyDirectly);
    }
  }
};

} // namespace
