//===- Shapes.h - Shape checks shared by the recurrence verifiers -*- C++
//-*-===//
//
// Diagnostics about ranks and dimensions of [B, T, H, D] operands, worded
// the same way for every op.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_RECURRENCE_LIB_SHAPES_H
#define PRISM_DIALECT_RECURRENCE_LIB_SHAPES_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

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

/// The checks a scan and a step share: the output `[B, T, H, V]`, the
/// initial and final states in `layout` (either may be null), and a
/// schedule's tiles against K and V.
inline mlir::LogicalResult
checkOutputAndStates(mlir::Operation *op, llvm::ArrayRef<int64_t> bth,
                     int64_t k, int64_t v, StateLayout layout,
                     mlir::Value output, mlir::Value init, mlir::Value fin,
                     ScheduleAttr schedule) {
  llvm::SmallVector<int64_t> outShape(bth.begin(), bth.end());
  outShape.push_back(v);
  if (mlir::failed(checkRank(op, output, "output", 4, "[B, T, H, V]")) ||
      mlir::failed(
          checkLeadingDims(op, output, "output", outShape, "[B, T, H, V]")))
    return mlir::failure();
  bool kv = layout == StateLayout::kv;
  llvm::SmallVector<int64_t> stateShape = {bth[0], bth[2], kv ? k : v,
                                           kv ? v : k};
  llvm::StringRef names = kv ? "[B, H, K, V]" : "[B, H, V, K]";
  for (auto [value, what] :
       {std::pair{init, "initial_state"}, std::pair{fin, "final_state"}})
    if (value &&
        (mlir::failed(checkRank(op, value, what, 4, names)) ||
         mlir::failed(checkLeadingDims(op, value, what, stateShape, names))))
      return mlir::failure();
  if (schedule) {
    if (int64_t tile = schedule.getVTile(); tile && v % tile != 0)
      return op->emitOpError() << "schedule v_tile " << tile
                               << " does not divide the value width V = " << v;
    if (int64_t split = schedule.getKSplit(); split && k % split != 0)
      return op->emitOpError() << "schedule k_split " << split
                               << " does not divide the key width K = " << k;
  }
  return mlir::success();
}
} // namespace prism::recurrence::shapes

#endif // PRISM_DIALECT_RECURRENCE_LIB_SHAPES_H
