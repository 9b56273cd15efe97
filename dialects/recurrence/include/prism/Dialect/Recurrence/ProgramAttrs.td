//===- ProgramAttrs.td - The buffers and the program -------*- tablegen -*-===//
//
// What a lowering of a specification hands on to the targets: every buffer of
// the lowered program (an attribute of its argument) and what the program
// computes (an attribute of the function). lib/Target builds the manifest of
// docs/manifest.md from them.
//
// They live in this dialect, not in `tile`: the description names the
// recurrence's operands and refers to the buffers by index, so both describe
// a recurrence, and programs lowered to loop nests
// (prism-convert-recurrence-to-scf) never load the tile dialect.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_RECURRENCE_PROGRAMATTRS
#define PRISM_DIALECT_RECURRENCE_PROGRAMATTRS

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Recurrence_BufferRole : I32EnumAttr<"BufferRole",
    "who provides a buffer of a lowered program", [
      I32EnumAttrCase<"input", 0>,
      I32EnumAttrCase<"output", 1>,
      I32EnumAttrCase<"workspace", 2>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

def Recurrence_BufferAccess : I32EnumAttr<"BufferAccess",
    "how the kernels of a lowered program use a buffer", [
      I32EnumAttrCase<"read", 0>,
      I32EnumAttrCase<"write", 1>,
      I32EnumAttrCase<"readwrite", 2>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

// A buffer index: the position of an argument of the program.
class Recurrence_Index<string desc> : AttrOrTypeParameter<"int64_t", desc>;
class Recurrence_OptionalIndex<string desc>
    : OptionalParameter<"std::optional<int64_t>", desc>;

// Buffer indices in brackets, `[1, 2]`, so that they can stand in a
// `struct(...)` list; empty lists are left out.
class Recurrence_Indices<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::SmallVector<int64_t>> {
    ::llvm::SmallVector<int64_t> indices;
    if ($_parser.parseCommaSeparatedList(
            ::mlir::AsmParser::Delimiter::Square,
            [&] { return $_parser.parseInteger(indices.emplace_back()); }))
      return ::mlir::failure();
    return indices;
  }() }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer);
    $_printer << ']';
  }];
}

// An f64 written exactly (the manifest's numbers are the specification's);
// held as an APFloat, which attribute storage can hash.
class Recurrence_F64Parameter<string desc, string default = "">
    : APFloatParameter<desc> {
  let defaultValue = default;
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value;
    if ($_parser.parseFloat(value))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ $_printer.printFloat($_self); }];
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Recurrence_BufferAttr : AttrDef<Recurrence_Dialect, "Buffer"> {
  let mnemonic = "buffer";
  let summary = "A buffer of a lowered program";
  let description = [{
    Attached as `recurrence.buffer` to every argument of a lowered program
    (a `func.func` over memrefs, in the order a caller passes them): the
    buffer's `name`, its `role` (`input`, `output`, or `workspace`: scratch
    memory between kernels that the runtime allocates itself), its `access`
    by the kernels (`read`, `write`, `readwrite`) and, for each dynamic
    dimension of the memref in order, its size: a symbol (`B`, `T`, ...),
    bound from the buffers' shapes when the program runs, or, for a
    workspace, an expression over the symbols (the manifest's syntax:
    integers, symbols, `+ - * /`, parentheses, `ceildiv`, `min`, `max`).
    The element type and the static sizes are the memref's.

    ```mlir
    func.func @gla(
        %q: memref<?x?x4x64xbf16> {recurrence.buffer =
            #recurrence.buffer<"q", input, read, sizes = ["B", "T"]>},
        %states: memref<?x4x?x64x64xbf16> {recurrence.buffer =
            #recurrence.buffer<"chunk_states", workspace, readwrite,
                               sizes = ["B", "ceildiv(T, 64)"]>})
    ```
  }];
  let parameters = (ins
    StringRefParameter<"buffer name">:$name,
    EnumParameter<Recurrence_BufferRole>:$role,
    EnumParameter<Recurrence_BufferAccess>:$access,
    OptionalArrayRefParameter<"::mlir::StringAttr",
                              "sizes of the dynamic dimensions">:$sizes
  );
  let assemblyFormat = [{
    `<` $name `,` $role `,` $access (`,` `sizes` `=` `[` $sizes^ `]`)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether a size is a symbol (an identifier), which the buffer's shape
    /// binds, rather than an expression over the symbols.
    static bool isSymbol(::llvm::StringRef size);
  }];
}

