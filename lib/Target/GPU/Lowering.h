//===- Lowering.h - Tiles with layouts to per-thread code -------*- C++ -*-===//
//
// What the patterns of prism-convert-tile-to-gpu share: a tile with a
// layout becomes, in every thread, a vector of the elements that thread
// holds (slot order, tilegpu::Layout); the helpers here address those
// elements in buffers, 16 bytes at a time where the layout and the buffer
// allow.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_LIB_TARGET_GPU_LOWERING_H
#define PRISM_LIB_TARGET_GPU_LOWERING_H

#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Dialect/TileGPU/TileGPUOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/SetVector.h"

namespace prism {
namespace gpumap {

/// A tile with a layout is a vector<slots x element> in each thread.
class TileTypeConverter : public mlir::TypeConverter {
public:
  TileTypeConverter();
};

/// The thread's warp and lane, from gpu.thread_id.
struct Thread {
  mlir::Value warp, lane, tid;
  static Thread at(mlir::OpBuilder &b, mlir::Location loc);
};

mlir::Value indexConst(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
mlir::Value floatConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                       double v);
/// 2^x of an f32 scalar: ex2.approx.ftz (every exponent of the chunked
/// algebra is a non-positive difference; 2^-126 and below flush to zero).
mlir::Value exp2Approx(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// A vector of `n` copies of `v` (n = 1: a vector<1x...>).
mlir::Value splatVector(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        int64_t n);
/// Element `i` of vector `v`; `v` with element `i` replaced.
mlir::Value elementAt(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      int64_t i);
mlir::Value withElement(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        int64_t i, mlir::Value x);

/// The largest multiple of which `v` is known to be (constants, sums and
/// products of them; 1 when nothing is known).
int64_t knownMultiple(mlir::Value v);

/// Slots of a thread's tile in runs that are consecutive along tile
/// dimension `dim` and may be accessed as one vector of `width` elements.
struct SlotRun {
  int64_t first, width;
};
/// Runs of at most `maxWidth` elements whose first coordinate along `dim`
/// is a multiple of their width, given that the addressed position along
/// `dim` starts at a multiple of `startMultiple`.
llvm::SmallVector<SlotRun> slotRuns(const tilegpu::Layout &layout, int64_t dim,
                                    int64_t maxWidth, int64_t startMultiple);

/// Accesses of a tile in a buffer: tile element (i, j) is the buffer
/// element at `indices` advanced by i along buffer dimension `dims[0]` and j
/// along `dims[1]`; with `bound`, rows whose coordinate along `dims[0]` is
/// outside [0, bound) read zero and are not written.
struct TileAccess {
  mlir::Value buffer;
  llvm::SmallVector<mlir::Value> indices;
  llvm::SmallVector<int64_t> dims;
  mlir::Value bound;
};
/// Loads the thread's elements of a tile of `layout` into a vector.
mlir::Value loadTile(mlir::OpBuilder &b, mlir::Location loc,
                     const tilegpu::Layout &layout, mlir::Type elem,
                     const TileAccess &access);
/// Stores the thread's elements `value` of a tile of `layout`.
void storeTile(mlir::OpBuilder &b, mlir::Location loc,
               const tilegpu::Layout &layout, mlir::Value value,
               const TileAccess &access);

/// ldmatrix of `tiles` 8 x 8 matrices of `buffer`: lane l gives the address
/// of row l % 8 of matrix l / 8, which starts at (row0 + rowStep(m), col0 +
/// colStep(m)) of the buffer; the words are the fragment's registers.
llvm::SmallVector<mlir::Value>
ldmatrix(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer,
         mlir::Value lane, mlir::Value row0, mlir::Value col0, int64_t tiles,
         bool trans,
         llvm::function_ref<std::pair<int64_t, int64_t>(int64_t)> stepOf);
/// One mma.sync m16n8k16 of `elem` operands on four f32 accumulators.
void mmaSync(mlir::OpBuilder &b, mlir::Location loc, mlir::Type elem,
             llvm::ArrayRef<mlir::Value> fa, llvm::ArrayRef<mlir::Value> fb,
             llvm::MutableArrayRef<mlir::Value> acc);
/// Slot e of an m16n8 accumulator tile: (g + 8 (e / 2), 2 t + e % 2) for
/// lane 4 g + t.
std::pair<mlir::Value, mlir::Value>
accumulatorAt(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lane,
              mlir::Value row0, mlir::Value col0, int64_t e);

/// Stores a 16-bit tile of an mma layout into a 2-d shared buffer whose
/// rows start at 16-byte boundaries with stmatrix (sm_90), four 8 x 8
/// matrices an instruction; false (nothing emitted) for other tiles.
bool storeMatrices(mlir::OpBuilder &b, mlir::Location loc,
                   const tilegpu::Layout &layout, mlir::Value value,
                   mlir::Value buffer);

/// Patterns of the memory, elementwise and layout ops (MemoryOps.cpp) and
/// of the reductions, products, solves and scans (ComputeOps.cpp).
/// `stmatrix`: the chip has stmatrix (GPUTarget).
void populateMemoryPatterns(TileTypeConverter &converter,
                            mlir::RewritePatternSet &patterns, bool stmatrix);
void populateComputePatterns(TileTypeConverter &converter,
                             mlir::RewritePatternSet &patterns);
/// The matrix products (Products.cpp), added by populateComputePatterns.
void populateProductPatterns(TileTypeConverter &converter,
                             mlir::RewritePatternSet &patterns);
/// The in-place scans and triangular inverse (ColumnOps.cpp), added by
/// populateComputePatterns.
void populateColumnPatterns(TileTypeConverter &converter,
                            mlir::RewritePatternSet &patterns);

/// Pairs of buffers (their tilegpu.alloc ops) that must not share bytes.
/// (A SetVector: the order pairs are found in is the order they are tried.)
using SharedApart =
    llvm::SetVector<std::pair<mlir::Operation *, mlir::Operation *>>;

/// Gives every tilegpu.alloc of `kernel` its offset (buffers live at once,
/// or paired in `apart`, never share bytes) and returns the bytes of shared
/// memory they take.
int64_t packSharedBuffers(tile::KernelOp kernel,
                          const SharedApart *apart = nullptr);

/// Applies `rewrite` to a copy of `kernel` and keeps the copy in its place
/// when `rewrite` changed it (returned true) and its shared buffers still
/// take at most `bytes`; returns whether it did. `kernel` is then the copy
/// (the original is erased).
bool rewriteIfFits(tile::KernelOp &kernel, int64_t bytes,
                   llvm::function_ref<bool(tile::KernelOp)> rewrite);

/// Where a kernel needs the most registers per thread at once, by
/// `measure` (a thread's 32-bit registers for a value of that type): one
/// op's largest result, or the sum of what a loop carries (live through the
/// whole loop). `op` is null for a kernel without tiles.
struct RegisterPeak {
  int64_t registers = 0;
  mlir::Operation *op = nullptr;
  bool carried = false;
};
RegisterPeak registerPeak(tile::KernelOp kernel,
                          llvm::function_ref<int64_t(mlir::Type)> measure);

/// The layout of a tile type (which the verifiers guarantee fits).
tilegpu::Layout layoutOf(mlir::Type tileType);

} // namespace gpumap
} // namespace prism

#endif // PRISM_LIB_TARGET_GPU_LOWERING_H
