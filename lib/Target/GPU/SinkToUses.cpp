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
// A read of shared memory moves or is repeated only where nothing in
// between writes its buffer. The ops are processed from the last to the
// first of each block, so a chain (read, widen, scale) follows its user.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Dialect/TileGPU/TileGPUOps.h"
#include "prism/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

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

/// Ops that may move: pure without regions, or reads of shared memory.
bool movable(Operation *op) {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0 ||
      op->hasTrait<OpTrait::IsTerminator>())
    return false;
  if (isa<tilegpu::LocalLoadOp>(op))
    return true;
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
/// the shared buffer `buffer`.
bool writtenBetween(Value buffer, Operation *from, Operation *to) {
  for (Operation *op = from; op && op != to; op = op->getNextNode()) {
    bool writes = false;
    op->walk([&](Operation *inner) {
      auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
      if (!effects) {
        // Unknown effects: assume the worst, except for region ops (their
        // bodies are walked), terminators and new buffers.
        writes |= !isa<tilegpu::AllocOp>(inner) &&
                  inner->getNumRegions() == 0 &&
                  !inner->hasTrait<OpTrait::IsTerminator>();
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &e : list)
        if (isa<MemoryEffects::Write>(e.getEffect()) &&
            (!e.getValue() || e.getValue() == buffer))
          writes = true;
    });
    if (writes)
      return true;
  }
  return false;
}

/// Whether `op` may be placed just before `at` (later in its block).
bool canPlaceBefore(Operation *op, Operation *at) {
  auto read = dyn_cast<tilegpu::LocalLoadOp>(op);
  return !read || !writtenBetween(read.getBuffer(), op->getNextNode(), at);
}

void sinkBlock(Block &block) {
  SmallVector<Operation *> ops;
  for (Operation &op : block)
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    for (Region &region : op->getRegions())
      for (Block &inner : region)
        sinkBlock(inner);
    if (!movable(op))
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
  void runOnOperation() override {
    getOperation().walk([&](tile::KernelOp kernel) {
      for (Block &block : kernel.getBody())
        sinkBlock(block);
    });
  }
};

} // namespace
