//===- TileGPUOps.cpp - The tilegpu dialect's registration and verifiers --===//
//
// Layout parameters are checked when a layout is built, and every op checks
// that its tiles have a layout that fits them: the lowering to NVVM relies
// on both.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/TileGPU/TileGPUOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace prism::tilegpu;

#include "prism/Dialect/TileGPU/TileGPUOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "prism/Dialect/TileGPU/TileGPUOpsAttrDefs.cpp.inc"

void TileGPUDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "prism/Dialect/TileGPU/TileGPUOpsAttrDefs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "prism/Dialect/TileGPU/TileGPUOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "prism/Dialect/TileGPU/TileGPUOps.cpp.inc"

bool prism::tilegpu::isSharedMemory(MemRefType type) {
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  return space && space.getValue() == gpu::AddressSpace::Workgroup;
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

namespace {
bool isPowerOf2(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

int64_t product(ArrayRef<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values)
    p *= v;
  return p;
}
} // namespace

LogicalResult BlockedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> size,
                                  ArrayRef<int64_t> threads,
                                  ArrayRef<int64_t> warps) {
  if (size.empty() || size.size() > 2 || threads.size() != size.size() ||
      warps.size() != size.size())
    return emitError() << "size, threads and warps must each have one entry "
                          "per dimension (1 or 2)";
  for (int64_t v : size)
    if (v < 1)
      return emitError() << "size entries must be positive, got " << v;
  for (ArrayRef<int64_t> list : {threads, warps})
    for (int64_t v : list)
      if (!isPowerOf2(v))
        return emitError() << "threads and warps must be powers of two, got "
                           << v;
  if (product(threads) != 32)
    return emitError() << "threads must multiply to 32 (a warp), got "
                       << product(threads);
  return success();
}

LogicalResult MmaAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              ArrayRef<int64_t> warps) {
  if (warps.size() != 2)
    return emitError() << "warps must have two entries";
  for (int64_t v : warps)
    if (!isPowerOf2(v))
      return emitError() << "warps must be powers of two, got " << v;
  return success();
}

LogicalResult SliceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t dim, Attribute parent) {
  if (dim != 0 && dim != 1)
    return emitError() << "dim must be 0 or 1, got " << dim;
  if (!isa<BlockedAttr, MmaAttr>(parent))
    return emitError() << "parent must be a blocked or mma layout";
  if (auto blocked = dyn_cast<BlockedAttr>(parent))
    if (blocked.getSize().size() != 2)
      return emitError() << "parent must be a 2-d layout";
  return success();
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

namespace {
/// The tile's layout must fit its shape.
LogicalResult verifyTile(Operation *op, Type type, StringRef what) {
  auto tensor = cast<RankedTensorType>(type);
  if (!tensor.getEncoding())
    return op->emitOpError() << what << " has no layout";
  if (failed(Layout::get(tensor)))
    return op->emitOpError() << what << " layout " << tensor.getEncoding()
                             << " does not fit the shape " << tensor;
  return success();
}

/// Same shape and element type, as tile and shared buffer.
LogicalResult verifyBufferOf(Operation *op, RankedTensorType tile,
                             MemRefType buffer) {
  if (tile.getShape() != buffer.getShape() ||
      tile.getElementType() != buffer.getElementType())
    return op->emitOpError() << "buffer " << buffer
                             << " must have the tile's shape and element type";
  return success();
}

bool isMma(Type type) {
  return isa_and_nonnull<MmaAttr>(cast<RankedTensorType>(type).getEncoding());
}
} // namespace

LogicalResult ConvertOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  if (in.getShape() != out.getShape() ||
      in.getElementType() != out.getElementType())
    return emitOpError() << "must keep the shape and element type";
  if (failed(verifyTile(*this, in, "input")) ||
      failed(verifyTile(*this, out, "result")))
    return failure();
  if (!Layout::get(in)->sameThreadsAndSlots(*Layout::get(out)))
    return emitOpError() << "moves data between threads or slots: such a "
                            "change of layout goes through shared memory";
  return success();
}

LogicalResult AllocOp::verify() {
  if (std::optional<int64_t> offset = getOffset())
    if (*offset < 0 || *offset % 16 != 0)
      return emitOpError() << "offset must be a non-negative multiple of 16, "
                              "got "
                           << *offset;
  return success();
}

LogicalResult LocalStoreOp::verify() {
  if (failed(verifyTile(*this, getValue().getType(), "value")))
    return failure();
  return verifyBufferOf(*this, getValue().getType(), getBuffer().getType());
}

LogicalResult LocalLoadOp::verify() {
  if (failed(verifyTile(*this, getResult().getType(), "result")))
    return failure();
  return verifyBufferOf(*this, getResult().getType(), getBuffer().getType());
}

LogicalResult AsyncCopyOp::verify() {
  auto layout = cast<RankedTensorType>(getLayout());
  if (failed(verifyTile(*this, layout, "layout")) ||
      failed(verifyBufferOf(*this, layout, getDest().getType())))
    return failure();
  auto source = cast<MemRefType>(getSource().getType());
  if (layout.getRank() != 2 || getDims().size() != 2)
    return emitOpError() << "copies 2-d tiles only";
  if (int64_t(getIndices().size()) != source.getRank())
    return emitOpError() << "needs one index per dimension of the source ("
                         << source.getRank() << "), got "
                         << getIndices().size();
  for (int64_t d : getDims())
    if (d < 0 || d >= source.getRank())
      return emitOpError() << "walks dimension " << d << " of a rank-"
                           << source.getRank() << " source";
  if (source.getElementType() != layout.getElementType())
    return emitOpError() << "source elements " << source.getElementType()
                         << " differ from the tile's "
                         << layout.getElementType();
  return success();
}

