//===- SpecBuffers.h - The buffers of a lowered specification ---*- C++ -*-===//
//
// Every lowering of a specification turns its tensors into buffers in one
// order (inputs, outputs, workspaces), names them after their uses, and
// describes them and the recurrence on the program (#recurrence.buffer,
// #recurrence.program), from which lib/Target builds the manifest
// (docs/manifest.md). This is that part, shared by the lowerings.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_SPECBUFFERS_H
#define PRISM_CONVERSION_SPECBUFFERS_H

#include "prism/Analysis/RecurrenceInfo.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <string>

namespace prism {

/// One buffer of the lowered program: a function argument, a result turned
/// into an output argument, or a workspace.
struct BufferDesc {
  std::string name;
  recurrence::BufferRole role;
  recurrence::BufferAccess access;
  mlir::MemRefType type;
  /// Symbol names of the dimensions ("" for static ones); a workspace's may
  /// be expressions over them.
  llvm::SmallVector<std::string> dimNames;
};

/// The two-pass schedule's workspaces, as indices into SpecBuffers::buffers
/// (-1: none); see prism/Conversion/ChunkedScan.h.
struct TwoPassWorkspaceIndices {
  int states = -1, summaries = -1, decays = -1, values = -1, responses = -1,
      erasedKeys = -1;
};

/// One dimension of a workspace: a fixed size, a dimension of the query
/// ([B, T, H, K]: 0, 1 or 2), or the number of chunks of T of `value` tokens.
struct WorkspaceDim {
  enum class Kind { fixed, query, chunks };
  Kind kind;
  int64_t value;
  static WorkspaceDim fixed(int64_t size) { return {Kind::fixed, size}; }
  static WorkspaceDim query(int64_t dim) { return {Kind::query, dim}; }
  static WorkspaceDim chunks(int64_t chunk) { return {Kind::chunks, chunk}; }
};

class SpecBuffers {
public:
  /// Collects and names the buffers of `func`: its arguments (inputs), its
  /// results (outputs) and the short convolutions' results (workspaces).
  SpecBuffers(mlir::func::FuncOp func, RecurrenceInfo &info);

  /// Appends a workspace named `name` (made unique) and returns its index.
  int addWorkspace(llvm::StringRef name, llvm::ArrayRef<WorkspaceDim> dims,
                   mlir::Type elem);

  /// Appends the two-pass schedule's workspaces for chunks of `chunk`
  /// tokens, `operandType` the element type of its operands.
  TwoPassWorkspaceIndices addTwoPassWorkspaces(int64_t chunk,
                                               mlir::Type operandType);

  /// Fails, at the function, when a buffer's static sizes alone exceed
  /// 2^63 bytes.
  mlir::LogicalResult checkSizes();

  /// Creates the program before `func`: every buffer an argument (with
  /// `recurrence.buffer`), the recurrence it computes as
  /// `recurrence.program`, an entry block; maps each tensor to its argument
  /// (memrefOf).
  mlir::func::FuncOp createProgram(mlir::OpBuilder &b);

  mlir::Value memrefOf(mlir::Value tensor) const {
    return memrefs.lookup(tensor);
  }
  int indexOf(mlir::Value tensor) const;

  llvm::SmallVector<BufferDesc> buffers;

private:
  void collect();
  void name();
  /// #recurrence.program, or #recurrence.step_program for a step.
  mlir::Attribute programAttr();

  mlir::func::FuncOp func;
  RecurrenceInfo &info;
  /// Tensor values that live in buffers, in buffer order.
  llvm::SmallVector<mlir::Value> tensors;
  llvm::DenseMap<mlir::Value, int> index;
  llvm::DenseMap<mlir::Value, mlir::Value> memrefs;
};

} // namespace prism

#endif // PRISM_CONVERSION_SPECBUFFERS_H
