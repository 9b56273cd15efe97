//===- Manifest.cpp - Kernel manifest parser and shape binding ------------===//
//
// The manifest is the only contract between the compiler and the runtime, so
// the parser is strict: unknown fields, dtypes, roles or ABIs, out-of-range
// buffer indices and malformed expressions are errors that name the field
// path (e.g. "kernels[0].grid[1]"). A typo the parser let through would
// otherwise surface as a wrong result on the GPU, far from its cause.
//
// Here: the top level, buffers and kernels; the recurrence section is in
// ManifestRecurrence.cpp, the typed field reads in ManifestReader.cpp and the
// JSON layer (nlohmann/json, with duplicate keys and runaway nesting refused)
// in JsonReader.cpp.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Manifest.h"

#include "ManifestReader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
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

using namespace manifest;

namespace {

bool parseBuffer(Reader &r, const JsonValue &value, const std::string &path,
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
                  "unknown dtype " + quote(dtype) +
                      " (expected f32, f16, bf16, i32, i64)");
  buffer.dtype = *type;
  if (buffer.role == Role::Output && buffer.access == Access::Read)
    return r.fail(field(path, "access"),
                  "an output buffer must be written (write or readwrite)");

  const JsonValue::array_t *shape = r.array(value, path, "shape", true);
  if (!shape)
    return false;
  buffer.shape.clear();
  for (size_t i = 0; i < shape->size(); ++i) {
    const JsonValue &entry = (*shape)[i];
    std::string dimPath = index(field(path, "shape"), i);
    Dim dim;
    if (entry.is_number_integer()) {
      if (entry.get<int64_t>() < 0)
        return r.fail(dimPath, "negative dimension " +
                                   std::to_string(entry.get<int64_t>()));
      dim.value = entry.get<int64_t>();
    } else if (entry.is_string()) {
      dim.symbol = entry.get_ref<const std::string &>();
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
        return r.fail(dimPath, "unknown symbol " + quote(dim.symbol) +
                                   " (not in 'symbols')");
      }
    } else {
      return r.fail(dimPath, std::string("expected integer or symbol, found ") +
                                 entry.type_name());
    }
    buffer.shape.push_back(dim);
  }
  return true;
}

bool parseKernel(Reader &r, const JsonValue &value, const std::string &path,
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
    const JsonValue::array_t *dims = r.array(value, path, key, true);
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

  const JsonValue::array_t *params = r.array(value, path, "params", true);
  if (!params)
    return false;
  kernel.params.clear();
  for (size_t i = 0; i < params->size(); ++i) {
    const JsonValue &entry = (*params)[i];
    std::string paramPath = index(field(path, "params"), i);
    std::string kind;
    if (!r.object(entry, paramPath, {"kind", "buffer", "abi", "value"}) ||
        !r.choice(entry, paramPath, "kind", kind, true, {"buffer", "index"}))
      return false;
    KernelParam param;
    if (kind == "buffer") {
      std::string abi;
      if (findMember(entry, "value"))
        return r.fail(paramPath, "a buffer parameter has no 'value'");
      if (!r.bufferRef(entry, paramPath, "buffer", param.buffer, true) ||
          !r.choice(entry, paramPath, "abi", abi, true, {"memref", "pointer"}))
        return false;
      param.kind = abi == "memref" ? KernelParam::Kind::BufferMemref
                                   : KernelParam::Kind::BufferPointer;
    } else {
      if (findMember(entry, "buffer") || findMember(entry, "abi"))
        return r.fail(paramPath,
                      "an index parameter has only 'kind' and 'value'");
      const JsonValue *expr = r.get(entry, paramPath, "value", true);
      if (!expr ||
          !r.expr(*expr, field(paramPath, "value"), symbols, param.value))
        return false;
      param.kind = KernelParam::Kind::Index;
    }
    kernel.params.push_back(param);
  }
  return true;
}

bool readManifest(const JsonValue &root, Manifest &manifest,
                  std::string &error) {
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
  const JsonValue::array_t *symbols = r.array(root, "", "symbols", true);
  if (!symbols)
    return done(false);
  for (size_t i = 0; i < symbols->size(); ++i) {
    const JsonValue &entry = (*symbols)[i];
    std::string path = index("symbols", i);
    if (!entry.is_string())
      return done(r.failType(path, "a string", entry));
    const std::string &name = entry.get_ref<const std::string &>();
    if (!isIdentifier(name))
      return done(r.fail(path, quote(name) + " is not an identifier"));
    if (std::find(manifest.symbols.begin(), manifest.symbols.end(), name) !=
        manifest.symbols.end())
      return done(r.fail(path, "duplicate symbol " + quote(name)));
    manifest.symbols.push_back(name);
  }

  const JsonValue::array_t *buffers = r.array(root, "", "buffers", true);
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
                         "duplicate buffer name " + quote(buffer.name)));
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
                         quote(manifest.symbols[i]) +
                             " appears in no input or output shape"));
  }

  const JsonValue::array_t *kernels = r.array(root, "", "kernels", false);
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

  const JsonValue *recurrence = r.get(root, "", "recurrence", true);
  if (!recurrence || !parseRecurrence(r, *recurrence, "recurrence", manifest,
                                      manifest.recurrence))
    return done(false);
  return done(true);
}

} // namespace

bool parseManifest(const std::string &text, Manifest &manifest,
                   std::string &error) {
  manifest = Manifest();
  JsonValue root;
  std::string jsonError;
  if (!parseJson(text, root, jsonError)) {
    error = "invalid JSON: " + jsonError;
    return false;
  }
  // The reader checks every value's type before it reads it, so nlohmann
  // has nothing to throw here; were a new field read without the check, the
  // result would still be a message, not an exception through prism_rt_* or
  // a tool's main.
  try {
    return readManifest(root, manifest, error);
  } catch (const JsonValue::exception &ex) {
    manifest = Manifest();
    error = std::string("invalid manifest: ") + ex.what();
    return false;
  }
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
    std::string name = "buffer " + quote(buffer.name);
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
        error = "symbol " + quote(dim.symbol) + " is " +
                std::to_string(it->second) + " from " + origin[dim.symbol] +
                " but " + std::to_string(shape[d]) + " from " + where;
        return false;
      }
    }
  }
  for (const std::string &symbol : manifest.symbols) {
    if (!bindings.count(symbol)) {
      error = "symbol " + quote(symbol) + " is not bound by any buffer shape";
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
          "buffer " + quote(buffer.name) + " dimension " + std::to_string(d);
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