LogicalResult MmaOp::verify() {
  MemRefType a = getA().getType(), b = getB().getType();
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOpError() << "operands must be 2-d buffers";
  if (a.getElementType() != b.getElementType())
    return emitOpError() << "operands must share an element type";
  int64_t m = getTransposeA() ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = getTransposeA() ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = getTransposeB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = getTransposeB() ? b.getDimSize(0) : b.getDimSize(1);
  if (ka != kb)
    return emitOpError() << "reduction sizes differ: " << ka << " and " << kb;
  RankedTensorType result = getResult().getType();
  if (result.getShape() != ArrayRef<int64_t>{m, n} ||
      !result.getElementType().isF32() || !isMma(result))
    return emitOpError() << "result must be tensor<" << m << "x" << n
                         << "xf32> with an mma layout";
  if (failed(verifyTile(*this, result, "result")))
    return failure();
  if (getAcc() && getAcc().getType() != result)
    return emitOpError() << "accumulator must have the result's type";
  if (!a.getElementType().isF32() && (m % 16 || n % 8 || ka % 16))
    return emitOpError() << "16-bit operands need M, N, K multiples of 16, 8 "
                            "and 16";
  if (getLowerA() && m != ka)
    return emitOpError() << "lower_a needs a square op(a)";
  if (getLower() && (m != n || getAcc()))
    return emitOpError() << "lower needs a square result and no accumulator";
  if (getLower() && getLowerA())
    return emitOpError() << "takes one of lower_a and lower";
  return success();
}

LogicalResult DecayMmaOp::verify() {
  MemRefType a = getA().getType(), b = getB().getType();
  if (getGa().getType().getShape() != a.getShape() ||
      getGb().getType().getShape() != b.getShape() || a.getRank() != 2 ||
      b.getRank() != 2 || a.getDimSize(1) != b.getDimSize(1))
    return emitOpError() << "operands must be [M, K], [N, K] and their "
                            "decays of the same shapes";
  RankedTensorType result = getResult().getType();
  if (result.getShape() !=
          ArrayRef<int64_t>{a.getDimSize(0), b.getDimSize(0)} ||
      !isMma(result))
    return emitOpError() << "result must be M x N with an mma layout";
  return verifyTile(*this, result, "result");
}

LogicalResult ReduceOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t dim = getDim();
  if (dim < 0 || dim >= in.getRank() || !in.getElementType().isF32())
    return emitOpError() << "reduces an f32 tile along one of its dimensions";
  if (failed(verifyTile(*this, in, "input")))
    return failure();
  MemRefType scratch = getScratch().getType();
  int64_t warps = Layout::get(in)->warpsAlong(dim);
  SmallVector<int64_t, 2> shape = {warps};
  if (in.getRank() == 2)
    shape.push_back(in.getDimSize(1 - dim));
  if (scratch.getShape() != ArrayRef<int64_t>(shape) ||
      !scratch.getElementType().isF32())
    return emitOpError() << "scratch must be f32 with one row per warp along "
                            "the reduced dimension ("
                         << warps << ")";
  return success();
}

LogicalResult ScanOp::verify() {
  if (!getBuffer().getType().getElementType().isF32())
    return emitOpError() << "scans f32 buffers only";
  return success();
}

LogicalResult TriInverseOp::verify() {
  MemRefType type = getBuffer().getType();
  if (type.getRank() != 2 || type.getDimSize(0) != type.getDimSize(1))
    return emitOpError() << "needs a square buffer";
  int64_t block = getBlock();
  if (block < 0 || (block > 0 && type.getDimSize(0) % block != 0))
    return emitOpError() << "needs blocks that divide its "
                         << type.getDimSize(0) << " rows, got " << block;
  return success();
}

LogicalResult TriSolveOp::verify() {
  MemRefType l = getL().getType(), t = getT().getType(), r = getR().getType(),
             y = getY().getType(), x = getX().getType();
  Type elem = l.getElementType();
  if (elem.isF32())
    return emitOpError() << "needs 16-bit operands, got " << elem;
  for (MemRefType m : {t, r, y, x})
    if (m.getElementType() != elem)
      return emitOpError() << "needs l, t, r, y and x of one element type";
  if (l.getRank() != 2 || r.getRank() != 2 || y.getRank() != 2 ||
      x.getRank() != 2)
    return emitOpError() << "needs 2-d buffers";
  int64_t n = l.getDimSize(0), width = r.getDimSize(1);
  if (l.getDimSize(1) != n || t.getShape() != l.getShape() || n % 16 != 0)
    return emitOpError() << "needs square l and t of a multiple of 16 rows";
  if (r.getDimSize(0) != n || x.getShape() != r.getShape())
    return emitOpError() << "needs r and x of l's " << n << " rows and one "
                         << "shape";
  if (width % 8 != 0)
    return emitOpError() << "needs a multiple of 8 columns, got " << width;
  if (y.getDimSize(0) != 16 || y.getDimSize(1) != width)
    return emitOpError() << "needs a 16 x " << width << " scratch y";
  return success();
}
