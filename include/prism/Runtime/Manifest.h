//===- Manifest.h - Kernel manifest model and parser ------------*- C++ -*-===//
//
// The in-memory form of docs/manifest.md. No MLIR or CUDA dependency: the
// compiler writes manifests, the runtime and the test harness read them.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_RUNTIME_MANIFEST_H
#define PRISM_RUNTIME_MANIFEST_H

#include "prism/Runtime/StepBody.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prism {
namespace runtime {

enum class DType { F32, F16, BF16, I32, I64 };

/// Size of one element in bytes.
size_t dtypeSize(DType type);
/// "f32", "f16", "bf16", "i32", "i64".
const char *dtypeName(DType type);
std::optional<DType> parseDType(const std::string &name);

/// An integer expression over symbols: integers, names, + - * / ( ),
/// ceildiv(a, b), min(a, b), max(a, b). Stored as text, parsed on evaluation.
struct Expr {
  std::string text;
};

/// Binding of symbol names (dynamic dimensions) to values.
using Bindings = std::map<std::string, int64_t>;

/// Evaluates `expr` under `bindings`. On failure returns false and sets
/// `error` (unknown symbol, syntax error, division by zero, overflow).
bool evaluate(const Expr &expr, const Bindings &bindings, int64_t &result,
              std::string &error);

/// Checks the syntax of `expr` and that every name in it is one of `symbols`,
/// without evaluating it (the manifest parser's check).
bool checkExpr(const Expr &expr, const std::vector<std::string> &symbols,
               std::string &error);

/// Parses "B=2,T=77" (names, '=', non-negative integers, ','-separated) into
/// `bindings`, adding to what is there. Returns false with a message on
/// malformed text.
bool parseBindings(const std::string &text, Bindings &bindings,
                   std::string &error);

/// One dimension of a buffer shape: static, a symbol name, or (workspaces
/// only) an expression over the symbols, e.g. "ceildiv(T, 64)".
struct Dim {
  int64_t value = -1;  ///< Static size, or -1 when symbolic.
  std::string symbol;  ///< Symbol name, or expression text, when value == -1.
  bool isExpr = false; ///< `symbol` is an expression, not a name.
  bool isStatic() const { return value >= 0; }
};

enum class Role { Input, Output, Workspace };
enum class Access { Read, Write, ReadWrite };

struct Buffer {
  std::string name;
  Role role = Role::Input;
  DType dtype = DType::F32;
  std::vector<Dim> shape;
  Access access = Access::Read;
};

struct KernelParam {
  enum class Kind { BufferMemref, BufferPointer, Index };
  Kind kind = Kind::BufferMemref;
  int buffer = -1; ///< For buffer kinds.
  Expr value;      ///< For Index.
};

struct Kernel {
  std::string name;
  std::string schedule;
  Expr grid[3];
  Expr block[3];
  int64_t sharedMemoryBytes = 0;
  std::vector<KernelParam> params;
};

struct ShortConv {
  int input = -1, weight = -1, bias = -1, cache = -1, output = -1;
  std::string activation; ///< "none" or "silu".
};

struct Refine {
  int anchor = -1, value = -1;
  std::vector<int> gains;
  std::string activation; ///< "gelu" or "identity".
};

/// What the program computes (prism-math.md sections 2-3); buffer indices.
/// A state-dependent recurrence (forget "step") sets only the dimensions, the
/// state layout, `inputs`, `step` and the state and output buffers.
struct Recurrence {
  std::string forget; ///< identity | scalar | diagonal | delta | step
  int rank = 1;
  int64_t keyDim = 0, valueDim = 0, heads = 0;
  double scale = 1.0;
  std::string stateLayout = "kv"; ///< kv: [B,H,K,V]; vk: [B,H,V,K]
  int query = -1;
  int logDecay = -1;
  int eraseKey = -1;
  int eraseStrength = -1;
  double eraseBetaMax = 1.0;
  bool normalizeEraseKey = false;
  std::vector<int> keys;
  std::vector<int> values;      ///< Empty when `refine` is set.
  std::vector<int> injectGates; ///< Empty means all gates are 1.
  std::optional<Refine> refine;
  std::vector<ShortConv> shortConvs;
  int initialState = -1;
  int output = -1;
  int finalState = -1;
  /// forget "step": the body's inputs, in the order of its slices, and the
  /// body itself.
  std::vector<int> inputs;
  std::optional<StepBody> step;
};

struct Manifest {
  int version = 1;
  std::string function;
  std::string backend; ///< "cuda" or "cpu"
  std::string module;  ///< PTX file name (cuda).
  std::vector<std::string> symbols;
  std::vector<Buffer> buffers;
  std::vector<Kernel> kernels;
  Recurrence recurrence;

  /// Indices of the buffers a caller passes (every non-workspace buffer), in
  /// order.
  std::vector<int> callerBuffers() const;
};

/// Parses manifest JSON text. On failure returns false and sets `error` to a
/// message that names the offending field.
bool parseManifest(const std::string &json, Manifest &manifest,
                   std::string &error);

/// Binds every symbol from concrete buffer shapes (`shapes[i]` for
/// `manifest.buffers[i]`, workspaces may be empty) and checks every static
/// dimension and rank. Returns false with a message naming the buffer and
/// dimension on mismatch.
bool bindShapes(const Manifest &manifest,
                const std::vector<std::vector<int64_t>> &shapes,
                Bindings &bindings, std::string &error);

/// The concrete shape of buffer `index` under `bindings` (-1 for a symbol
/// that `bindings` lacks, or an expression that cannot be evaluated).
std::vector<int64_t> concreteShape(const Manifest &manifest, int index,
                                   const Bindings &bindings);

/// Reads a whole file; the error names the path and the system's reason.
bool readTextFile(const std::string &path, std::string &contents,
                  std::string &error);

/// Reads and parses the manifest file at `path`; errors name the path.
bool loadManifest(const std::string &path, Manifest &manifest,
                  std::string &error);

/// "B=2,T=77": the manifest's symbols in declaration order, as bound.
std::string formatBindings(const Manifest &manifest, const Bindings &bindings);

/// "[B, T, 4, 64]": a buffer's declared shape, for messages.
std::string formatShape(const Buffer &buffer);

/// Bytes of a row-major tensor of `shape` and `type`. False when a dimension
/// is negative or the size overflows.
bool byteSize(const std::vector<int64_t> &shape, DType type, int64_t &bytes);

} // namespace runtime
} // namespace prism

#endif // PRISM_RUNTIME_MANIFEST_H