def Recurrence_RefineBuffersAttr
    : AttrDef<Recurrence_Dialect, "RefineBuffers"> {
  let mnemonic = "refine_buffers";
  let summary = "The buffers of a fused refinement write path";
  let description = [{
    The operands of a `recurrence.refine` whose results are the injection
    values, as buffer indices: the anchor `u`, the value `v` and one gain per
    key, with the activation.

    ```mlir
    #recurrence.refine_buffers<anchor = 9, value = 10, gains = [11, 12],
                               activation = gelu>
    ```
  }];
  let parameters = (ins
    Recurrence_Index<"anchor u">:$anchor,
    Recurrence_Index<"value v">:$value,
    Recurrence_Indices<"gains p^(l), one per key">:$gains,
    EnumParameter<Recurrence_Activation>:$activation
  );
  let assemblyFormat = "`<` struct(params) `>`";
}

def Recurrence_ShortConvBuffersAttr
    : AttrDef<Recurrence_Dialect, "ShortConvBuffers"> {
  let mnemonic = "short_conv_buffers";
  let summary = "The buffers of a short convolution";
  let description = [{
    The operands and the result of a `recurrence.short_conv` as buffer
    indices (`bias` and `cache` optional), with its activation.

    ```mlir
    #recurrence.short_conv_buffers<input = 13, weight = 14, bias = 15,
                                   activation = silu, output = 9>
    ```
  }];
  let parameters = (ins
    Recurrence_Index<"input x, [B, T, H, D]">:$input,
    Recurrence_Index<"weight, [H, D, W]">:$weight,
    Recurrence_OptionalIndex<"bias, [H, D]">:$bias,
    Recurrence_OptionalIndex<"last W - 1 inputs, [B, W - 1, H, D]">:$cache,
    EnumParameter<Recurrence_ConvActivation>:$activation,
    Recurrence_Index<"result, [B, T, H, D]">:$output
  );
  let assemblyFormat = "`<` struct(params) `>`";
}

def Recurrence_ShortConvList : OptionalArrayRefParameter<
    "::prism::recurrence::ShortConvBuffersAttr",
    "short convolutions, in launch order"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<
      ::llvm::SmallVector<::prism::recurrence::ShortConvBuffersAttr>> {
    ::llvm::SmallVector<::prism::recurrence::ShortConvBuffersAttr> convs;
    if ($_parser.parseCommaSeparatedList(
            ::mlir::AsmParser::Delimiter::Square, [&] {
              return $_parser.parseCustomAttributeWithFallback(
                  convs.emplace_back());
            }))
      return ::mlir::failure();
    return convs;
  }() }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer, [&](auto conv) {
      $_printer.printStrippedAttrOrType(conv);
    });
    $_printer << ']';
  }];
}

