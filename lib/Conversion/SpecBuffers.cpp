//===- SpecBuffers.cpp - The buffers of a lowered specification -----------===//
//
// Buffer order, names and the manifest of docs/manifest.md, for every
// lowering of a specification.
//
//===----------------------------------------------------------------------===//

#include "prism/Conversion/SpecBuffers.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
const char *dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  return "unknown";
}

} // namespace

SpecBuffers::SpecBuffers(func::FuncOp func, RecurrenceInfo &info)
    : func(func), info(info) {
  collect();
  name();
}

int SpecBuffers::indexOf(Value tensor) const {
  auto it = index.find(tensor);
  return it == index.end() ? -1 : it->second;
}

void SpecBuffers::collect() {
  auto addBuffer = [&](Value tensor, StringRef role, StringRef access) {
    auto type = cast<RankedTensorType>(tensor.getType());
    BufferDesc desc;
    desc.role = role.str();
    desc.access = access.str();
    desc.type = MemRefType::get(type.getShape(), type.getElementType());
    index[tensor] = buffers.size();
    buffers.push_back(desc);
    tensors.push_back(tensor);
  };
  for (BlockArgument arg : func.getArguments())
    addBuffer(arg, "input", "read");
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (Value result : ret.getOperands())
    addBuffer(result, "output", "write");
  for (ShortConvOp conv : info.convs)
    addBuffer(conv.getOutput(), "workspace", "readwrite");
}

void SpecBuffers::name() {
  // Names follow the tensors' uses (q, k, v, g, w, beta, u, p0, ...), unless
  // an argument carries `recurrence.name`.
  DenseMap<Value, std::string> use;
  auto note = [&](Value v, std::string name) {
    if (v && !use.count(v))
      use[v] = std::move(name);
  };
  auto indexed = [&](StringRef base, size_t l, size_t count) {
    return count == 1 ? base.str() : base.str() + std::to_string(l);
  };
  note(info.query, "q");
  for (auto [l, k] : llvm::enumerate(info.keys))
    note(k, indexed("k", l, info.keys.size()));
  note(info.eraseKey, "w");
  note(info.eraseStrength, "beta");
  note(info.logDecay, "g");
  for (auto [l, v] : llvm::enumerate(info.values))
    note(v, indexed("v", l, info.values.size()));
  for (auto [l, gate] : llvm::enumerate(info.injectGates))
    note(gate, indexed("gate", l, info.injectGates.size()));
  if (info.refine) {
    note(info.refine.getAnchor(), "u");
    note(info.refine.getValue(), "v");
    for (auto [l, p] : llvm::enumerate(info.refine.getGains()))
      note(p, indexed("p", l, info.refine.getGains().size()));
  }
  note(info.initialState, "initial_state");
  note(info.scan.getOutput(), "o");
  note(info.scan.getFinalState(), "final_state");
  for (auto [i, conv] : llvm::enumerate(info.convs)) {
    std::string base = "conv" + std::to_string(i);
    note(conv.getOutput(), base + "_out");
    note(conv.getInput(), base + "_in");
    note(conv.getWeight(), base + "_weight");
    note(conv.getBias(), base + "_bias");
    note(conv.getCache(), base + "_cache");
  }

  llvm::StringSet<> taken;
  for (auto [i, tensor] : llvm::enumerate(tensors)) {
    std::string name;
    if (auto arg = dyn_cast<BlockArgument>(tensor))
      if (auto attr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "recurrence.name"))
        name = attr.str();
    if (name.empty())
      name = use.count(tensor) ? use[tensor] : "arg" + std::to_string(i);
    std::string unique = name;
    for (int n = 1; taken.contains(unique); ++n)
      unique = name + "_" + std::to_string(n);
    taken.insert(unique);
    buffers[i].name = unique;
  }

  // Dynamic dimensions get the name of what they index: B, T, H for
  // sequences ([B,T,H,...]), B, H for states ([B,H,.,.]), B for conv caches.
  DenseSet<Value> states = {info.initialState, info.scan.getFinalState()};
  DenseSet<Value> caches;
  for (ShortConvOp conv : info.convs)
    if (conv.getCache())
      caches.insert(conv.getCache());
  for (auto [i, tensor] : llvm::enumerate(tensors)) {
    MemRefType type = buffers[i].type;
    const char *const seq[] = {"B", "T", "H"};
    const char *const state[] = {"B", "H"};
    for (int64_t d = 0; d < type.getRank(); ++d) {
      std::string name;
      buffers[i].dimIsExpr.push_back(false);
      if (type.isDynamicDim(d)) {
        if (caches.contains(tensor))
          name = d == 0 ? "B" : "";
        else if (states.contains(tensor))
          name = d < 2 ? state[d] : "";
        else if (type.getRank() >= 3 && d < 3)
          name = seq[d];
        if (name.empty())
          name = buffers[i].name + "_d" + std::to_string(d);
      }
      buffers[i].dimNames.push_back(name);
    }
  }
}

