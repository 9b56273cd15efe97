//===- TileOps.cpp - The tile dialect's registration and verifiers --------===//
//
// Every shape rule a target mapping relies on is checked here: a tile program
// that verifies has one meaning, whatever target runs it.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace prism::tile;

#include "prism/Dialect/Tile/TileEnums.cpp.inc"
#include "prism/Dialect/Tile/TileOpsDialect.cpp.inc"

void TileDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "prism/Dialect/Tile/TileOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "prism/Dialect/Tile/TileOps.cpp.inc"

namespace {
ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

/// The shape rules shared by loads and stores: one index per buffer
/// dimension, one distinct buffer dimension per tile dimension, the same
/// element type, and no tile longer than the buffer along a dimension that no
/// bound masks.
LogicalResult verifyAccess(Operation *op, MemRefType memref,
                           RankedTensorType tile, size_t numIndices,
                           ArrayRef<int64_t> dims, bool bounded) {
  if (static_cast<int64_t>(numIndices) != memref.getRank())
    return op->emitOpError() << "has " << numIndices << " indices for a rank-"
                             << memref.getRank() << " buffer";
  if (static_cast<int64_t>(dims.size()) != tile.getRank())
    return op->emitOpError() << "has " << dims.size() << " dims for a rank-"
                             << tile.getRank() << " tile";
  llvm::SmallSet<int64_t, 4> seen;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (d < 0 || d >= memref.getRank())
      return op->emitOpError() << "dims[" << i << "] = " << d
                               << " is not a dimension of the rank-"
                               << memref.getRank() << " buffer";
    if (!seen.insert(d).second)
      return op->emitOpError() << "walks buffer dimension " << d << " twice";
    // Along a bounded dimension the rows outside the buffer are masked.
    int64_t size = memref.getDimSize(d);
    bool masked = bounded && i == 0;
    if (!masked && !ShapedType::isDynamic(size) && tile.getDimSize(i) > size)
      return op->emitOpError()
             << "tile dimension " << i << " (" << tile.getDimSize(i)
             << ") is longer than buffer dimension " << d << " (" << size
             << ")";
  }
  if (memref.getElementType() != tile.getElementType())
    return op->emitOpError()
           << "tile element type " << tile.getElementType()
           << " differs from the buffer's " << memref.getElementType();
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// KernelOp
//===----------------------------------------------------------------------===//

void KernelOp::build(OpBuilder &builder, OperationState &state, StringRef name,
                     ValueRange grid) {
  state.addAttribute(getNameAttrName(state.name), builder.getStringAttr(name));
  state.addOperands(grid);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value extent : grid)
    block->addArgument(builder.getIndexType(), extent.getLoc());
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(block);
  EndOp::create(builder, state.location);
}

LogicalResult KernelOp::verify() {
  if (getGrid().empty() || getGrid().size() > 3)
    return emitOpError() << "needs a grid of 1 to 3 extents, got "
                         << getGrid().size();
  Block &block = getBody().front();
  if (block.getNumArguments() != getGrid().size())
    return emitOpError() << "body has " << block.getNumArguments()
                         << " arguments for a grid of " << getGrid().size()
                         << " extents";
  for (BlockArgument arg : block.getArguments())
    if (!arg.getType().isIndex())
      return emitOpError() << "body argument #" << arg.getArgNumber()
                           << " must be an index, got " << arg.getType();
  StringRef name = getName();
  if (name.empty() ||
      !llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; }))
    return emitOpError() << "name '" << name
                         << "' must be a non-empty identifier";
  return success();
}

//===----------------------------------------------------------------------===//
// LoadOp, StoreOp
//===----------------------------------------------------------------------===//

LogicalResult LoadOp::verify() {
  return verifyAccess(*this, getSource().getType(), getResult().getType(),
                      getIndices().size(), getDims(), bool(getBound()));
}

LogicalResult StoreOp::verify() {
  return verifyAccess(*this, getDest().getType(), getValue().getType(),
                      getIndices().size(), getDims(), bool(getBound()));
}

//===----------------------------------------------------------------------===//
// Products and solves
//===----------------------------------------------------------------------===//

