//===- AllocateShared.cpp - Shared-memory offsets and barriers ------------===//
//
// Gives every tilegpu.alloc of a kernel its byte offset in the block's
// dynamic shared memory, reusing bytes between buffers whose live ranges do
// not overlap (but keeping apart, while an SM still holds as many blocks,
// two buffers whose reuse alone would need a barrier), refuses a kernel whose
// buffers exceed the chip's shared memory per block or whose tiles exceed its
// registers per thread, and places a block barrier wherever one thread may read
// or overwrite shared bytes another thread wrote or read since the last barrier
// (the ops say what they read and write through their memory effects; an
// asynchronous copy's writes count from the thread's next
// `tilegpu.async_wait`). Loops are handled by assuming that anything their body
// accesses may still be pending when an iteration starts.
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
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace prism {
#define GEN_PASS_DEF_TILEGPUALLOCATESHARED
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::tilegpu;

namespace {

int64_t bytesOf(MemRefType type) {
  int64_t elements = type.getNumElements();
  if (type.getRank() == 2) {
    // Padded rows: the stride of the first dimension.
    SmallVector<int64_t> strides;
    int64_t offset;
    if (succeeded(type.getStridesAndOffset(strides, offset)))
      elements = type.getDimSize(0) * strides[0];
  }
  return elements * type.getElementTypeBitWidth() / 8;
}

//===----------------------------------------------------------------------===//
// Offsets
//===----------------------------------------------------------------------===//

} // namespace

/// Positions of ops in a pre-order walk; a buffer lives from its alloc to
/// its last use, widened to a whole loop that uses it without allocating
/// it inside.
int64_t gpumap::packSharedBuffers(tile::KernelOp kernel,
                                  const SharedApart *apart) {
  DenseMap<Operation *, int64_t> position;
  DenseMap<Operation *, int64_t> loopEnd;
  int64_t next = 0;
  kernel.getBody().walk<WalkOrder::PreOrder>(
      [&](Operation *op) { position[op] = next++; });
  kernel.getBody().walk([&](Operation *op) {
    // Post-order: a region op's end is its last nested op.
    int64_t end = position[op];
    for (Region &region : op->getRegions())
      region.walk(
          [&](Operation *inner) { end = std::max(end, position[inner]); });
    loopEnd[op] = end;
  });

  struct Interval {
    AllocOp alloc;
    int64_t begin, end, bytes, offset = 0;
  };
  SmallVector<Interval> intervals;
  kernel.getBody().walk([&](AllocOp alloc) {
    Interval in{alloc, position[alloc], position[alloc],
                bytesOf(alloc.getType())};
    for (Operation *user : alloc->getUsers()) {
      int64_t end = position[user];
      // A use inside a loop that the alloc is outside of: the whole loop.
      for (Operation *p = user->getParentOp(); p && p != kernel;
           p = p->getParentOp())
        if (isa<LoopLikeOpInterface>(p) && !p->isAncestor(alloc))
          end = std::max(end, loopEnd[p]);
      in.end = std::max(in.end, end);
    }
    intervals.push_back(in);
  });
  // Largest first, each at the lowest offset that overlaps no live buffer.
  llvm::stable_sort(intervals, [](const Interval &x, const Interval &y) {
    return x.bytes > y.bytes;
  });
  int64_t total = 0;
  for (size_t i = 0; i < intervals.size(); ++i) {
    Interval &in = intervals[i];
    int64_t offset = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (size_t j = 0; j < i; ++j) {
        const Interval &other = intervals[j];
        bool live = (in.begin <= other.end && other.begin <= in.end) ||
                    (apart && (apart->contains({in.alloc, other.alloc}) ||
                               apart->contains({other.alloc, in.alloc})));
        bool overlap = offset < other.offset + other.bytes &&
                       other.offset < offset + in.bytes;
        if (live && overlap) {
          offset = llvm::alignTo(other.offset + other.bytes, 16);
          moved = true;
        }
      }
    }
    in.offset = offset;
    total = std::max(total, offset + in.bytes);
    in.alloc.setOffsetAttr(
        IntegerAttr::get(IntegerType::get(kernel.getContext(), 64), offset));
  }
  return total;
}

bool gpumap::rewriteIfFits(tile::KernelOp &kernel, int64_t bytes,
                           llvm::function_ref<bool(tile::KernelOp)> rewrite) {
  OpBuilder b(kernel);
  auto copy = cast<tile::KernelOp>(b.clone(*kernel));
  if (rewrite(copy) && packSharedBuffers(copy) <= bytes) {
    kernel->erase();
    kernel = copy;
    return true;
  }
  copy->erase();
  return false;
}