int SpecBuffers::addWorkspace(StringRef name, ArrayRef<WorkspaceDim> dims,
                              Type elem) {
  // Sizes from the query's [B, T, H, K]: static where it is, else its
  // symbols (the chunk count as an expression of T).
  const BufferDesc &query = buffers[indexOf(info.query)];
  MemRefType qType = query.type;
  BufferDesc desc;
  desc.role = "workspace";
  desc.access = "readwrite";
  std::string unique = name.str();
  for (int n = 1; llvm::any_of(
           buffers,
           [&](const BufferDesc &other) { return other.name == unique; });
       ++n)
    unique = name.str() + "_" + std::to_string(n);
  desc.name = unique;
  SmallVector<int64_t> shape;
  for (const WorkspaceDim &dim : dims) {
    std::string symbol;
    bool isExpr = false;
    int64_t size = dim.value;
    if (dim.kind == WorkspaceDim::Kind::query) {
      size = qType.getDimSize(dim.value);
      if (ShapedType::isDynamic(size))
        symbol = query.dimNames[dim.value];
    } else if (dim.kind == WorkspaceDim::Kind::chunks) {
      if (qType.isDynamicDim(1)) {
        size = ShapedType::kDynamic;
        symbol = "ceildiv(" + query.dimNames[1] + ", " +
                 std::to_string(dim.value) + ")";
        isExpr = true;
      } else {
        size = llvm::divideCeil(qType.getDimSize(1), dim.value);
      }
    }
    shape.push_back(size);
    desc.dimNames.push_back(symbol);
    desc.dimIsExpr.push_back(isExpr);
  }
  desc.type = MemRefType::get(shape, elem);
  buffers.push_back(desc);
  return buffers.size() - 1;
}

TwoPassWorkspaceIndices SpecBuffers::addTwoPassWorkspaces(int64_t chunk,
                                                          Type elem) {
  using Dim = WorkspaceDim;
  const Dim b = Dim::query(0), t = Dim::query(1), h = Dim::query(2),
            chunks = Dim::chunks(chunk), k = Dim::fixed(info.keyDim),
            v = Dim::fixed(info.valueDim);
  Type f32 = Float32Type::get(func.getContext());
  const bool delta = info.family == ForgetFamily::delta;
  TwoPassWorkspaceIndices out;
  out.states = addWorkspace("chunk_states", {b, h, chunks, v, k}, elem);
  // Each chunk's update from a zero state: f32 for the decay families (the
  // scan adds them up), the operand type for the delta forget (its walk
  // loads them one chunk ahead as they are).
  out.summaries =
      addWorkspace("chunk_summaries", {b, h, chunks, v, k}, delta ? elem : f32);
  // Each chunk's total log decay: [B, H, chunks] (, K for the diagonal).
  if (info.family == ForgetFamily::diagonal)
    out.decays = addWorkspace("chunk_decays", {b, h, chunks, k}, f32);
  else if (info.family != ForgetFamily::identity && (!delta || info.logDecay))
    out.decays = addWorkspace("chunk_decays", {b, h, chunks}, f32);
  if (!delta)
    return out;
  out.values = addWorkspace("chunk_values", {b, t, h, v}, elem);
  // Their response to the chunk's start state, and the erase keys decayed
  // to their chunk's end: [B, T, H, K].
  out.responses = addWorkspace("chunk_responses", {b, t, h, k}, elem);
  out.erasedKeys = addWorkspace("chunk_erase_keys", {b, t, h, k}, elem);
  return out;
}

