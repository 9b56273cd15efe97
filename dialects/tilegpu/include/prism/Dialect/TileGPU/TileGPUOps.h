//===- TileGPUOps.h - The GPU mapping of the tile level ---------*- C++ -*-===//
//
// Dialect, layouts and ops of the tilegpu dialect, and the arithmetic of
// layouts: which thread holds which element of a distributed tile.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_TILEGPU_TILEGPUOPS_H
#define PRISM_DIALECT_TILEGPU_TILEGPUOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace prism {
namespace tilegpu {
/// True for a memref in the GPU's workgroup (shared) memory space.
bool isSharedMemory(mlir::MemRefType type);
} // namespace tilegpu
} // namespace prism

#include "prism/Dialect/TileGPU/TileGPUOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "prism/Dialect/TileGPU/TileGPUOpsAttrDefs.h.inc"

#define GET_OP_CLASSES
#include "prism/Dialect/TileGPU/TileGPUOps.h.inc"

namespace prism {
namespace tilegpu {

/// A distributed layout applied to a tile shape: thread (warp w, lane l)
/// holds `numSlots()` elements; slot e is the element at
/// `base(w, l) + offset(e)`. Bases stay inside the tile (a layout that covers
/// the tile more than once wraps, giving copies), offsets are compile-time
/// constants.
class Layout {
public:
  /// The layout of `type` (its encoding), or failure when the encoding is
  /// missing or does not fit the shape (a diagnostic-free check: callers
  /// report).
  static mlir::FailureOr<Layout> get(mlir::RankedTensorType type);
  static mlir::FailureOr<Layout> get(mlir::Attribute encoding,
                                     llvm::ArrayRef<int64_t> shape);

  mlir::Attribute encoding() const { return attr; }
  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t rank() const { return dims.size(); }
  int64_t numSlots() const { return slots.size(); }
  /// Offset of slot `e` along dimension `d`.
  int64_t offset(int64_t e, int64_t d) const { return slots[e][d]; }
  /// The thread's base coordinate along each dimension.
  llvm::SmallVector<mlir::Value> base(mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::Value warp, mlir::Value lane) const;

  /// Lane xor-masks that visit every distinct element along `d` that the
  /// lanes of a warp hold at one slot (for butterfly reductions); and the
  /// number of warps holding distinct elements along `d`.
  llvm::SmallVector<int64_t> laneMasksAlong(int64_t d) const;
  int64_t warpsAlong(int64_t d) const;
  /// Which of those warps (0 .. warpsAlong(d) - 1) the thread's warp is.
  mlir::Value warpAlong(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value warp, int64_t d) const;

  /// True when every thread holds every element.
  bool isReplicated() const;
  /// A number that every thread's base coordinate along `d` is a multiple
  /// of.
  int64_t baseMultiple(int64_t d) const;
  /// True when `other` gives every thread the same elements in the same
  /// slots (a change between the two moves no data).
  bool sameThreadsAndSlots(const Layout &other) const;

private:
  mlir::Attribute attr;
  llvm::SmallVector<int64_t, 2> dims;
  llvm::SmallVector<llvm::SmallVector<int64_t, 2>> slots;
};

/// A blocked layout for `shape` with `warps` warps: `size` elements a thread
/// along each dimension, lanes spread last dimension first.
BlockedAttr blockedLayout(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> shape,
                          llvm::ArrayRef<int64_t> size, int64_t warps);
/// The layout in which every thread holds all of a tile of `rank`.
BlockedAttr replicatedLayout(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<int64_t> shape, int64_t warps);

/// `type` with layout `encoding` (replacing any).
mlir::RankedTensorType withLayout(mlir::RankedTensorType type,
                                  mlir::Attribute encoding);

/// A 2-d shared-memory buffer of `shape`, rows padded by 16 bytes (so that
/// the rows of an 8 x 8 ldmatrix block fall into distinct banks; 32 bytes
/// for 32-bit elements, whose accumulator pairs are 8 bytes), or a 1-d
/// one.
mlir::MemRefType sharedBufferType(llvm::ArrayRef<int64_t> shape,
                                  mlir::Type elem);

} // namespace tilegpu
} // namespace prism

#endif // PRISM_DIALECT_TILEGPU_TILEGPUOPS_H