namespace {

//===----------------------------------------------------------------------===//
// Barriers
//===----------------------------------------------------------------------===//

/// Bytes [begin, end) of the buffer `alloc`.
struct Range {
  int64_t begin, end;
  Operation *alloc;
};

/// Byte ranges of shared memory read and written since the last barrier,
/// and those that asynchronous copies are still writing (they land at the
/// thread's next `tilegpu.async_wait`, whatever barriers come between).
struct Pending {
  SmallVector<Range> reads, writes, inFlight;
  void clear() {
    reads.clear();
    writes.clear();
  }
  void merge(const Pending &other) {
    reads.append(other.reads);
    writes.append(other.writes);
    inFlight.append(other.inFlight);
  }
  static bool overlap(const Range &r, const Range &s) {
    return r.begin < s.end && s.begin < r.end;
  }
  static bool overlaps(ArrayRef<Range> set, const Range &r) {
    return llvm::any_of(set, [&](const Range &s) { return overlap(r, s); });
  }
};

/// The shared byte ranges a buffer value may address: its alloc's, or
/// every alloc a select between buffers may pick (the stages of a pipelined
/// copy).
SmallVector<Range> rangesOf(Value v) {
  if (auto select = v.getDefiningOp<arith::SelectOp>()) {
    auto ranges = rangesOf(select.getTrueValue());
    ranges.append(rangesOf(select.getFalseValue()));
    return ranges;
  }
  auto alloc = v.getDefiningOp<AllocOp>();
  if (!alloc || !alloc.getOffset())
    return {};
  int64_t offset = *alloc.getOffset();
  return {{offset, offset + bytesOf(alloc.getType()), alloc}};
}

/// The op's shared reads and writes.
void accessesOf(Operation *op, Pending &out) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return;
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffects(list);
  for (auto &e : list) {
    Value v = e.getValue();
    if (!v)
      continue;
    for (auto range : rangesOf(v)) {
      if (isa<MemoryEffects::Read>(e.getEffect()))
        out.reads.push_back(range);
      if (isa<MemoryEffects::Write>(e.getEffect()))
        out.writes.push_back(range);
    }
  }
}

class Barriers {
public:
  /// Without `insert`, only finds the barriers: `apart` then gets the pairs
  /// of distinct buffers whose shared bytes alone made one necessary (a
  /// write to bytes that another buffer, since freed, had read since the
  /// last barrier).
  explicit Barriers(bool insert = true, gpumap::SharedApart *apart = nullptr)
      : insert(insert), apart(apart) {}

  /// The barriers placed (or found), each weighed by 64 per enclosing loop.
  int64_t cost() const { return total; }

  /// Places barriers in `block`, entered with `pending`; leaves the
  /// accesses pending at its end in `pending`.
  void run(Block &block, Pending &pending) {
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (isa<gpu::BarrierOp>(op)) {
        pending.clear();
        continue;
      }
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        // An iteration may start with the previous one's accesses pending.
        Pending entry = pending;
        Pending all;
        collect(loop.getBody(), all);
        entry.merge(all);
        run(*loop.getBody(), entry);
        pending.merge(entry);
        pending.merge(all);
        continue;
      }
      if (auto branch = dyn_cast<scf::IfOp>(op)) {
        Pending thenPending = pending, elsePending = pending;
        run(branch.getThenRegion().front(), thenPending);
        if (!branch.getElseRegion().empty())
          run(branch.getElseRegion().front(), elsePending);
        pending = thenPending;
        pending.merge(elsePending);
        continue;
      }
      if (isa<AsyncWaitOp>(op)) {
        pending.writes.append(pending.inFlight);
        pending.inFlight.clear();
        continue;
      }
      Pending here;
      accessesOf(&op, here);
      bool hazard = false, reuse = false;
      for (const Range &r : here.reads)
        hazard |= Pending::overlaps(pending.writes, r);
      for (const Range &w : here.writes) {
        hazard |= Pending::overlaps(pending.writes, w);
        for (const Range &r : pending.reads)
          if (Pending::overlap(w, r)) {
            // A write over the buffer's own reads needs the barrier
            // whatever the offsets; over another buffer's, only because
            // the two share bytes.
            if (r.alloc == w.alloc)
              hazard = true;
            reuse = true;
          }
      }
      if (reuse && !hazard && apart)
        for (const Range &w : here.writes)
          for (const Range &r : pending.reads)
            if (Pending::overlap(w, r) && r.alloc != w.alloc)
              apart->insert({w.alloc, r.alloc});
      if (hazard || reuse) {
        int64_t weight = 1;
        for (Operation *p = op.getParentOp(); p && !isa<tile::KernelOp>(p);
             p = p->getParentOp())
          if (isa<LoopLikeOpInterface>(p))
            weight *= 64;
        total += weight;
        if (insert) {
          OpBuilder b(&op);
          gpu::BarrierOp::create(b, op.getLoc());
        }
        pending.clear();
      }
      // A copy's bytes are written when its wait returns; readers after
      // that wait need a barrier even if one came between.
      if (isa<AsyncCopyOp>(op)) {
        pending.reads.append(here.reads);
        pending.inFlight.append(here.writes);
        continue;
      }
      pending.merge(here);
    }
  }

