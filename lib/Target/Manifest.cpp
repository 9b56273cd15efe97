//===- Manifest.cpp - Manifests of lowered programs -----------------------===//
//
// Symbols, buffers and the recurrence description of docs/manifest.md, read
// from the attributes of a lowered program. The attributes' verifiers have
// checked every index and size, so this only writes them out.
//
//===----------------------------------------------------------------------===//

#include "prism/Target/Manifest.h"

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

using namespace mlir;
using namespace prism::recurrence;
namespace json = llvm::json;

namespace {
const char *dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isSignlessInteger(32))
    return "i32";
  if (type.isSignlessInteger(64))
    return "i64";
  return "unknown";
}

/// A buffer index; -1 for an absent optional buffer.
int64_t indexOrNone(std::optional<int64_t> index) { return index.value_or(-1); }

json::Array indexArray(ArrayRef<int64_t> indices) {
  return json::Array(indices);
}

json::Array convArray(ArrayRef<ShortConvBuffersAttr> convs) {
  json::Array out;
  for (ShortConvBuffersAttr conv : convs)
    out.push_back(json::Object{
        {"input", conv.getInput()},
        {"weight", conv.getWeight()},
        {"bias", indexOrNone(conv.getBias())},
        {"cache", indexOrNone(conv.getCache())},
        {"activation", stringifyConvActivation(conv.getActivation())},
        {"output", conv.getOutput()}});
  return out;
}

json::Object recurrenceObject(ProgramAttr program) {
  json::Object rec{
      {"forget", stringifyForgetFamily(program.getForget())},
      {"rank", program.getRank()},
      {"key_dim", program.getKeyDim()},
      {"value_dim", program.getValueDim()},
      {"heads", program.getHeads()},
      {"scale", program.getScale().convertToDouble()},
      {"state_layout", stringifyStateLayout(program.getStateLayout())},
      {"query", program.getQuery()},
      {"log_decay", indexOrNone(program.getLogDecay())},
      {"keys", indexArray(program.getKeys())},
      {"inject_gates", indexArray(program.getInjectGates())},
      {"initial_state", indexOrNone(program.getInitialState())},
      {"output", program.getOutput()},
      {"final_state", indexOrNone(program.getFinalState())}};
  if (program.getForget() == ForgetFamily::delta) {
    rec["erase_key"] = indexOrNone(program.getEraseKey());
    rec["erase_strength"] = indexOrNone(program.getEraseStrength());
    rec["erase_beta_max"] = program.getEraseBetaMax().convertToDouble();
    rec["normalize_erase_key"] = program.getNormalizeEraseKey();
  }
  if (RefineBuffersAttr refine = program.getRefine())
    rec["refine"] = json::Object{
        {"anchor", refine.getAnchor()},
        {"value", refine.getValue()},
        {"gains", indexArray(refine.getGains())},
        {"activation", stringifyActivation(refine.getActivation())}};
  else
    rec["values"] = indexArray(program.getValues());
  rec["short_convs"] = convArray(program.getShortConvs());
  return rec;
}
/// A state-dependent program: its buffers and its body (docs/manifest.md,
/// "State-dependent recurrences").
json::Object recurrenceObject(StepProgramAttr program) {
  json::Array ops;
  for (StepInstrAttr instr : program.getBody()) {
    json::Object op{{"op", instr.getOp().str()},
                    {"args", indexArray(instr.getArgs())},
                    {"shape", indexArray(instr.getShape())}};
    if (!instr.getValues().empty()) {
      json::Array values;
      for (const APFloat &v : instr.getValues())
        values.push_back(v.convertToDouble());
      op["values"] = std::move(values);
    }
    ops.push_back(std::move(op));
  }
  return json::Object{
      {"forget", "step"},
      {"key_dim", program.getKeyDim()},
      {"value_dim", program.getValueDim()},
      {"heads", program.getHeads()},
      {"state_layout", stringifyStateLayout(program.getStateLayout())},
      {"inputs", indexArray(program.getInputs())},
      {"initial_state", indexOrNone(program.getInitialState())},
      {"output", program.getOutput()},
      {"final_state", indexOrNone(program.getFinalState())},
      {"short_convs", convArray(program.getShortConvs())},
      {"step", json::Object{{"ops", std::move(ops)},
                            {"state", program.getYieldState()},
                            {"output", program.getYieldOutput()}}}};
}
} // namespace

bool prism::isLoweredProgram(func::FuncOp func) {
  return func->hasAttr(RecurrenceDialect::kProgramAttrName);
}

FailureOr<json::Object> prism::buildManifest(func::FuncOp program,
                                             StringRef backend) {
  Attribute description = program->getAttr(RecurrenceDialect::kProgramAttrName);
  if (!isa_and_nonnull<ProgramAttr, StepProgramAttr>(description))
    return program.emitOpError() << "is not a lowered program: it has no '"
                                 << RecurrenceDialect::kProgramAttrName << "'";
  // Symbols in the order the buffers name them first.
  json::Array symbols, buffers;
  llvm::SmallVector<StringRef> seen;
  for (unsigned i = 0, e = program.getNumArguments(); i < e; ++i) {
    auto buffer = program.getArgAttrOfType<BufferAttr>(
        i, RecurrenceDialect::kBufferAttrName);
    if (!buffer)
      return program.emitOpError() << "argument #" << i << " has no '"
                                   << RecurrenceDialect::kBufferAttrName << "'";
    auto type = cast<MemRefType>(program.getArgumentTypes()[i]);
    ArrayRef<StringAttr> sizes = buffer.getSizes();
    json::Array shape;
    for (int64_t size : type.getShape()) {
      if (!ShapedType::isDynamic(size)) {
        shape.push_back(size);
        continue;
      }
      StringRef name = sizes.front().getValue();
      sizes = sizes.drop_front();
      shape.push_back(name.str());
      if (BufferAttr::isSymbol(name) && !llvm::is_contained(seen, name)) {
        seen.push_back(name);
        symbols.push_back(name.str());
      }
    }
    buffers.push_back(
        json::Object{{"name", buffer.getName().str()},
                     {"role", stringifyBufferRole(buffer.getRole())},
                     {"dtype", dtypeName(type.getElementType())},
                     {"shape", std::move(shape)},
                     {"access", stringifyBufferAccess(buffer.getAccess())}});
  }
  return json::Object{
      {"version", 1},
      {"function", program.getSymName().str()},
      {"backend", backend},
      {"symbols", std::move(symbols)},
      {"buffers", std::move(buffers)},
      {"recurrence", isa<StepProgramAttr>(description)
                         ? recurrenceObject(cast<StepProgramAttr>(description))
                         : recurrenceObject(cast<ProgramAttr>(description))}};
}

std::string prism::printManifest(json::Object manifest) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << json::Value(std::move(manifest));
  return text;
}
