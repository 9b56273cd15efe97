//===- SinkToUses.cpp - Tiles computed where they are used ----------------===//
//
// After layouts are assigned, a kernel computes each tile where the schedule
// wrote it: a loaded operand widened to f32 at the top of the chunk body is
// live, in registers, until its last use at the bottom. On the GPU a whole
// 64 x 128 f32 tile is 32 registers a thread at 8 warps, and a chunk body
// holding several such tiles beside a 128 x 128 state spills. This pass
// shortens those live ranges:
//
// - every pure op without regions moves down to just before its first user
//   in its block (never into a loop or branch: it runs as often as before);
// - a cheap op (shared-memory reads, widening and narrowing, products with
//   broadcasts, masks) whose 2-d result has several users is recomputed
//   before each of them instead of being kept: a second read of shared
//   memory costs less than a spill.
//
// - a store of a tile to a global buffer moves up, with the pure ops only
//   it uses, to just after the last op it depends on (an output written at
//   the end of a chunk body is not held through the state update), unless
//   an op in between touches that buffer.
//
// A read of shared memory moves or is repeated only where nothing in
// between writes its buffer, and only where the buffers it keeps alive
// longer still fit the chip's shared memory (else the kernel's reads stay
// where they are). The ops are processed from the last to the
// first of each block, so a chain (read, widen, scale) follows its user.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Dialect/TileGPU/TileGPUOps.h"
#include "prism/Passes.h"
#include "prism/Target/GPUTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace prism {
#define GEN_PASS_DEF_TILEGPUSINKTOUSES
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;

namespace {

bool isTile2d(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 2;
}

/// Ops that may move: pure without regions, or reads of shared memory
/// (when `reads`: moving a read later keeps its buffer alive longer).
bool movable(Operation *op, bool reads) {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0 ||
      op->hasTrait<OpTrait::IsTerminator>())
    return false;
  if (isa<tilegpu::LocalLoadOp>(op))
    return reads;
  return isPure(op) && isa<RankedTensorType>(op->getResult(0).getType());
}

/// Ops cheap enough to compute once per user.
bool cheap(Operation *op) {
  return isa<tilegpu::LocalLoadOp, tilegpu::ConvertOp, tile::BroadcastOp,
             tile::SplatOp, tile::CausalMaskOp, arith::ConstantOp,
             arith::ExtFOp, arith::TruncFOp, arith::MulFOp, arith::AddFOp,
             arith::SubFOp, arith::NegFOp>(op);
}

/// Whether an op in [from, to) of one block (or nested in one) may write
/// `buffer`, or also read it when `reads`.
bool accessedBetween(Value buffer, Operation *from, Operation *to, bool reads) {
  for (Operation *op = from; op && op != to; op = op->getNextNode()) {
    bool accesses = false;
    op->walk([&](Operation *inner) {
      // A wait for copies writes nothing itself: a copy writes its buffer
      // where it is issued, which this walk sees.
      if (isa<tilegpu::AsyncWaitOp>(inner))
        return;
      auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
      if (!effects) {
        // Unknown effects: assume the worst, except for region ops (their
        // bodies are walked), terminators and new buffers.
        accesses |= !isa<tilegpu::AllocOp>(inner) &&
                    inner->getNumRegions() == 0 &&
                    !inner->hasTrait<OpTrait::IsTerminator>();
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &e : list)
        if ((isa<MemoryEffects::Write>(e.getEffect()) ||
             (reads && isa<MemoryEffects::Read>(e.getEffect()))) &&
            (!e.getValue() || e.getValue() == buffer))
          accesses = true;
    });
    if (accesses)
      return true;
  }
  return false;
}

/// Whether `op` may be placed just before `at` (later in its block).
bool canPlaceBefore(Operation *op, Operation *at) {
  auto read = dyn_cast<tilegpu::LocalLoadOp>(op);
  return !read ||
         !accessedBetween(read.getBuffer(), op->getNextNode(), at, false);
}

/// Moves each tile.store of `block`, with the pure ops only it uses, up to
/// just after the last op it depends on: its tile stops being live (an
/// output written at the end of a chunk body would otherwise be held
/// through the state update).
void hoistStores(Block &block) {
  SmallVector<tile::StoreOp> stores;
  for (Operation &op : block)
    if (auto store = dyn_cast<tile::StoreOp>(op))
      stores.push_back(store);
  for (tile::StoreOp store : stores) {
    // The pure ops of this block that only the store (or each other) use.
    llvm::SetVector<Operation *> chain;
    chain.insert(store);
    for (size_t i = 0; i < chain.size(); ++i)
      for (Value operand : chain[i]->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (!def || def->getBlock() != &block || !movable(def, false))
          continue;
        if (llvm::all_of(def->getUsers(),
                         [&](Operation *u) { return chain.contains(u); }))
          chain.insert(def);
      }
    // The last op of the block that the chain depends on.
    Operation *after = nullptr;
    for (Operation *op : chain)
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (def)
          def = block.findAncestorOpInBlock(*def);
        if (def && !chain.contains(def) &&
            (!after || after->isBeforeInBlock(def)))
          after = def;
      }
    if (!after || !after->isBeforeInBlock(store) ||
        accessedBetween(store.getDest(), after->getNextNode(), store, true))
      continue;
    SmallVector<Operation *> ordered(chain.begin(), chain.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *op : llvm::reverse(ordered))
      op->moveAfter(after);
  }
}

void sinkBlock(Block &block, bool reads) {
  hoistStores(block);
  SmallVector<Operation *> ops;
  for (Operation &op : block)
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    for (Region &region : op->getRegions())
      for (Block &inner : region)
        sinkBlock(inner, reads);
    if (!movable(op, reads))
      continue;
    Value result = op->getResult(0);
    // Users as ops of this block, first to last.
    SmallVector<Operation *> users;
    for (Operation *user : result.getUsers())
      if (Operation *at = block.findAncestorOpInBlock(*user))
        users.push_back(at);
    if (users.empty())
      continue;
    llvm::sort(users, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    users.erase(llvm::unique(users), users.end());
    if (cheap(op) && isTile2d(result))
      for (Operation *user : llvm::drop_begin(users)) {
        if (!canPlaceBefore(op, user))
          continue;
        OpBuilder b(user);
        Operation *copy = b.clone(*op);
        result.replaceUsesWithIf(copy->getResult(0), [&](OpOperand &use) {
          return user->isAncestor(use.getOwner());
        });
      }
    Operation *first = users.front();
    if (first != op->getNextNode() && canPlaceBefore(op, first))
      op->moveBefore(first);
  }
}

struct TileGPUSinkToUsesPass
    : prism::impl::TileGPUSinkToUsesBase<TileGPUSinkToUsesPass> {
  using Base::Base;

  void runOnOperation() override {
    const GPUTarget *target =
        lookupGPUTarget(chip, getOperation(), "prism-tile-gpu-sink-to-uses");
    if (!target)
      return signalPassFailure();
    SmallVector<tile::KernelOp> kernels;
    getOperation().walk([&](tile::KernelOp k) { kernels.push_back(k); });
    for (tile::KernelOp kernel : kernels) {
      // Shared-memory reads that move later keep their buffers alive
      // longer: where the kernel's buffers would then exceed the chip's
      // shared memory, only the other ops move.
      for (bool reads : {true, false})
        if (gpumap::rewriteIfFits(kernel, target->sharedBytesPerBlock,
                                  [&](tile::KernelOp copy) {
                                    for (Block &block : copy.getBody())
                                      sinkBlock(block, reads);
                                    return true;
                                  }))
          break;
    }
  }
};

} // namespace