def Recurrence_ProgramAttr : AttrDef<Recurrence_Dialect, "Program"> {
  let mnemonic = "program";
  let summary = "What a lowered program computes";
  let description = [{
    Attached as `recurrence.program` to a lowered program, whose arguments
    carry `recurrence.buffer`: the recurrence it evaluates (the `recurrence`
    object of docs/manifest.md, which harnesses and the float64 oracle read),
    every operand a buffer index. `keys` has one entry per rank; the
    injection values come either from buffers (`values`, one per key) or
    from a fused refinement (`refine`). `log_decay` is needed by the scalar
    and diagonal decays and gates the delta forget; the `erase_*` entries
    and `normalize_erase_key` belong to the delta forget alone. Optional
    buffers (`log_decay`, `initial_state`, `final_state`), empty lists and
    defaults (`erase_beta_max = 1.0`, `normalize_erase_key = false`) are
    left out.

    ```mlir
    #recurrence.program<forget = delta, heads = 4, key_dim = 64, value_dim = 64,
        scale = 1.250000e-01, state_layout = kv, query = 0, keys = [1],
        values = [2], inject_gates = [3], log_decay = 4, erase_key = 1,
        erase_strength = 3, output = 5>
    ```
  }];
  let parameters = (ins
    EnumParameter<Recurrence_ForgetFamily>:$forget,
    AttrOrTypeParameter<"int64_t", "heads H">:$heads,
    AttrOrTypeParameter<"int64_t", "key width K">:$key_dim,
    AttrOrTypeParameter<"int64_t", "value width V">:$value_dim,
    Recurrence_F64Parameter<"readout scale">:$scale,
    EnumParameter<Recurrence_StateLayout>:$state_layout,
    Recurrence_Index<"queries q, [B, T, H, K]">:$query,
    Recurrence_Indices<"keys k^(l), one per rank">:$keys,
    Recurrence_Indices<"values delta^(l), one per key">:$values,
    Recurrence_Indices<"gates beta^(l), one per key or none">:$inject_gates,
    Recurrence_OptionalIndex<"log decay g, [B, T, H] or [B, T, H, K]">
        :$log_decay,
    Recurrence_OptionalIndex<"erase key w">:$erase_key,
    Recurrence_OptionalIndex<"erase strength beta">:$erase_strength,
    Recurrence_F64Parameter<"range of beta: 1 or 2",
                            "::llvm::APFloat(1.0)">:$erase_beta_max,
    DefaultValuedParameter<"bool", "false",
                           "the kernel L2-normalises w">:$normalize_erase_key,
    OptionalParameter<"::prism::recurrence::RefineBuffersAttr",
                      "fused refinement giving the values">:$refine,
    Recurrence_ShortConvList:$short_convs,
    Recurrence_OptionalIndex<"initial state">:$initial_state,
    Recurrence_Index<"output o, [B, T, H, V]">:$output,
    Recurrence_OptionalIndex<"final state">:$final_state
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The rank L of the injection: one key per rank.
    int64_t getRank() const { return getKeys().size(); }
    /// Every buffer index, with the entry's name, for range checks.
    void forEachIndex(
        ::llvm::function_ref<void(::llvm::StringRef, int64_t)> fn) const;
  }];
}

//===----------------------------------------------------------------------===//
// State-dependent programs
//===----------------------------------------------------------------------===//

// Numbers written exactly, in brackets: a constant's elements.
def Recurrence_F64List
    : OptionalArrayRefParameter<"::llvm::APFloat", "f64 numbers"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::SmallVector<::llvm::APFloat>> {
    ::llvm::SmallVector<::llvm::APFloat> numbers;
    if ($_parser.parseCommaSeparatedList(
            ::mlir::AsmParser::Delimiter::Square, [&] {
              double x;
              if ($_parser.parseFloat(x))
                return ::mlir::failure();
              numbers.push_back(::llvm::APFloat(x));
              return ::mlir::success();
            }))
      return ::mlir::failure();
    return numbers;
  }() }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer,
                            [&](const ::llvm::APFloat &x) { $_printer.printFloat(x); });
    $_printer << ']';
  }];
}

