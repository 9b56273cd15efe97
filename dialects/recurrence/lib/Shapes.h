//===- Shapes.h - Shape checks shared by the recurrence verifiers -*- C++
//-*-===//
//
// Diagnostics about ranks and dimensions of [B, T, H, D] operands, worded
// the same way for every op.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_RECURRENCE_LIB_SHAPES_H
#define PRISM_DIALECT_RECURRENCE_LIB_SHAPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <string>

namespace prism::recurrence::shapes {

/// Prints a dimension list as `[B, T, H, K]`-style text with `?` for dynamic.
inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text +=
        mlir::ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
  }
  return text + "]";
}

/// Checks that `value` is a tensor of rank `rank`. `what` names the operand.
inline mlir::LogicalResult checkRank(mlir::Operation *op, mlir::Value value,
                                     llvm::StringRef what, int64_t rank,
                                     llvm::StringRef layout) {
  auto type = llvm::cast<mlir::RankedTensorType>(value.getType());
  if (type.getRank() != rank)
    return op->emitOpError()
           << what << " must have rank " << rank << " (" << layout << "), got "
           << shapeString(type.getShape());
  return mlir::success();
}

/// Checks that the leading `count` dims of `value` equal `expected` exactly
/// (same static size, or both dynamic): the lowerings index every sequence
/// operand with one set of (b, t, h) coordinates.
inline mlir::LogicalResult
checkLeadingDims(mlir::Operation *op, mlir::Value value, llvm::StringRef what,
                 llvm::ArrayRef<int64_t> expected, llvm::StringRef names) {
  auto shape = llvm::cast<mlir::RankedTensorType>(value.getType()).getShape();
  for (size_t i = 0; i < expected.size(); ++i)
    if (shape[i] != expected[i])
      return op->emitOpError() << what << " has shape " << shapeString(shape)
                               << ", but its leading " << names
                               << " dims must match " << shapeString(expected);
  return mlir::success();
}

/// Checks that dim `index` of `value` is static.
inline mlir::LogicalResult checkStaticDim(mlir::Operation *op,
                                          mlir::Value value,
                                          llvm::StringRef what, int64_t index,
                                          llvm::StringRef name) {
  auto shape = llvm::cast<mlir::RankedTensorType>(value.getType()).getShape();
  if (mlir::ShapedType::isDynamic(shape[index]) || shape[index] < 1)
    return op->emitOpError() << what << " must have a static, positive " << name
                             << " dimension, got " << shapeString(shape);
  return mlir::success();
}

inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value value) {
  return llvm::cast<mlir::RankedTensorType>(value.getType()).getShape();
}
} // namespace prism::recurrence::shapes

#endif // PRISM_DIALECT_RECURRENCE_LIB_SHAPES_H