private:
  bool insert;
  gpumap::SharedApart *apart;
  int64_t total = 0;

  void collect(Block *block, Pending &out) {
    block->walk([&](Operation *op) { accessesOf(op, out); });
  }
};

/// Whether `op` may move up with the store it feeds: it only computes (no
/// memory effects, no regions) and that store's chain is its one use.
bool movesWithStore(Operation *op) {
  return op->getNumRegions() == 0 && isPure(op) && op->hasOneUse();
}

/// Moves each tilegpu.local_store up to just after what it waits for (the
/// ops that compute its tile and cannot move, an earlier use of its
/// buffer), with its buffer's alloc and the single-use pure ops computing
/// the stored tile: stores then gather before the barrier their readers
/// need anyway. Returns whether any moved.
bool hoistSharedStores(tile::KernelOp kernel) {
  SmallVector<LocalStoreOp> stores;
  kernel.walk([&](LocalStoreOp store) { stores.push_back(store); });
  bool moved = false;
  for (LocalStoreOp store : stores) {
    Block *block = store->getBlock();
    auto alloc = store.getBuffer().getDefiningOp<AllocOp>();
    if (!alloc || alloc->getBlock() != block)
      continue;
    // What must stay before the store: the latest op of this block it
    // waits for.
    Operation *floor = nullptr;
    auto wait = [&](Operation *op) {
      if (!floor || floor->isBeforeInBlock(op))
        floor = op;
    };
    SetVector<Operation *> chain;
    SmallVector<Value> work = {store.getValue()};
    while (!work.empty()) {
      Operation *def = work.pop_back_val().getDefiningOp();
      if (!def || def->getBlock() != block || chain.contains(def))
        continue;
      if (!movesWithStore(def)) {
        wait(def);
        continue;
      }
      chain.insert(def);
      llvm::append_range(work, def->getOperands());
    }
    // A barrier already there stays before it (the store would need one
    // of its own above it).
    for (Operation *op = store->getPrevNode(); op; op = op->getPrevNode())
      if (isa<gpu::BarrierOp>(op)) {
        wait(op);
        break;
      }
    // An earlier use of the buffer stays before the store (and so does
    // the alloc then).
    bool usedBefore = false;
    for (Operation *user : alloc->getUsers())
      if (user != store.getOperation())
        if (Operation *inBlock = block->findAncestorOpInBlock(*user);
            inBlock && inBlock->isBeforeInBlock(store)) {
          wait(inBlock);
          usedBefore = true;
        }
    // In program order, the ops that are after the floor, placed right
    // after it (unless they are there already).
    SmallVector<Operation *> move;
    if (!usedBefore)
      move.push_back(alloc);
    for (Operation &op : *block)
      if (chain.contains(&op) && (!floor || floor->isBeforeInBlock(&op)))
        move.push_back(&op);
    move.push_back(store);
    Operation *next = floor ? floor->getNextNode() : &block->front();
    bool inPlace = true;
    for (Operation *op : move) {
      inPlace &= op == next;
      next = op->getNextNode();
    }
    if (inPlace)
      continue;
    Operation *prev = floor;
    for (Operation *op : move) {
      if (prev)
        op->moveAfter(prev);
      else
        op->moveBefore(&block->front());
      prev = op;
    }
    moved = true;
  }
  return moved;
}

/// The barriers the kernel needs, each weighed by 64 per loop around it;
/// `apart` (when given) gets the pairs of distinct buffers whose shared
/// bytes alone made one necessary.
int64_t barrierCost(tile::KernelOp kernel,
                    gpumap::SharedApart *apart = nullptr) {
  Pending pending;
  Barriers barriers(/*insert=*/false, apart);
  barriers.run(kernel.getBody().front(), pending);
  return barriers.cost();
}