def Recurrence_StepInstrAttr : AttrDef<Recurrence_Dialect, "StepInstr"> {
  let mnemonic = "step_instr";
  let summary = "One op of a step body, for the oracle";
  let description = [{
    An op of a `recurrence.step` body as the float64 oracle runs it
    (include/prism/Runtime/StepBody.h has the ops and their arities): `op`
    applied to the values `args` gives a value of `shape` (none: an f32;
    `[n]` a vector; `[V, K]` a matrix). Values are numbered 0 for the state,
    1..n for the inputs' slices, then one per instruction. A `constant`
    holds its `values` (one for a splat).

    ```mlir
    #recurrence.step_instr<op = "matvec", args = [0, 1], shape = [64]>
    #recurrence.step_instr<op = "constant", values = [5.000000e-01]>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"op name">:$op,
    Recurrence_Indices<"argument values">:$args,
    Recurrence_Indices<"result shape">:$shape,
    Recurrence_F64List:$values
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Recurrence_StepInstrList : OptionalArrayRefParameter<
    "::prism::recurrence::StepInstrAttr", "a step body's ops, in order"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<
      ::llvm::SmallVector<::prism::recurrence::StepInstrAttr>> {
    ::llvm::SmallVector<::prism::recurrence::StepInstrAttr> ops;
    if ($_parser.parseCommaSeparatedList(
            ::mlir::AsmParser::Delimiter::Square, [&] {
              return $_parser.parseCustomAttributeWithFallback(
                  ops.emplace_back());
            }))
      return ::mlir::failure();
    return ops;
  }() }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer, [&](auto op) {
      $_printer.printStrippedAttrOrType(op);
    });
    $_printer << ']';
  }];
}

def Recurrence_StepProgramAttr : AttrDef<Recurrence_Dialect, "StepProgram"> {
  let mnemonic = "step_program";
  let summary = "What a lowered state-dependent program computes";
  let description = [{
    Attached as `recurrence.program` (instead of `#recurrence.program`) to
    the lowered program of a `recurrence.step` that stayed a step: its
    dimensions, its buffers (`inputs` in the order of the body's slices),
    the short convolutions that compute some of them (`short_convs`, as in
    `#recurrence.program`) and its body (`body`, yielding values
    `yield_state` and `yield_output`), so
    that the manifest can carry the body to the float64 oracle of programs
    that link no MLIR.

    ```mlir
    #recurrence.step_program<heads = 4, key_dim = 64, value_dim = 64,
        state_layout = kv, inputs = [0, 1, 2], output = 3,
        body = [#recurrence.step_instr<op = "matvec", args = [0, 1], shape = [64]>,
                #recurrence.step_instr<op = "outer", args = [4, 1], shape = [64, 64]>,
                #recurrence.step_instr<op = "add", args = [0, 5], shape = [64, 64]>,
                #recurrence.step_instr<op = "matvec", args = [6, 3], shape = [64]>],
        yield_state = 6, yield_output = 7>
    ```
  }];
  let parameters = (ins
    AttrOrTypeParameter<"int64_t", "heads H">:$heads,
    AttrOrTypeParameter<"int64_t", "key width K">:$key_dim,
    AttrOrTypeParameter<"int64_t", "value width V">:$value_dim,
    EnumParameter<Recurrence_StateLayout>:$state_layout,
    Recurrence_Indices<"the body's inputs, in order">:$inputs,
    Recurrence_OptionalIndex<"initial state">:$initial_state,
    Recurrence_Index<"output o, [B, T, H, V]">:$output,
    Recurrence_OptionalIndex<"final state">:$final_state,
    Recurrence_ShortConvList:$short_convs,
    Recurrence_StepInstrList:$body,
    AttrOrTypeParameter<"int64_t", "the value yielded as S_t">:$yield_state,
    AttrOrTypeParameter<"int64_t", "the value yielded as o_t">:$yield_output
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Every buffer index, with the entry's name, for range checks.
    void forEachIndex(
        ::llvm::function_ref<void(::llvm::StringRef, int64_t)> fn) const;
  }];
}

#endif // PRISM_DIALECT_RECURRENCE_PROGRAMATTRS
