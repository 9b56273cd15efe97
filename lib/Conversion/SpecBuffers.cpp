//===- SpecBuffers.cpp - The buffers of a lowered specification -----------===//
//
// Buffer order, names, and the attributes lib/Target builds the manifest of
// docs/manifest.md from, for every lowering of a specification.
//
//===----------------------------------------------------------------------===//

#include "prism/Conversion/SpecBuffers.h"
#include "prism/Analysis/StepEncoding.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

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
  auto addBuffer = [&](Value tensor, BufferRole role, BufferAccess access) {
    auto type = cast<RankedTensorType>(tensor.getType());
    BufferDesc desc;
    desc.role = role;
    desc.access = access;
    desc.type = MemRefType::get(type.getShape(), type.getElementType());
    index[tensor] = buffers.size();
    buffers.push_back(desc);
    tensors.push_back(tensor);
  };
  for (BlockArgument arg : func.getArguments())
    addBuffer(arg, BufferRole::input, BufferAccess::read);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (Value result : ret.getOperands())
    addBuffer(result, BufferRole::output, BufferAccess::write);
  for (ShortConvOp conv : info.convs)
    addBuffer(conv.getOutput(), BufferRole::workspace, BufferAccess::readwrite);
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
  if (info.step)
    for (auto [i, input] : llvm::enumerate(info.step.getInputs()))
      note(input, "x" + std::to_string(i));
  note(info.output(), "o");
  note(info.finalState(), "final_state");
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
      if (auto attr = func.getArgAttrOfType<StringAttr>(
              arg.getArgNumber(), RecurrenceDialect::kNameAttrName))
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
  DenseSet<Value> states = {info.initialState, info.finalState()};
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
  desc.role = BufferRole::workspace;
  desc.access = BufferAccess::readwrite;
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
      } else {
        size = llvm::divideCeil(qType.getDimSize(1), dim.value);
      }
    }
    shape.push_back(size);
    desc.dimNames.push_back(symbol);
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

Attribute SpecBuffers::programAttr() {
  auto indices = [&](ArrayRef<Value> values) {
    return llvm::to_vector(llvm::map_range(
        values, [&](Value v) -> int64_t { return indexOf(v); }));
  };
  auto optional = [&](Value value) -> std::optional<int64_t> {
    if (!value)
      return std::nullopt;
    return indexOf(value);
  };
  MLIRContext *ctx = func.getContext();
  SmallVector<ShortConvBuffersAttr> convs;
  for (ShortConvOp conv : info.convs)
    convs.push_back(ShortConvBuffersAttr::get(
        ctx, indexOf(conv.getInput()), indexOf(conv.getWeight()),
        optional(conv.getBias()), optional(conv.getCache()),
        conv.getActivation(), indexOf(conv.getOutput())));
  if (StepOp step = info.step) {
    runtime::StepBody body = encodeStepBody(step);
    return StepProgramAttr::get(
        ctx,
        cast<RankedTensorType>(step.getInputs().front().getType())
            .getShape()[2],
        info.keyDim, info.valueDim, info.layout,
        indices(SmallVector<Value>(step.getInputs())),
        optional(info.initialState), indexOf(step.getOutput()),
        optional(step.getFinalState()), convs, stepInstrAttrs(ctx, body),
        body.state, body.output);
  }
  RefineBuffersAttr refine;
  if (info.refine)
    refine = RefineBuffersAttr::get(
        ctx, indexOf(info.refine.getAnchor()), indexOf(info.refine.getValue()),
        indices(SmallVector<Value>(info.refine.getGains())),
        info.refine.getActivation());
  return ProgramAttr::get(
      ctx, info.family,
      cast<RankedTensorType>(info.query.getType()).getShape()[2], info.keyDim,
      info.valueDim, APFloat(info.scale), info.layout, indexOf(info.query),
      indices(info.keys), indices(info.values), indices(info.injectGates),
      optional(info.logDecay), optional(info.eraseKey),
      optional(info.eraseStrength), APFloat(info.eraseBetaMax),
      info.normalizeEraseKey, refine, convs, optional(info.initialState),
      indexOf(info.output()), optional(info.finalState()));
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
    SmallVector<StringAttr> sizes;
    for (auto [d, name] : llvm::enumerate(desc.dimNames))
      if (desc.type.isDynamicDim(d))
        sizes.push_back(b.getStringAttr(name));
    program.setArgAttr(i, RecurrenceDialect::kBufferAttrName,
                       BufferAttr::get(b.getContext(), desc.name, desc.role,
                                       desc.access, sizes));
  }
  program->setAttr(RecurrenceDialect::kProgramAttrName, programAttr());
  return program;
}
