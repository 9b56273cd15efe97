//===- ProgramAttrs.cpp - Buffers and description of a program ------------===//
//
// Verifiers of the attributes a lowering leaves on its program
// (ProgramAttrs.td): each attribute alone, then, through the dialect's hooks,
// against the function that carries it (every buffer index names an
// argument, every size a dynamic dimension), so that lib/Target can build
// the manifest without checking anything again.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Recurrence/RecurrenceOps.h"
#include "prism/Runtime/StepBody.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace prism::recurrence;

namespace {
/// Whether `text` can be an expression of the manifest: its characters and
/// balanced parentheses (the runtime parses it).
bool isExpression(StringRef text) {
  int depth = 0;
  for (char c : text) {
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (!llvm::isAlnum(c) && !StringRef("_ +-*/,").contains(c))
      return false;
    if (depth < 0)
      return false;
  }
  return depth == 0 && !text.trim().empty();
}

/// Calls `fn` with every buffer index of a program description and the name
/// of its entry.
void forEachIndexOf(int64_t query, ArrayRef<int64_t> keys,
                    ArrayRef<int64_t> values, ArrayRef<int64_t> injectGates,
                    std::optional<int64_t> logDecay,
                    std::optional<int64_t> eraseKey,
                    std::optional<int64_t> eraseStrength,
                    RefineBuffersAttr refine,
                    ArrayRef<ShortConvBuffersAttr> shortConvs,
                    std::optional<int64_t> initialState, int64_t output,
                    std::optional<int64_t> finalState,
                    llvm::function_ref<void(StringRef, int64_t)> fn) {
  auto optional = [&](StringRef name, std::optional<int64_t> index) {
    if (index)
      fn(name, *index);
  };
  auto list = [&](StringRef name, ArrayRef<int64_t> indices) {
    for (int64_t index : indices)
      fn(name, index);
  };
  fn("query", query);
  list("keys", keys);
  list("values", values);
  list("inject_gates", injectGates);
  optional("log_decay", logDecay);
  optional("erase_key", eraseKey);
  optional("erase_strength", eraseStrength);
  if (refine) {
    fn("refine.anchor", refine.getAnchor());
    fn("refine.value", refine.getValue());
    list("refine.gains", refine.getGains());
  }
  for (ShortConvBuffersAttr conv : shortConvs) {
    fn("short_convs.input", conv.getInput());
    fn("short_convs.weight", conv.getWeight());
    optional("short_convs.bias", conv.getBias());
    optional("short_convs.cache", conv.getCache());
    fn("short_convs.output", conv.getOutput());
  }
  optional("initial_state", initialState);
  fn("output", output);
  optional("final_state", finalState);
}

/// The buffer attribute of argument `index` of `func`, if any.
BufferAttr bufferOf(FunctionOpInterface func, unsigned index) {
  return func.getArgAttrOfType<BufferAttr>(index,
                                           RecurrenceDialect::kBufferAttrName);
}

/// Checks a program description (ProgramAttr or StepProgramAttr) against
/// the function that carries it.
template <typename Program>
LogicalResult verifyProgram(func::FuncOp func, Program program) {
  int64_t numBuffers = func.getNumArguments();
  llvm::StringSet<> names;
  for (int64_t i = 0; i < numBuffers; ++i) {
    BufferAttr buffer = bufferOf(func, i);
    if (!buffer)
      return func.emitOpError() << "argument #" << i << " has no '"
                                << RecurrenceDialect::kBufferAttrName
                                << "' although the function has a '"
                                << RecurrenceDialect::kProgramAttrName << "'";
    if (!names.insert(buffer.getName()).second)
      return func.emitOpError()
             << "has two buffers named '" << buffer.getName() << "'";
  }
  std::string error;
  program.forEachIndex([&](StringRef name, int64_t index) {
    if (error.empty() && index >= numBuffers)
      error = ("'" + name + "' refers to buffer " + Twine(index) +
               " but the program has " + Twine(numBuffers) + " buffers")
                  .str();
  });
  if (!error.empty())
    return func.emitOpError() << error;
  for (auto [name, index] : {std::pair<StringRef, std::optional<int64_t>>{
                                 "output", program.getOutput()},
                             {"final_state", program.getFinalState()}})
    if (index && bufferOf(func, *index).getRole() != BufferRole::output)
      return func.emitOpError() << "'" << name << "' is buffer " << *index
                                << " ('" << bufferOf(func, *index).getName()
                                << "'), which is not an output";
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// BufferAttr
//===----------------------------------------------------------------------===//

// What the runtime accepts as a symbol (docs/manifest.md).
bool BufferAttr::isSymbol(StringRef size) {
  return !size.empty() && (llvm::isAlpha(size[0]) || size[0] == '_') &&
         llvm::all_of(size,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

LogicalResult
BufferAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                   StringRef name, BufferRole role, BufferAccess access,
                   ArrayRef<StringAttr> sizes) {
  if (name.empty())
    return emitError() << "buffer name must not be empty";
  for (StringAttr size : sizes) {
    if (!size)
      return emitError() << "buffer '" << name << "' has a null size";
    // Only a workspace's sizes are computed; every other buffer's bind the
    // symbols from the shapes a caller passes.
    if (role != BufferRole::workspace && !isSymbol(size.getValue()))
      return emitError() << "size '" << size.getValue() << "' of "
                         << stringifyBufferRole(role) << " buffer '" << name
                         << "' must be a symbol (an identifier)";
    if (!isSymbol(size.getValue()) && !isExpression(size.getValue()))
      return emitError() << "size '" << size.getValue() << "' of buffer '"
                         << name << "' is neither a symbol nor an expression";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ProgramAttr
//===----------------------------------------------------------------------===//

void ProgramAttr::forEachIndex(
    llvm::function_ref<void(StringRef, int64_t)> fn) const {
  forEachIndexOf(getQuery(), getKeys(), getValues(), getInjectGates(),
                 getLogDecay(), getEraseKey(), getEraseStrength(), getRefine(),
                 getShortConvs(), getInitialState(), getOutput(),
                 getFinalState(), fn);
}

LogicalResult ProgramAttr::verify(
    llvm::function_ref<InFlightDiagnostic()> emitError, ForgetFamily forget,
    int64_t heads, int64_t keyDim, int64_t valueDim, APFloat scale,
    StateLayout stateLayout, int64_t query, ArrayRef<int64_t> keys,
    ArrayRef<int64_t> values, ArrayRef<int64_t> injectGates,
    std::optional<int64_t> logDecay, std::optional<int64_t> eraseKey,
    std::optional<int64_t> eraseStrength, APFloat eraseBetaMaxValue,
    bool normalizeEraseKey, RefineBuffersAttr refine,
    ArrayRef<ShortConvBuffersAttr> shortConvs,
    std::optional<int64_t> initialState, int64_t output,
    std::optional<int64_t> finalState) {
  if (heads < 1 || keyDim < 1 || valueDim < 1)
    return emitError() << "heads, key_dim and value_dim must be positive, got "
                       << heads << ", " << keyDim << ", " << valueDim;
  std::string negative;
  forEachIndexOf(
      query, keys, values, injectGates, logDecay, eraseKey, eraseStrength,
      refine, shortConvs, initialState, output, finalState,
      [&](StringRef name, int64_t index) {
        if (negative.empty() && index < 0)
          negative = ("'" + name + "' refers to buffer " + Twine(index)).str();
      });
  if (!negative.empty())
    return emitError() << negative << ": buffer indices are non-negative";
  double eraseBetaMax = eraseBetaMaxValue.convertToDouble();
  size_t rank = keys.size();
  if (rank == 0)
    return emitError() << "a program needs at least one key";
  if (!injectGates.empty() && injectGates.size() != rank)
    return emitError() << "expected one inject gate per key (" << rank
                       << "), got " << injectGates.size();
  if (refine && !values.empty())
    return emitError() << "'values' and 'refine' are exclusive";
  if (!refine && values.size() != rank)
    return emitError() << "expected one value per key (" << rank << "), got "
                       << values.size();
  if (refine && refine.getGains().size() != rank)
    return emitError() << "expected one refine gain per key (" << rank
                       << "), got " << refine.getGains().size();
  bool decay =
      forget == ForgetFamily::scalar || forget == ForgetFamily::diagonal;
  if (decay && !logDecay)
    return emitError() << "forget '" << stringifyForgetFamily(forget)
                       << "' needs 'log_decay'";
  if (forget == ForgetFamily::identity && logDecay)
    return emitError() << "forget 'identity' takes no 'log_decay'";
  bool delta = forget == ForgetFamily::delta;
  if (delta && (!eraseKey || !eraseStrength))
    return emitError() << "forget 'delta' needs 'erase_key' and "
                          "'erase_strength'";
  if (!delta &&
      (eraseKey || eraseStrength || eraseBetaMax != 1.0 || normalizeEraseKey))
    return emitError() << "'erase_*' and 'normalize_erase_key' belong to "
                          "forget 'delta', not '"
                       << stringifyForgetFamily(forget) << "'";
  if (eraseBetaMax != 1.0 && eraseBetaMax != 2.0)
    return emitError() << "erase_beta_max must be 1 or 2, got " << eraseBetaMax;
  return success();
}

//===----------------------------------------------------------------------===//
// StepInstrAttr, StepProgramAttr
//===----------------------------------------------------------------------===//

LogicalResult
StepInstrAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                      StringRef op, ArrayRef<int64_t> args,
                      ArrayRef<int64_t> shape, ArrayRef<APFloat> values) {
  const prism::runtime::StepOpInfo *info =
      prism::runtime::lookupStepOp({op.data(), op.size()});
  if (!info)
    return emitError() << "unknown step op '" << op << "'";
  if (static_cast<int64_t>(args.size()) != info->arity)
    return emitError() << "step op '" << op << "' takes " << info->arity
                       << " arguments, got " << args.size();
  if (llvm::any_of(args, [](int64_t a) { return a < 0; }))
    return emitError() << "step op '" << op << "' has a negative argument";
  if (shape.size() > 2 || llvm::any_of(shape, [](int64_t d) { return d < 1; }))
    return emitError() << "step op '" << op
                       << "' has a shape that is not an f32, a vector or a "
                          "matrix";
  bool constant = info->kind == prism::runtime::StepOpKind::Constant;
  if (constant != !values.empty())
    return emitError() << (constant ? "a step constant needs 'values'"
                                    : "only a step constant has 'values'");
  return success();
}

void StepProgramAttr::forEachIndex(
    llvm::function_ref<void(StringRef, int64_t)> fn) const {
  for (int64_t index : getInputs())
    fn("inputs", index);
  if (getInitialState())
    fn("initial_state", *getInitialState());
  fn("output", getOutput());
  if (getFinalState())
    fn("final_state", *getFinalState());
  for (ShortConvBuffersAttr conv : getShortConvs()) {
    fn("short_convs.input", conv.getInput());
    fn("short_convs.weight", conv.getWeight());
    if (conv.getBias())
      fn("short_convs.bias", *conv.getBias());
    if (conv.getCache())
      fn("short_convs.cache", *conv.getCache());
    fn("short_convs.output", conv.getOutput());
  }
}

LogicalResult StepProgramAttr::verify(
    llvm::function_ref<InFlightDiagnostic()> emitError, int64_t heads,
    int64_t keyDim, int64_t valueDim, StateLayout, ArrayRef<int64_t> inputs,
    std::optional<int64_t> initialState, int64_t output,
    std::optional<int64_t> finalState, ArrayRef<ShortConvBuffersAttr> convs,
    ArrayRef<StepInstrAttr> body, int64_t yieldState, int64_t yieldOutput) {
  if (heads < 1 || keyDim < 1 || valueDim < 1)
    return emitError() << "heads, key_dim and value_dim must be positive, got "
                       << heads << ", " << keyDim << ", " << valueDim;
  if (inputs.empty())
    return emitError() << "a step program reads at least one input";
  if (llvm::any_of(inputs, [](int64_t i) { return i < 0; }) || output < 0 ||
      initialState.value_or(0) < 0 || finalState.value_or(0) < 0 ||
      llvm::any_of(convs, [](ShortConvBuffersAttr c) {
        return !c || c.getInput() < 0 || c.getWeight() < 0 ||
               c.getOutput() < 0 || c.getBias().value_or(0) < 0 ||
               c.getCache().value_or(0) < 0;
      }))
    return emitError() << "buffer indices are non-negative";
  int64_t known = 1 + inputs.size();
  for (auto [n, instr] : llvm::enumerate(body)) {
    if (!instr)
      return emitError() << "step instruction " << n << " is null";
    for (int64_t arg : instr.getArgs())
      if (arg >= known)
        return emitError() << "step instruction " << n << " ('" << instr.getOp()
                           << "') reads value " << arg
                           << ", which is not defined before it";
    ++known;
  }
  for (int64_t yielded : {yieldState, yieldOutput})
    if (yielded < 0 || yielded >= known)
      return emitError() << "yielded value " << yielded
                         << " is not a value of the body";
  return success();
}

//===----------------------------------------------------------------------===//
// Dialect hooks
//===----------------------------------------------------------------------===//

LogicalResult RecurrenceDialect::verifyOperationAttribute(Operation *op,
                                                          NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == kBufferAttrName || name == kNameAttrName)
    return op->emitError() << "'" << name
                           << "' is an attribute of function arguments";
  if (name != kProgramAttrName)
    return op->emitError() << "unknown attribute '" << name << "'";
  if (auto step = dyn_cast<StepProgramAttr>(attr.getValue())) {
    if (failed(StepProgramAttr::verify(
            [&] { return op->emitError(); }, step.getHeads(), step.getKeyDim(),
            step.getValueDim(), step.getStateLayout(), step.getInputs(),
            step.getInitialState(), step.getOutput(), step.getFinalState(),
            step.getShortConvs(), step.getBody(), step.getYieldState(),
            step.getYieldOutput())))
      return failure();
    if (auto func = dyn_cast<func::FuncOp>(op))
      return verifyProgram(func, step);
    return success();
  }
  auto program = dyn_cast<ProgramAttr>(attr.getValue());
  if (!program)
    return op->emitError() << "'" << name
                           << "' must be a #recurrence.program or "
                              "#recurrence.step_program attribute";
  // An attribute built in C++ without getChecked has not been verified.
  auto emitError = [&] { return op->emitError(); };
  if (failed(ProgramAttr::verify(
          emitError, program.getForget(), program.getHeads(),
          program.getKeyDim(), program.getValueDim(), program.getScale(),
          program.getStateLayout(), program.getQuery(), program.getKeys(),
          program.getValues(), program.getInjectGates(), program.getLogDecay(),
          program.getEraseKey(), program.getEraseStrength(),
          program.getEraseBetaMax(), program.getNormalizeEraseKey(),
          program.getRefine(), program.getShortConvs(),
          program.getInitialState(), program.getOutput(),
          program.getFinalState())))
    return failure();
  if (!isa<FunctionOpInterface>(op))
    return op->emitError() << "'" << name
                           << "' describes a lowered program (a function), "
                              "not '"
                           << op->getName() << "'";
  // Other function ops (the llvm.func of the CPU backend) keep the
  // attribute but not the memref arguments its indices refer to.
  if (auto func = dyn_cast<func::FuncOp>(op))
    return verifyProgram(func, program);
  return success();
}

LogicalResult RecurrenceDialect::verifyRegionArgAttribute(Operation *op,
                                                          unsigned region,
                                                          unsigned argIndex,
                                                          NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == kNameAttrName) {
    auto text = dyn_cast<StringAttr>(attr.getValue());
    if (!text || text.getValue().empty())
      return op->emitError() << "'" << name << "' of argument #" << argIndex
                             << " must be a non-empty string";
    return success();
  }
  if (name != kBufferAttrName)
    return op->emitError() << "unknown argument attribute '" << name << "'";
  auto buffer = dyn_cast<BufferAttr>(attr.getValue());
  if (!buffer)
    return op->emitError() << "'" << name << "' of argument #" << argIndex
                           << " must be a #recurrence.buffer attribute";
  if (failed(BufferAttr::verify([&] { return op->emitError(); },
                                buffer.getName(), buffer.getRole(),
                                buffer.getAccess(), buffer.getSizes())))
    return failure();
  Type type;
  if (auto func = dyn_cast<FunctionOpInterface>(op))
    type = func.getArgumentTypes()[argIndex];
  else if (!op->getRegion(region).empty())
    type = op->getRegion(region).getArgument(argIndex).getType();
  auto memref = dyn_cast_or_null<MemRefType>(type);
  if (!memref)
    return op->emitError() << "buffer '" << buffer.getName() << "' (argument #"
                           << argIndex << ") must be a memref, got " << type;
  Type elem = memref.getElementType();
  if (!elem.isF32() && !elem.isF16() && !elem.isBF16() &&
      !elem.isSignlessInteger(32) && !elem.isSignlessInteger(64))
    return op->emitError() << "buffer '" << buffer.getName()
                           << "' has element type " << elem
                           << "; a manifest knows f32, f16, bf16, i32, i64";
  if (buffer.getSizes().size() != memref.getNumDynamicDims())
    return op->emitError() << "buffer '" << buffer.getName() << "' of type "
                           << memref << " has " << memref.getNumDynamicDims()
                           << " dynamic dimensions but "
                           << buffer.getSizes().size() << " sizes";
  return success();
}
