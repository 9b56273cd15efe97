//===- Manifest.cpp - Kernel manifest parser and shape binding ------------===//
//
// The manifest is the only contract between the compiler and the runtime, so
// the parser is strict: unknown fields, dtypes, roles or ABIs, out-of-range
// buffer indices and malformed expressions are errors that name the field
// path (e.g. "kernels[0].grid[1]"). A typo the parser let through would
// otherwise surface as a wrong result on the GPU, far from its cause.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Manifest.h"
#include "prism/Runtime/Json.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

namespace prism {
namespace runtime {

//===----------------------------------------------------------------------===//
// DType helpers
//===----------------------------------------------------------------------===//

size_t dtypeSize(DType type) {
  switch (type) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I64:
    return 8;
  }
  return 0;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  return "unknown";
}

std::optional<DType> parseDType(const std::string &name) {
  for (DType type :
       {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I64})
    if (name == dtypeName(type))
      return type;
  return std::nullopt;
}

bool byteSize(const std::vector<int64_t> &shape, DType type, int64_t &bytes) {
  int64_t total = static_cast<int64_t>(dtypeSize(type));
  for (int64_t dim : shape)
    if (dim < 0 || __builtin_mul_overflow(total, dim, &total))
      return false;
  bytes = total;
  return true;
}

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

namespace {

bool isIdentifier(const std::string &name) {
  if (name.empty() ||
      !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

std::string quoted(const std::string &text) { return "'" + text + "'"; }

} // namespace

std::string formatShape(const Buffer &buffer) {
  std::string text = "[";
  for (size_t i = 0; i < buffer.shape.size(); ++i) {
    if (i)
      text += ", ";
    const Dim &dim = buffer.shape[i];
    text += dim.isStatic() ? std::to_string(dim.value) : dim.symbol;
  }
  return text + "]";
}

std::string formatBindings(const Manifest &manifest, const Bindings &bindings) {
  std::string text;
  for (const std::string &symbol : manifest.symbols) {
    auto it = bindings.find(symbol);
    if (it == bindings.end())
      continue;
    if (!text.empty())
      text += ",";
    text += symbol + "=" + std::to_string(it->second);
  }
  return text;
}

bool parseBindings(const std::string &text, Bindings &bindings,
                   std::string &error) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos)
      end = text.size();
    std::string item = text.substr(start, end - start);
    size_t equals = item.find('=');
    std::string name = item.substr(0, equals);
    if (equals == std::string::npos || !isIdentifier(name)) {
      error = "bad binding '" + item + "' in '" + text +
              "' (expected NAME=VALUE, e.g. B=2,T=77)";
      return false;
    }
    std::string digits = item.substr(equals + 1);
    int64_t value = 0;
    bool ok = !digits.empty() && digits.size() <= 18;
    for (char c : digits)
      ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (ok)
      value = std::stoll(digits);
    if (!ok) {
      error = "bad value '" + digits + "' for '" + name + "' in '" + text +
              "' (expected a non-negative integer)";
      return false;
    }
    bindings[name] = value;
    start = end + 1;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {

using json::Value;

std::string index(const std::string &path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string field(const std::string &path, const std::string &key) {
  return path.empty() ? key : path + "." + key;
}

/// Reads typed fields out of JSON objects; the first failure is kept in
/// `error` as "<field path>: <what is wrong>".
class Reader {
public:
  std::string error;
  size_t numBuffers = 0;

  bool fail(const std::string &path, const std::string &what) {
    if (error.empty())
      error = (path.empty() ? std::string("manifest") : path) + ": " + what;
    return false;
  }

  bool failType(const std::string &path, const char *expected,
                const Value &found) {
    return fail(path, std::string("expected ") + expected + ", found " +
                          Value::kindName(found.kind()));
  }

  /// Checks that `value` is an object whose keys are all in `allowed`.
  bool object(const Value &value, const std::string &path,
              std::initializer_list<const char *> allowed) {
    if (!value.isObject())
      return failType(path, "an object", value);
    for (const Value::Member &member : value.asObject()) {
      bool known = false;
      for (const char *key : allowed)
        known = known || member.first == key;
      if (!known)
        return fail(path, "unknown field " + quoted(member.first));
    }
    return true;
  }

  /// The member `key`, or null (with an error when `required`).
  const Value *get(const Value &object, const std::string &path,
                   const char *key, bool required) {
    const Value *value = object.find(key);
    if (!value && required)
      fail(path, std::string("missing field '") + key + "'");
    return value;
  }

  bool string(const Value &object, const std::string &path, const char *key,
              std::string &out, bool required) {
    const Value *value = get(object, path, key, required);
    if (!value)
      return !required;
    if (!value->isString())
      return failType(field(path, key), "a string", *value);
    out = value->asString();
    return true;
  }

  /// A string that must be one of `choices`.
  bool choice(const Value &object, const std::string &path, const char *key,
              std::string &out, bool required,
              std::initializer_list<const char *> choices) {
    std::string text;
    const Value *value = object.find(key);
    if (!string(object, path, key, text, required))
      return false;
    if (!value)
      return true;
    std::string list;
    for (const char *option : choices) {
      if (text == option) {
        out = text;
        return true;
      }
      list += list.empty() ? option : std::string(", ") + option;
    }
    return fail(field(path, key),
                "unknown value " + quoted(text) + " (expected " + list + ")");
  }

  bool integer(const Value &object, const std::string &path, const char *key,
               int64_t &out, bool required, int64_t min = INT64_MIN) {
    const Value *value = get(object, path, key, required);
    if (!value)
      return !required;
    if (!value->isInteger())
      return failType(field(path, key), "an integer", *value);
    if (value->asInteger() < min)
      return fail(field(path, key), "must be >= " + std::to_string(min) +
                                        ", found " +
                                        std::to_string(value->asInteger()));
    out = value->asInteger();
    return true;
  }

  bool number(const Value &object, const std::string &path, const char *key,
              double &out, bool required) {
    const Value *value = get(object, path, key, required);
    if (!value)
      return !required;
    if (!value->isNumber())
      return failType(field(path, key), "a number", *value);
    out = value->asNumber();
    return true;
  }

  bool boolean(const Value &object, const std::string &path, const char *key,
               bool &out, bool required) {
    const Value *value = get(object, path, key, required);
    if (!value)
      return !required;
    if (!value->isBool())
      return failType(field(path, key), "a boolean", *value);
    out = value->asBool();
    return true;
  }

  /// An array member (absent is an empty array when not required).
  const std::vector<Value> *array(const Value &object, const std::string &path,
                                  const char *key, bool required) {
    static const std::vector<Value> empty;
    const Value *value = get(object, path, key, required);
    if (!value)
      return required ? nullptr : &empty;
    if (!value->isArray()) {
      failType(field(path, key), "an array", *value);
      return nullptr;
    }
    return &value->asArray();
  }

  /// An integer or an expression string, checked against `symbols`.
  bool expr(const Value &value, const std::string &path,
            const std::vector<std::string> &symbols, Expr &out) {
    if (value.isInteger()) {
      out.text = std::to_string(value.asInteger());
      return true;
    }
    if (!value.isString())
      return fail(path, std::string("expected integer or expression, found ") +
                            Value::kindName(value.kind()));
    out.text = value.asString();
    std::string why;
    if (!checkExpr(out, symbols, why))
      return fail(path, why);
    return true;
  }

  bool bufferIndex(const Value &value, const std::string &path, bool optional,
                   int &out) {
    if (!value.isInteger())
      return failType(path, "a buffer index (integer)", value);
    int64_t i = value.asInteger();
    if (optional && i == -1) {
      out = -1;
      return true;
    }
    if (i < 0 || static_cast<uint64_t>(i) >= numBuffers)
      return fail(path, "buffer index " + std::to_string(i) +
                            " out of range (the manifest has " +
                            std::to_string(numBuffers) + " buffers" +
                            (optional ? "; -1 means absent)" : ")"));
    out = static_cast<int>(i);
    return true;
  }

  /// A buffer reference member. Optional references default to -1 when
  /// absent and accept an explicit -1.
  bool bufferRef(const Value &object, const std::string &path, const char *key,
                 int &out, bool required) {
    const Value *value = get(object, path, key, required);
    if (!value) {
      if (!required)
        out = -1;
      return !required;
    }
    return bufferIndex(*value, field(path, key), !required, out);
  }

  bool bufferRefs(const Value &object, const std::string &path, const char *key,
                  std::vector<int> &out, bool required) {
    const std::vector<Value> *items = array(object, path, key, required);
    if (!items)
      return false;
    out.clear();
    for (size_t i = 0; i < items->size(); ++i) {
      int ref;
      if (!bufferIndex((*items)[i], index(field(path, key), i), false, ref))
        return false;
      out.push_back(ref);
    }
    return true;
  }
};

bool parseBuffer(Reader &r, const Value &value, const std::string &path,
                 const std::vector<std::string> &symbols, Buffer &buffer) {
  if (!r.object(value, path, {"name", "role", "dtype", "shape", "access"}))
    return false;
  std::string role, dtype, access;
  if (!r.string(value, path, "name", buffer.name, true) ||
      !r.choice(value, path, "role", role, true,
                {"input", "output", "workspace"}) ||
      !r.string(value, path, "dtype", dtype, true) ||
      !r.choice(value, path, "access", access, true,
                {"read", "write", "readwrite"}))
    return false;
  if (buffer.name.empty())
    return r.fail(field(path, "name"), "empty buffer name");
  buffer.role = role == "input"    ? Role::Input
                : role == "output" ? Role::Output
                                   : Role::Workspace;
  buffer.access = access == "read"    ? Access::Read
                  : access == "write" ? Access::Write
                                      : Access::ReadWrite;
  std::optional<DType> type = parseDType(dtype);
  if (!type)
    return r.fail(field(path, "dtype"),
                  "unknown dtype " + quoted(dtype) +
                      " (expected f32, f16, bf16, i32, i64)");
  buffer.dtype = *type;
  if (buffer.role == Role::Output && buffer.access == Access::Read)
    return r.fail(field(path, "access"),
                  "an output buffer must be written (write or readwrite)");

  const std::vector<Value> *shape = r.array(value, path, "shape", true);
  if (!shape)
    return false;
  buffer.shape.clear();
  for (size_t i = 0; i < shape->size(); ++i) {
    const Value &entry = (*shape)[i];
    std::string dimPath = index(field(path, "shape"), i);
    Dim dim;
    if (entry.isInteger()) {
      if (entry.asInteger() < 0)
        return r.fail(dimPath, "negative dimension " +
                                   std::to_string(entry.asInteger()));
      dim.value = entry.asInteger();
    } else if (entry.isString()) {
      dim.symbol = entry.asString();
      bool known = std::find(symbols.begin(), symbols.end(), dim.symbol) !=
                   symbols.end();
      // A workspace's size may be computed from the symbols (its dimensions
      // never bind one); any other buffer names symbols only.
      if (!known && buffer.role == Role::Workspace) {
        std::string why;
        if (!checkExpr(Expr{dim.symbol}, symbols, why))
          return r.fail(dimPath, why);
        dim.isExpr = true;
      } else if (!known) {
        return r.fail(dimPath, "unknown symbol " + quoted(dim.symbol) +
                                   " (not in 'symbols')");
      }
    } else {
      return r.fail(dimPath, std::string("expected integer or symbol, found ") +
                                 Value::kindName(entry.kind()));
    }
    buffer.shape.push_back(dim);
  }
  return true;
}

bool parseKernel(Reader &r, const Value &value, const std::string &path,
                 const std::vector<std::string> &symbols, Kernel &kernel) {
  if (!r.object(value, path,
                {"name", "schedule", "grid", "block", "shared_memory_bytes",
                 "params"}) ||
      !r.string(value, path, "name", kernel.name, true) ||
      !r.string(value, path, "schedule", kernel.schedule, false) ||
      !r.integer(value, path, "shared_memory_bytes", kernel.sharedMemoryBytes,
                 false, 0))
    return false;
  if (kernel.name.empty())
    return r.fail(field(path, "name"), "empty kernel name");

  for (const char *key : {"grid", "block"}) {
    const std::vector<Value> *dims = r.array(value, path, key, true);
    if (!dims)
      return false;
    if (dims->size() != 3)
      return r.fail(field(path, key), "expected 3 entries (x, y, z), found " +
                                          std::to_string(dims->size()));
    Expr *out = std::strcmp(key, "grid") == 0 ? kernel.grid : kernel.block;
    for (size_t i = 0; i < 3; ++i)
      if (!r.expr((*dims)[i], index(field(path, key), i), symbols, out[i]))
        return false;
  }

  const std::vector<Value> *params = r.array(value, path, "params", true);
  if (!params)
    return false;
  kernel.params.clear();
  for (size_t i = 0; i < params->size(); ++i) {
    const Value &entry = (*params)[i];
    std::string paramPath = index(field(path, "params"), i);
    std::string kind;
    if (!r.object(entry, paramPath, {"kind", "buffer", "abi", "value"}) ||
        !r.choice(entry, paramPath, "kind", kind, true, {"buffer", "index"}))
      return false;
    KernelParam param;
    if (kind == "buffer") {
      std::string abi;
      if (entry.find("value"))
        return r.fail(paramPath, "a buffer parameter has no 'value'");
      if (!r.bufferRef(entry, paramPath, "buffer", param.buffer, true) ||
          !r.choice(entry, paramPath, "abi", abi, true, {"memref", "pointer"}))
        return false;
      param.kind = abi == "memref" ? KernelParam::Kind::BufferMemref
                                   : KernelParam::Kind::BufferPointer;
    } else {
      if (entry.find("buffer") || entry.find("abi"))
        return r.fail(paramPath,
                      "an index parameter has only 'kind' and 'value'");
      const Value *expr = r.get(entry, paramPath, "value", true);
      if (!expr ||
          !r.expr(*expr, field(paramPath, "value"), symbols, param.value))
        return false;
      param.kind = KernelParam::Kind::Index;
    }
    kernel.params.push_back(param);
  }
  return true;
}

bool parseRecurrence(Reader &r, const Value &value, const std::string &path,
                     const Manifest &manifest, Recurrence &rec) {
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
  if (!r.choice(value, path, "forget", rec.forget, true,
                {"identity", "scalar", "diagonal", "delta"}) ||
      !r.integer(value, path, "rank", rank, false, 1) ||
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

  const Value *refine = value.find("refine");
  if (refine && value.find("values"))
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

  const std::vector<Value> *convs = r.array(value, path, "short_convs", false);
  if (!convs)
    return false;
  for (size_t i = 0; i < convs->size(); ++i) {
    const Value &entry = (*convs)[i];
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

  for (const char *key : {"output", "final_state"}) {
    int ref = std::strcmp(key, "output") == 0 ? rec.output : rec.finalState;
    if (ref != -1 && manifest.buffers[ref].role != Role::Output)
      return r.fail(field(path, key), "buffer " + std::to_string(ref) + " (" +
                                          quoted(manifest.buffers[ref].name) +
                                          ") is not an output");
  }
  return true;
}

} // namespace

bool parseManifest(const std::string &text, Manifest &manifest,
                   std::string &error) {
  manifest = Manifest();
  json::Value root;
  std::string jsonError;
  if (!json::parse(text, root, jsonError)) {
    error = "invalid JSON: " + jsonError;
    return false;
  }

  Reader r;
  auto done = [&](bool ok) {
    if (!ok)
      error = r.error.empty() ? "invalid manifest" : r.error;
    return ok;
  };

  if (!r.object(root, "",
                {"version", "function", "backend", "module", "symbols",
                 "buffers", "kernels", "recurrence"}))
    return done(false);
  int64_t version = 0;
  if (!r.integer(root, "", "version", version, true))
    return done(false);
  if (version != 1)
    return done(r.fail("version", "unsupported version " +
                                      std::to_string(version) +
                                      " (this runtime reads version 1)"));
  manifest.version = 1;
  if (!r.string(root, "", "function", manifest.function, true) ||
      !r.choice(root, "", "backend", manifest.backend, true, {"cuda", "cpu"}) ||
      !r.string(root, "", "module", manifest.module,
                manifest.backend == "cuda"))
    return done(false);
  if (manifest.function.empty())
    return done(r.fail("function", "empty function name"));
  if (manifest.backend == "cuda" && manifest.module.empty())
    return done(r.fail("module", "empty module file name"));

  // Symbols first: buffer shapes and expressions refer to them.
  const std::vector<json::Value> *symbols = r.array(root, "", "symbols", true);
  if (!symbols)
    return done(false);
  for (size_t i = 0; i < symbols->size(); ++i) {
    const json::Value &entry = (*symbols)[i];
    std::string path = index("symbols", i);
    if (!entry.isString())
      return done(r.failType(path, "a string", entry));
    const std::string &name = entry.asString();
    if (!isIdentifier(name))
      return done(r.fail(path, quoted(name) + " is not an identifier"));
    if (std::find(manifest.symbols.begin(), manifest.symbols.end(), name) !=
        manifest.symbols.end())
      return done(r.fail(path, "duplicate symbol " + quoted(name)));
    manifest.symbols.push_back(name);
  }

  const std::vector<json::Value> *buffers = r.array(root, "", "buffers", true);
  if (!buffers)
    return done(false);
  if (buffers->empty())
    return done(r.fail("buffers", "a program needs at least one buffer"));
  r.numBuffers = buffers->size();
  std::set<std::string> names;
  for (size_t i = 0; i < buffers->size(); ++i) {
    Buffer buffer;
    std::string path = index("buffers", i);
    if (!parseBuffer(r, (*buffers)[i], path, manifest.symbols, buffer))
      return done(false);
    if (!names.insert(buffer.name).second)
      return done(r.fail(field(path, "name"),
                         "duplicate buffer name " + quoted(buffer.name)));
    manifest.buffers.push_back(buffer);
  }

  // Symbols are bound from the shapes callers pass, so a symbol that no
  // caller buffer mentions could never be bound.
  for (size_t i = 0; i < manifest.symbols.size(); ++i) {
    bool bound = false;
    for (const Buffer &buffer : manifest.buffers)
      for (const Dim &dim : buffer.shape)
        bound = bound || (buffer.role != Role::Workspace &&
                          dim.symbol == manifest.symbols[i]);
    if (!bound)
      return done(r.fail(index("symbols", i),
                         quoted(manifest.symbols[i]) +
                             " appears in no input or output shape"));
  }

  const std::vector<json::Value> *kernels = r.array(root, "", "kernels", false);
  if (!kernels)
    return done(false);
  if (manifest.backend == "cuda" && kernels->empty())
    return done(r.fail("kernels", "a cuda program needs at least one kernel"));
  if (manifest.backend == "cpu" && !kernels->empty())
    return done(r.fail("kernels", "a cpu program has no kernels"));
  for (size_t i = 0; i < kernels->size(); ++i) {
    Kernel kernel;
    if (!parseKernel(r, (*kernels)[i], index("kernels", i), manifest.symbols,
                     kernel))
      return done(false);
    manifest.kernels.push_back(kernel);
  }

  const json::Value *recurrence = r.get(root, "", "recurrence", true);
  if (!recurrence || !parseRecurrence(r, *recurrence, "recurrence", manifest,
                                      manifest.recurrence))
    return done(false);
  return done(true);
}

bool readTextFile(const std::string &path, std::string &contents,
                  std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream os;
  os << file.rdbuf();
  if (file.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  contents = os.str();
  return true;
}

bool loadManifest(const std::string &path, Manifest &manifest,
                  std::string &error) {
  std::string text, why;
  if (!readTextFile(path, text, error))
    return false;
  if (!parseManifest(text, manifest, why)) {
    error = path + ": " + why;
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

std::vector<int> Manifest::callerBuffers() const {
  std::vector<int> result;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].role != Role::Workspace)
      result.push_back(static_cast<int>(i));
  return result;
}

bool bindShapes(const Manifest &manifest,
                const std::vector<std::vector<int64_t>> &shapes,
                Bindings &bindings, std::string &error) {
  bindings.clear();
  if (shapes.size() != manifest.buffers.size()) {
    error = "expected " + std::to_string(manifest.buffers.size()) +
            " shapes (one per manifest buffer), got " +
            std::to_string(shapes.size());
    return false;
  }
  // Where each symbol got its value, to name both buffers on a conflict.
  std::map<std::string, std::string> origin;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Buffer &buffer = manifest.buffers[i];
    const std::vector<int64_t> &shape = shapes[i];
    if (buffer.role == Role::Workspace && shape.empty())
      continue;
    std::string name = "buffer " + quoted(buffer.name);
    if (shape.size() != buffer.shape.size()) {
      error = name + ": rank " + std::to_string(shape.size()) +
              " given, the manifest declares rank " +
              std::to_string(buffer.shape.size()) + " " + formatShape(buffer);
      return false;
    }
    for (size_t d = 0; d < shape.size(); ++d) {
      std::string where = name + " dimension " + std::to_string(d);
      const Dim &dim = buffer.shape[d];
      if (shape[d] < 0) {
        error = where + ": negative size " + std::to_string(shape[d]);
        return false;
      }
      if (dim.isStatic()) {
        if (shape[d] != dim.value) {
          error = where + ": size " + std::to_string(shape[d]) +
                  " given, the manifest requires " + std::to_string(dim.value) +
                  " " + formatShape(buffer);
          return false;
        }
        continue;
      }
      if (dim.isExpr)
        continue; // Checked once every symbol is bound.
      auto [it, inserted] = bindings.emplace(dim.symbol, shape[d]);
      if (inserted) {
        origin[dim.symbol] = where;
      } else if (it->second != shape[d]) {
        error = "symbol " + quoted(dim.symbol) + " is " +
                std::to_string(it->second) + " from " + origin[dim.symbol] +
                " but " + std::to_string(shape[d]) + " from " + where;
        return false;
      }
    }
  }
  for (const std::string &symbol : manifest.symbols) {
    if (!bindings.count(symbol)) {
      error = "symbol " + quoted(symbol) + " is not bound by any buffer shape";
      return false;
    }
  }
  // Workspace sizes computed from the symbols must evaluate to sizes, and a
  // workspace given with its shape must have them.
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Buffer &buffer = manifest.buffers[i];
    for (size_t d = 0; d < buffer.shape.size(); ++d) {
      const Dim &dim = buffer.shape[d];
      if (!dim.isExpr)
        continue;
      int64_t want;
      std::string why;
      std::string where =
          "buffer " + quoted(buffer.name) + " dimension " + std::to_string(d);
      if (!evaluate(Expr{dim.symbol}, bindings, want, why)) {
        error = where + ": " + why;
        return false;
      }
      if (want < 0) {
        error = where + ": '" + dim.symbol + "' is " + std::to_string(want) +
                " under " + formatBindings(manifest, bindings);
        return false;
      }
      if (d < shapes[i].size() && shapes[i][d] != want) {
        error = where + ": size " + std::to_string(shapes[i][d]) +
                " given, the manifest computes " + std::to_string(want) + " " +
                formatShape(buffer);
        return false;
      }
    }
  }
  return true;
}

std::vector<int64_t> concreteShape(const Manifest &manifest, int index,
                                   const Bindings &bindings) {
  std::vector<int64_t> shape;
  if (index < 0 || static_cast<size_t>(index) >= manifest.buffers.size())
    return shape;
  for (const Dim &dim : manifest.buffers[index].shape) {
    if (dim.isStatic()) {
      shape.push_back(dim.value);
      continue;
    }
    if (dim.isExpr) {
      int64_t value;
      std::string why;
      shape.push_back(
          evaluate(Expr{dim.symbol}, bindings, value, why) && value >= 0 ? value
                                                                         : -1);
      continue;
    }
    auto it = bindings.find(dim.symbol);
    shape.push_back(it == bindings.end() ? -1 : it->second);
  }
  return shape;
}

} // namespace runtime
} // namespace prism