/// Keeps apart, within `limit` bytes, the pairs of buffers where one would
/// take bytes the other freed since the last barrier. Returns the
/// kernel's barrier cost; `total` gets its shared bytes.
int64_t spreadBuffers(tile::KernelOp kernel, int64_t limit, int64_t &total) {
  gpumap::SharedApart apart;
  for (int round = 0; round < 4; ++round) {
    gpumap::SharedApart found;
    barrierCost(kernel, &found);
    bool grew = false;
    for (auto pair : found) {
      if (apart.contains(pair))
        continue;
      gpumap::SharedApart trial = apart;
      trial.insert(pair);
      if (gpumap::packSharedBuffers(kernel, &trial) <= limit) {
        apart = std::move(trial);
        grew = true;
      }
    }
    total = gpumap::packSharedBuffers(kernel, &apart);
    if (!grew)
      break;
  }
  return barrierCost(kernel);
}

LogicalResult assignOffsets(tile::KernelOp &kernel, const GPUTarget &target,
                            int64_t &total) {
  total = gpumap::packSharedBuffers(kernel);
  if (total > target.sharedBytesPerBlock)
    return kernel.emitOpError()
           << "needs " << total << " bytes of shared memory per block; "
           << target.chip << " has " << target.sharedBytesPerBlock
           << " (use fewer warps, a smaller chunk or a smaller v_tile)";
  // Shared memory is then spent on fewer barriers, as long as the block's
  // shared memory still lets an SM hold as many blocks: buffers kept apart
  // where reuse alone needs a barrier, with or (where that needs fewer)
  // without the stores gathered early first (their buffers live longer).
  int64_t limit =
      target.sharedBytesForBlocks(target.blocksPerSmByShared(total));
  int64_t cost = spreadBuffers(kernel, limit, total);
  OpBuilder b(kernel);
  auto copy = cast<tile::KernelOp>(b.clone(*kernel));
  int64_t copyTotal = 0;
  if (hoistSharedStores(copy) && gpumap::packSharedBuffers(copy) <= limit &&
      spreadBuffers(copy, limit, copyTotal) < cost) {
    kernel->erase();
    kernel = copy;
    total = copyTotal;
    return success();
  }
  copy->erase();
  // The clone's packing changed nothing of the kernel's own offsets.
  return success();
}

//===----------------------------------------------------------------------===//
// Registers
//===----------------------------------------------------------------------===//

/// 32-bit registers a thread needs for its elements of a tile (0 for other
/// values).
int64_t registersOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getEncoding())
    return 0;
  FailureOr<Layout> layout = Layout::get(tensor);
  if (failed(layout))
    return 0;
  int64_t bits = tensor.getElementTypeBitWidth();
  return (layout->numSlots() * bits + 31) / 32;
}

/// Refuses a kernel whose tiles cannot be held in registers: one tile, or
/// the tiles a loop carries from one iteration to the next (live through the
/// whole loop), beyond the chip's registers per thread. Without this check
/// such a kernel compiles for minutes into spills.
LogicalResult checkRegisters(tile::KernelOp kernel, const GPUTarget &target) {
  gpumap::RegisterPeak peak = gpumap::registerPeak(kernel, registersOf);
  if (peak.registers <= target.registersPerThread)
    return success();
  return peak.op->emitOpError()
         << "needs " << peak.registers << " registers per thread "
         << (peak.carried ? "for the tiles its loop carries" : "for one tile")
         << "; " << target.chip << " has " << target.registersPerThread
         << " (use more warps, a smaller chunk or a smaller v_tile)";
}

struct TileGPUAllocateSharedPass
    : prism::impl::TileGPUAllocateSharedBase<TileGPUAllocateSharedPass> {
  using Base::Base;

  void runOnOperation() override {
    const GPUTarget *target =
        lookupGPUTarget(chip, getOperation(), "prism-tile-gpu-allocate-shared");
    if (!target)
      return signalPassFailure();
    SmallVector<tile::KernelOp> kernels;
    getOperation().walk([&](tile::KernelOp k) { kernels.push_back(k); });
    for (tile::KernelOp kernel : kernels) {
      int64_t total = 0;
      if (failed(checkRegisters(kernel, *target)) ||
          failed(assignOffsets(kernel, *target, total)))
        return signalPassFailure();
      kernel->setAttr(
          "tilegpu.shared_bytes",
          IntegerAttr::get(IntegerType::get(kernel.getContext(), 64), total));
      Pending pending;
      Barriers().run(kernel.getBody().front(), pending);
    }
  }
};

} // namespace

gpumap::RegisterPeak
gpumap::registerPeak(tile::KernelOp kernel,
                     llvm::function_ref<int64_t(Type)> measure) {
  RegisterPeak peak;
  kernel.walk([&](Operation *op) {
    int64_t needed = 0;
    bool carried = false;
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      for (Value value : loop.getRegionIterArgs())
        needed += measure(value.getType());
      carried = true;
    } else {
      for (Value result : op->getResults())
        needed = std::max(needed, measure(result.getType()));
    }
    if (needed > peak.registers)
      peak = {needed, op, carried};
  });
  return peak;
}