LogicalResult DotOp::verify() {
  ArrayRef<int64_t> a = shapeOf(getA()), b = shapeOf(getB());
  Type aElem = getA().getType().getElementType();
  if (aElem != getB().getType().getElementType())
    return emitOpError() << "operands have element types " << aElem << " and "
                         << getB().getType().getElementType()
                         << "; they must match";
  int64_t m = getTransposeA() ? a[1] : a[0];
  int64_t ka = getTransposeA() ? a[0] : a[1];
  int64_t kb = getTransposeB() ? b[1] : b[0];
  int64_t n = getTransposeB() ? b[0] : b[1];
  if (ka != kb)
    return emitOpError() << "reduces over " << ka << " columns of a but " << kb
                         << " rows of b";
  ArrayRef<int64_t> r = shapeOf(getResult());
  if (r[0] != m || r[1] != n)
    return emitOpError() << "result must be " << m << "x" << n << ", got "
                         << r[0] << "x" << r[1];
  if (getAcc() && getAcc().getType() != getResult().getType())
    return emitOpError() << "accumulator type " << getAcc().getType()
                         << " differs from the result type "
                         << getResult().getType();
  if (getLowerA() && m != ka)
    return emitOpError() << "lower_a needs a square op(a), got " << m << "x"
                         << ka;
  if (getLower() && (m != n || getAcc()))
    return emitOpError() << "lower needs a square result and no accumulator";
  if (getLower() && getLowerA())
    return emitOpError() << "takes one of lower_a and lower";
  return success();
}

LogicalResult DecayDotOp::verify() {
  ArrayRef<int64_t> a = shapeOf(getA()), b = shapeOf(getB());
  if (getA().getType().getElementType() != getB().getType().getElementType())
    return emitOpError() << "operands must share an element type";
  if (a[1] != b[1])
    return emitOpError() << "a has " << a[1] << " channels and b " << b[1];
  if (shapeOf(getGa()) != a)
    return emitOpError() << "ga must have the shape of a";
  if (shapeOf(getGb()) != b)
    return emitOpError() << "gb must have the shape of b";
  ArrayRef<int64_t> r = shapeOf(getResult());
  if (r[0] != a[0] || r[1] != b[0])
    return emitOpError() << "result must be " << a[0] << "x" << b[0];
  return success();
}

LogicalResult TriSolveOp::verify() {
  ArrayRef<int64_t> l = shapeOf(getL()), r = shapeOf(getR());
  if (l[0] != l[1])
    return emitOpError() << "needs a square matrix, got " << l[0] << "x"
                         << l[1];
  if (r[0] != l[0])
    return emitOpError() << "solves " << l[0] << " rows but the right-hand "
                         << "side has " << r[0];
  if (shapeOf(getResult()) != r)
    return emitOpError() << "result must have the right-hand side's shape "
                         << r[0] << "x" << r[1];
  return success();
}

//===----------------------------------------------------------------------===//
// Scans, reductions, broadcasts
//===----------------------------------------------------------------------===//

LogicalResult CumsumOp::verify() {
  // Signed: the attribute's getter is unsigned.
  const int64_t dim = getDim();
  if (dim < 0 || dim >= getInput().getType().getRank())
    return emitOpError() << "dim " << dim << " is not a dimension of "
                         << getInput().getType();
  return success();
}

LogicalResult ReduceOp::verify() {
  // Signed: the attribute's getter is unsigned.
  const int64_t dim = getDim();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (dim < 0 || dim >= static_cast<int64_t>(in.size()))
    return emitOpError() << "dim " << dim << " is not a dimension of "
                         << getInput().getType();
  if (in.size() == 1) {
    if (!getResult().getType().isF32())
      return emitOpError() << "result of a 1-d reduction must be f32";
    return success();
  }
  auto result = dyn_cast<RankedTensorType>(getResult().getType());
  if (!result || result.getRank() != 1 || result.getDimSize(0) != in[1 - dim])
    return emitOpError() << "result must be tensor<" << in[1 - dim] << "xf32>";
  return success();
}

LogicalResult BroadcastOp::verify() {
  // Signed: the attribute's getter is unsigned.
  const int64_t dim = getDim();
  auto in = getInput().getType();
  if (in.getRank() != 1)
    return emitOpError() << "input must be a 1-d tile";
  if (dim < 0 || dim > 1)
    return emitOpError() << "dim must be 0 or 1, got " << dim;
  if (in.getElementType() != getResult().getType().getElementType())
    return emitOpError() << "result element type must be the input's";
  if (shapeOf(getResult())[1 - dim] != in.getDimSize(0))
    return emitOpError() << "result dimension " << 1 - dim
                         << " must be the input's " << in.getDimSize(0);
  return success();
}

LogicalResult SplatOp::verify() {
  if (getScalar().getType() != getResult().getType().getElementType())
    return emitOpError() << "result element type must be the scalar's type";
  return success();
}