std::string SpecBuffers::manifestText() {
  namespace json = llvm::json;
  json::Array bufferArray;
  SmallVector<std::string> symbols;
  for (const BufferDesc &desc : buffers) {
    json::Array shape;
    for (auto [d, size] : llvm::enumerate(desc.type.getShape())) {
      if (ShapedType::isDynamic(size)) {
        shape.push_back(desc.dimNames[d]);
        if (!desc.dimIsExpr[d] &&
            !llvm::is_contained(symbols, desc.dimNames[d]))
          symbols.push_back(desc.dimNames[d]);
      } else {
        shape.push_back(size);
      }
    }
    bufferArray.push_back(
        json::Object{{"name", desc.name},
                     {"role", desc.role},
                     {"dtype", dtypeName(desc.type.getElementType())},
                     {"shape", std::move(shape)},
                     {"access", desc.access}});
  }
  auto indices = [&](ArrayRef<Value> values) {
    json::Array array;
    for (Value v : values)
      array.push_back(indexOf(v));
    return array;
  };
  json::Object rec{
      {"forget", stringifyForgetFamily(info.family)},
      {"rank", info.rank},
      {"key_dim", info.keyDim},
      {"value_dim", info.valueDim},
      {"heads", cast<RankedTensorType>(info.query.getType()).getShape()[2]},
      {"scale", info.scale},
      {"state_layout", stringifyStateLayout(info.layout)},
      {"query", indexOf(info.query)},
      {"log_decay", info.logDecay ? indexOf(info.logDecay) : -1},
      {"keys", indices(info.keys)},
      {"inject_gates", indices(info.injectGates)},
      {"initial_state", info.initialState ? indexOf(info.initialState) : -1},
      {"output", indexOf(info.scan.getOutput())},
      {"final_state",
       info.scan.getFinalState() ? indexOf(info.scan.getFinalState()) : -1}};
  if (info.family == ForgetFamily::delta) {
    rec["erase_key"] = indexOf(info.eraseKey);
    rec["erase_strength"] = indexOf(info.eraseStrength);
    rec["erase_beta_max"] = info.eraseBetaMax;
    rec["normalize_erase_key"] = info.normalizeEraseKey;
  }
  if (!info.refine)
    rec["values"] = indices(info.values);
  if (info.refine) {
    SmallVector<Value> gains(info.refine.getGains());
    rec["refine"] = json::Object{
        {"anchor", indexOf(info.refine.getAnchor())},
        {"value", indexOf(info.refine.getValue())},
        {"gains", indices(gains)},
        {"activation", stringifyActivation(info.refine.getActivation())}};
  }
  json::Array convs;
  for (ShortConvOp conv : info.convs)
    convs.push_back(json::Object{
        {"input", indexOf(conv.getInput())},
        {"weight", indexOf(conv.getWeight())},
        {"bias", conv.getBias() ? indexOf(conv.getBias()) : -1},
        {"cache", conv.getCache() ? indexOf(conv.getCache()) : -1},
        {"activation", stringifyConvActivation(conv.getActivation())},
        {"output", indexOf(conv.getOutput())}});
  rec["short_convs"] = std::move(convs);

  json::Array symbolArray;
  for (const std::string &s : symbols)
    symbolArray.push_back(s);
  json::Object manifest{{"version", 1},
                        {"function", func.getSymName().str()},
                        {"symbols", std::move(symbolArray)},
                        {"buffers", std::move(bufferArray)},
                        {"recurrence", std::move(rec)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << json::Value(std::move(manifest));
  return text;
}

LogicalResult SpecBuffers::checkSizes() {
  // Static sizes alone must fit a 64-bit byte count (dynamic ones are
  // checked by the runtime when they are bound).
  for (const BufferDesc &desc : buffers) {
    int64_t bytes = desc.type.getElementTypeBitWidth() / 8;
    for (int64_t d : desc.type.getShape())
      if (!ShapedType::isDynamic(d) && __builtin_mul_overflow(bytes, d, &bytes))
        return func.emitOpError() << "buffer '" << desc.name << "' of type "
                                  << desc.type << " is larger than 2^63 bytes";
  }
  return success();
}

func::FuncOp SpecBuffers::createProgram(OpBuilder &b) {
  SmallVector<Type> argTypes;
  for (const BufferDesc &desc : buffers)
    argTypes.push_back(desc.type);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(func);
  auto program = func::FuncOp::create(b, func.getLoc(), func.getSymName(),
                                      b.getFunctionType(argTypes, {}));
  Block *entry = program.addEntryBlock();
  for (auto [i, tensor] : llvm::enumerate(tensors))
    memrefs[tensor] = entry->getArgument(i);
  for (auto [i, desc] : llvm::enumerate(buffers)) {
    program.setArgAttr(i, "prism.name", b.getStringAttr(desc.name));
    program.setArgAttr(i, "prism.role", b.getStringAttr(desc.role));
  }
  program->setAttr("prism.manifest", b.getStringAttr(manifestText()));
  return program;
}
