//===- ManifestRecurrence.cpp - The manifest's recurrence section ---------===//
//
// What the program computes (prism-math.md sections 2-3), read after the
// buffers because every operand is a buffer index. Checks what the kernels
// and the oracle rely on: one value (or gain) and at most one gate per key,
// the operands each forget family needs, outputs that are written.
//
//===----------------------------------------------------------------------===//

#include "ManifestReader.h"

#include <cmath>
#include <cstring>

namespace prism {
namespace runtime {
namespace manifest {

namespace {
/// The outputs must be written by the program.
bool checkOutputs(Reader &r, const std::string &path, const Manifest &manifest,
                  const Recurrence &rec) {
  for (const char *key : {"output", "final_state"}) {
    int ref = std::strcmp(key, "output") == 0 ? rec.output : rec.finalState;
    if (ref != -1 && manifest.buffers[ref].role != Role::Output)
      return r.fail(field(path, key), "buffer " + std::to_string(ref) + " (" +
                                          quote(manifest.buffers[ref].name) +
                                          ") is not an output");
  }
  return true;
}

/// The short convolutions that compute some of the recurrence's inputs.
bool parseShortConvs(Reader &r, const JsonValue &value, const std::string &path,
                     Recurrence &rec) {
  const JsonValue::array_t *convs = r.array(value, path, "short_convs", false);
  if (!convs)
    return false;
  for (size_t i = 0; i < convs->size(); ++i) {
    const JsonValue &entry = (*convs)[i];
    std::string convPath = index(field(path, "short_convs"), i);
    ShortConv conv;
    if (!r.object(
            entry, convPath,
            {"input", "weight", "bias", "cache", "activation", "output"}) ||
        !r.bufferRef(entry, convPath, "input", conv.input, true) ||
        !r.bufferRef(entry, convPath, "weight", conv.weight, true) ||
        !r.bufferRef(entry, convPath, "bias", conv.bias, false) ||
        !r.bufferRef(entry, convPath, "cache", conv.cache, false) ||
        !r.choice(entry, convPath, "activation", conv.activation, true,
                  {"none", "silu"}) ||
        !r.bufferRef(entry, convPath, "output", conv.output, true))
      return false;
    rec.shortConvs.push_back(conv);
  }
  return true;
}

/// An array of integers (at least `min` each), or of numbers.
bool integers(Reader &r, const JsonValue &object, const std::string &path,
              const char *key, std::vector<int64_t> &out, int64_t min) {
  const JsonValue::array_t *items = r.array(object, path, key, false);
  if (!items)
    return false;
  for (size_t i = 0; i < items->size(); ++i) {
    const JsonValue &item = (*items)[i];
    if (!item.is_number_integer())
      return r.failType(index(field(path, key), i), "an integer", item);
    if (item.get<int64_t>() < min)
      return r.fail(index(field(path, key), i),
                    "must be >= " + std::to_string(min));
    out.push_back(item.get<int64_t>());
  }
  return true;
}
bool numbers(Reader &r, const JsonValue &object, const std::string &path,
             const char *key, std::vector<double> &out) {
  const JsonValue::array_t *items = r.array(object, path, key, false);
  if (!items)
    return false;
  for (size_t i = 0; i < items->size(); ++i) {
    if (!(*items)[i].is_number())
      return r.failType(index(field(path, key), i), "a number", (*items)[i]);
    out.push_back((*items)[i].get<double>());
  }
  return true;
}

/// A state-dependent recurrence: the step body and its buffers. Shapes are
/// checked by the oracle (StepOracle.h), which knows the inputs' widths.
bool parseStep(Reader &r, const JsonValue &value, const std::string &path,
               const Manifest &manifest, Recurrence &rec) {
  if (!r.object(value, path,
                {"forget", "key_dim", "value_dim", "heads", "state_layout",
                 "inputs", "initial_state", "output", "final_state",
                 "short_convs", "step"}) ||
      !r.integer(value, path, "key_dim", rec.keyDim, true, 1) ||
      !r.integer(value, path, "value_dim", rec.valueDim, true, 1) ||
      !r.integer(value, path, "heads", rec.heads, true, 1) ||
      !r.choice(value, path, "state_layout", rec.stateLayout, false,
                {"kv", "vk"}) ||
      !r.bufferRefs(value, path, "inputs", rec.inputs, true) ||
      !r.bufferRef(value, path, "initial_state", rec.initialState, false) ||
      !r.bufferRef(value, path, "output", rec.output, true) ||
      !r.bufferRef(value, path, "final_state", rec.finalState, false))
    return false;
  if (rec.inputs.empty())
    return r.fail(field(path, "inputs"), "a step reads at least one input");
  const std::string stepPath = field(path, "step");
  const JsonValue *step = r.get(value, path, "step", true);
  if (!step || !r.object(*step, stepPath, {"ops", "state", "output"}))
    return false;
  StepBody body;
  const JsonValue::array_t *ops = r.array(*step, stepPath, "ops", true);
  if (!ops)
    return false;
  int64_t known = 1 + static_cast<int64_t>(rec.inputs.size());
  for (size_t i = 0; i < ops->size(); ++i, ++known) {
    const std::string opPath = index(field(stepPath, "ops"), i);
    const JsonValue &entry = (*ops)[i];
    StepInstr instr;
    if (!r.object(entry, opPath, {"op", "args", "shape", "values"}) ||
        !r.string(entry, opPath, "op", instr.op, true) ||
        !integers(r, entry, opPath, "args", instr.args, 0) ||
        !integers(r, entry, opPath, "shape", instr.shape, 1) ||
        !numbers(r, entry, opPath, "values", instr.values))
      return false;
    const StepOpInfo *info = lookupStepOp(instr.op);
    if (!info)
      return r.fail(field(opPath, "op"), "unknown step op " + quote(instr.op));
    if (static_cast<int>(instr.args.size()) != info->arity)
      return r.fail(field(opPath, "args"),
                    quote(instr.op) + " takes " + std::to_string(info->arity) +
                        " arguments, found " +
                        std::to_string(instr.args.size()));
    for (size_t a = 0; a < instr.args.size(); ++a)
      if (instr.args[a] >= known)
        return r.fail(index(field(opPath, "args"), a),
                      "value " + std::to_string(instr.args[a]) +
                          " is not defined before this op");
    if ((info->kind == StepOpKind::Constant) == instr.values.empty())
      return r.fail(opPath, info->kind == StepOpKind::Constant
                                ? "a constant needs 'values'"
                                : "only a constant has 'values'");
    body.ops.push_back(std::move(instr));
  }
  if (!r.integer(*step, stepPath, "state", body.state, true, 0) ||
      !r.integer(*step, stepPath, "output", body.output, true, 0))
    return false;
  for (auto [key, yielded] :
       {std::pair{"state", body.state}, std::pair{"output", body.output}})
    if (yielded >= known)
      return r.fail(field(stepPath, key),
                    "value " + std::to_string(yielded) + " is not defined");
  rec.step = std::move(body);
  return parseShortConvs(r, value, path, rec) &&
         checkOutputs(r, path, manifest, rec);
}
} // namespace

bool parseRecurrence(Reader &r, const JsonValue &value, const std::string &path,
                     const Manifest &manifest, Recurrence &rec) {
  if (!value.is_object())
    return r.object(value, path, {});
  if (!r.choice(value, path, "forget", rec.forget, true,
                {"identity", "scalar", "diagonal", "delta", "step"}))
    return false;
  if (rec.forget == "step")
    return parseStep(r, value, path, manifest, rec);
  if (!r.object(value, path,
                {"forget",
                 "rank",
                 "key_dim",
                 "value_dim",
                 "heads",
                 "scale",
                 "state_layout",
                 "query",
                 "log_decay",
                 "erase_key",
                 "erase_strength",
                 "erase_beta_max",
                 "normalize_erase_key",
                 "keys",
                 "values",
                 "inject_gates",
                 "refine",
                 "short_convs",
                 "initial_state",
                 "output",
                 "final_state"}))
    return false;
  int64_t rank = -1;
  if (!r.integer(value, path, "rank", rank, false, 1) ||
      !r.integer(value, path, "key_dim", rec.keyDim, true, 1) ||
      !r.integer(value, path, "value_dim", rec.valueDim, true, 1) ||
      !r.integer(value, path, "heads", rec.heads, true, 1) ||
      !r.choice(value, path, "state_layout", rec.stateLayout, false,
                {"kv", "vk"}) ||
      !r.bufferRef(value, path, "query", rec.query, true) ||
      !r.bufferRef(value, path, "log_decay", rec.logDecay, false) ||
      !r.bufferRef(value, path, "erase_key", rec.eraseKey, false) ||
      !r.bufferRef(value, path, "erase_strength", rec.eraseStrength, false) ||
      !r.number(value, path, "erase_beta_max", rec.eraseBetaMax, false) ||
      !r.boolean(value, path, "normalize_erase_key", rec.normalizeEraseKey,
                 false) ||
      !r.bufferRefs(value, path, "keys", rec.keys, true) ||
      !r.bufferRefs(value, path, "values", rec.values, false) ||
      !r.bufferRefs(value, path, "inject_gates", rec.injectGates, false) ||
      !r.bufferRef(value, path, "initial_state", rec.initialState, false) ||
      !r.bufferRef(value, path, "output", rec.output, true) ||
      !r.bufferRef(value, path, "final_state", rec.finalState, false))
    return false;

  // prism-math.md section 1: the readout scale defaults to 1/sqrt(K).
  rec.scale = 1.0 / std::sqrt(static_cast<double>(rec.keyDim));
  if (!r.number(value, path, "scale", rec.scale, false))
    return false;

  if (rec.keys.empty())
    return r.fail(field(path, "keys"), "at least one key is needed");
  if (rank != -1 && static_cast<size_t>(rank) != rec.keys.size())
    return r.fail(field(path, "rank"),
                  "rank " + std::to_string(rank) + " but " +
                      std::to_string(rec.keys.size()) + " keys");
  rec.rank = static_cast<int>(rec.keys.size());
  if (!rec.injectGates.empty() &&
      rec.injectGates.size() != static_cast<size_t>(rec.rank))
    return r.fail(field(path, "inject_gates"),
                  "expected one gate per key (" + std::to_string(rec.rank) +
                      "), found " + std::to_string(rec.injectGates.size()));
  if (rec.eraseBetaMax != 1.0 && rec.eraseBetaMax != 2.0)
    return r.fail(field(path, "erase_beta_max"), "must be 1 or 2");
  if ((rec.forget == "scalar" || rec.forget == "diagonal") &&
      rec.logDecay == -1)
    return r.fail(path, "forget '" + rec.forget + "' needs 'log_decay'");
  if (rec.forget == "delta" && (rec.eraseKey == -1 || rec.eraseStrength == -1))
    return r.fail(path,
                  "forget 'delta' needs 'erase_key' and 'erase_strength'");

  const JsonValue *refine = findMember(value, "refine");
  if (refine && findMember(value, "values"))
    return r.fail(path, "'values' and 'refine' are exclusive");
  if (!refine && rec.values.empty())
    return r.fail(path, "needs 'values' or 'refine'");
  if (!refine && rec.values.size() != static_cast<size_t>(rec.rank))
    return r.fail(field(path, "values"),
                  "expected one value per key (" + std::to_string(rec.rank) +
                      "), found " + std::to_string(rec.values.size()));
  if (refine) {
    std::string refinePath = field(path, "refine");
    Refine out;
    if (!r.object(*refine, refinePath,
                  {"anchor", "value", "gains", "activation"}) ||
        !r.bufferRef(*refine, refinePath, "anchor", out.anchor, true) ||
        !r.bufferRef(*refine, refinePath, "value", out.value, true) ||
        !r.bufferRefs(*refine, refinePath, "gains", out.gains, true) ||
        !r.choice(*refine, refinePath, "activation", out.activation, true,
                  {"gelu", "identity"}))
      return false;
    if (out.gains.size() != static_cast<size_t>(rec.rank))
      return r.fail(field(refinePath, "gains"),
                    "expected one gain per key (" + std::to_string(rec.rank) +
                        "), found " + std::to_string(out.gains.size()));
    rec.refine = out;
  }

  if (!parseShortConvs(r, value, path, rec))
    return false;
  return checkOutputs(r, path, manifest, rec);
}

} // namespace manifest
} // namespace runtime
} // namespace prism
