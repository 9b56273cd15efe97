//===- RecurrenceOps.td - The recurrence dialect -----------*- tablegen -*-===//
//
// Write-forget decoupled linear recurrences S_t = S_{t-1} A_t + B_t
// (shared/prism-math.md): forget operators A_t, rank-L injections B_t, the
// refinement write path, the short convolution, and the scan with readout.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_RECURRENCE_OPS
#define PRISM_DIALECT_RECURRENCE_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

def Recurrence_Dialect : Dialect {
  let name = "recurrence";
  let summary = "State-independent linear recurrences and their schedules";
  let description = [{
    The `recurrence` dialect describes sequence models whose state evolves as
    `S_t = S_{t-1} A_t + B_t`, with a forget operator `A_t` (K x K) and an
    injection `B_t` (V x K) that depend on the inputs only. Ops work on whole
    sequences laid out `[B, T, H, D]`; the state is `f32`. The forget and the
    injection are built separately (write-forget decoupling) and combined by
    `recurrence.scan`, whose `schedule` attribute names the kernel shape a
    lowering builds.
  }];
  let cppNamespace = "::prism::recurrence";
  // Step bodies hold arith and math ops.
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  // `recurrence.program` on a lowered program, `recurrence.buffer` and
  // `recurrence.name` on arguments (ProgramAttrs.td).
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kProgramAttrName =
        "recurrence.program";
    static constexpr ::llvm::StringLiteral kBufferAttrName =
        "recurrence.buffer";
    /// A specification's argument: the name of the buffer it becomes.
    static constexpr ::llvm::StringLiteral kNameAttrName = "recurrence.name";
  }];
}

class Recurrence_Op<string mnemonic, list<Trait> traits = []>
    : Op<Recurrence_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Recurrence_ForgetFamily : I32EnumAttr<"ForgetFamily",
    "forget operator family", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"scalar", 1>,
      I32EnumAttrCase<"diagonal", 2>,
      I32EnumAttrCase<"delta", 3>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

def Recurrence_Activation : I32EnumAttr<"Activation",
    "elementwise function of the refinement write path", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"gelu", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

def Recurrence_ConvActivation : I32EnumAttr<"ConvActivation",
    "activation applied after the short convolution", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"silu", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

def Recurrence_ScheduleKind : I32EnumAttr<"ScheduleKind",
    "kernel shape of a scan", [
      I32EnumAttrCase<"sequential", 0>,
      I32EnumAttrCase<"chunked_fused", 1>,
      I32EnumAttrCase<"chunked_two_pass", 2>,
      I32EnumAttrCase<"tree", 3>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

def Recurrence_StateLayout : I32EnumAttr<"StateLayout",
    "storage order of the state matrices", [
      I32EnumAttrCase<"kv", 0>,
      I32EnumAttrCase<"vk", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::prism::recurrence";
}

def Recurrence_ActivationAttr
    : EnumAttr<Recurrence_Dialect, Recurrence_Activation, "activation">;
def Recurrence_ConvActivationAttr
    : EnumAttr<Recurrence_Dialect, Recurrence_ConvActivation, "conv_activation">;
def Recurrence_StateLayoutAttr
    : EnumAttr<Recurrence_Dialect, Recurrence_StateLayout, "state_layout">;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Recurrence_ScheduleAttr : AttrDef<Recurrence_Dialect, "Schedule"> {
  let mnemonic = "schedule";
  let summary = "How a scan is evaluated: kernel shape and its parameters";
  let description = [{
    Schedules are data: the kernel shape (`sequential`, `chunked_fused`,
    `chunked_two_pass`, `tree`) and its tuning parameters. A parameter of 0
    means "choose from the shape". `v_tile` is the number of state rows per
    program (1 to 1024) and `stages` the number of steps (sequential) or
    chunks (chunked shapes) whose loads are in flight at once (1 to 4; 1 means
    no prefetching; the chunked shapes take 1 or 2: with 2, a walk over the
    chunks copies the next chunk's queries and keys into a second buffer,
    by `cp.async` on the GPU, while it computes the current one). `sequential` also takes `k_split` (lanes sharing one
    state row on a GPU, each holding K / k_split of it; a power of two up to
    32), `rows` (state rows per lane, 1 to 8, dividing `v_tile`: every loaded
    key and query slice serves that many rows) and `warps`; the chunked shapes take `chunk` (16 to 128, a multiple
    of 16) and `warps`.

    ```mlir
    #recurrence.schedule<sequential>
    #recurrence.schedule<sequential, v_tile = 64, k_split = 4, rows = 2>
    #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 2>
    ```
  }];
  let parameters = (ins
    EnumParameter<Recurrence_ScheduleKind>:$kind,
    DefaultValuedParameter<"int64_t", "0">:$chunk,
    DefaultValuedParameter<"int64_t", "0">:$vTile,
    DefaultValuedParameter<"int64_t", "0">:$kSplit,
    DefaultValuedParameter<"int64_t", "0">:$rows,
    DefaultValuedParameter<"int64_t", "0">:$warps,
    DefaultValuedParameter<"int64_t", "0">:$stages
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isChunked() const {
      return getKind() == ScheduleKind::chunked_fused ||
             getKind() == ScheduleKind::chunked_two_pass ||
             getKind() == ScheduleKind::tree;
    }
  }];
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Recurrence_ForgetType : TypeDef<Recurrence_Dialect, "Forget"> {
  let mnemonic = "forget";
  let summary = "A sequence of forget operators A_t of one family";
  let parameters = (ins EnumParameter<Recurrence_ForgetFamily>:$family);
  let assemblyFormat = "`<` $family `>`";
}

def Recurrence_InjectionType : TypeDef<Recurrence_Dialect, "Injection"> {
  let mnemonic = "injection";
  let summary = "A sequence of rank-L injections B_t";
  let parameters = (ins "int64_t":$rank);
  let assemblyFormat = "`<` $rank `>`";
  let genVerifyDecl = 1;
}

class ForgetOf<string family> : Type<
    And<[CPred<"::llvm::isa<::prism::recurrence::ForgetType>($_self)">,
         CPred<"::llvm::cast<::prism::recurrence::ForgetType>($_self).getFamily() == ::prism::recurrence::ForgetFamily::" # family>]>,
    "forget of family " # family>,
  BuildableType<"::prism::recurrence::ForgetType::get($_builder.getContext(), ::prism::recurrence::ForgetFamily::" # family # ")">;

def Recurrence_Float : AnyTypeOf<[F32, F16, BF16]>;
def Recurrence_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Recurrence_StateTensor : RankedTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Forget operators
//===----------------------------------------------------------------------===//

def Recurrence_IdentityForgetOp : Recurrence_Op<"identity_forget", [Pure]> {
  let summary = "A_t = I (linear attention)";
  let description = [{
    The state is never forgotten.

    ```mlir
    %a = recurrence.identity_forget
    ```
  }];
  let results = (outs ForgetOf<"identity">:$result);
  let assemblyFormat = "attr-dict";
}

def Recurrence_ScalarForgetOp : Recurrence_Op<"scalar_forget", [Pure]> {
  let summary = "A_t = exp(g_t) I (RetNet, Mamba-2, simple GLA)";
  let description = [{
    `log_decay` is `g` of shape `[B, T, H]` in log space (`g <= 0`).

    ```mlir
    %a = recurrence.scalar_forget %g : tensor<2x?x4xf32>
    ```
  }];
  let arguments = (ins Recurrence_FloatTensor:$log_decay);
  let results = (outs ForgetOf<"scalar">:$result);
  let assemblyFormat = "$log_decay attr-dict `:` type($log_decay)";
  let hasVerifier = 1;
}

def Recurrence_DiagonalForgetOp : Recurrence_Op<"diagonal_forget", [Pure]> {
  let summary = "A_t = diag(exp(g_t)) (GLA)";
  let description = [{
    `log_decay` is `g` of shape `[B, T, H, K]` in log space, one decay per key
    channel.

    ```mlir
    %a = recurrence.diagonal_forget %g : tensor<2x?x4x64xf32>
    ```
  }];
  let arguments = (ins Recurrence_FloatTensor:$log_decay);
  let results = (outs ForgetOf<"diagonal">:$result);
  let assemblyFormat = "$log_decay attr-dict `:` type($log_decay)";
  let hasVerifier = 1;
}

def Recurrence_DeltaForgetOp : Recurrence_Op<"delta_forget", [Pure]> {
  let summary = "A_t = alpha_t (I - beta_t w_t w_t^T) (DeltaNet, Gated DeltaNet)";
  let description = [{
    The delta-rule erasure along `key` (`w`, `[B, T, H, K]`) with strength
    `strength` (`beta`, `[B, T, H]`, in `[0, beta_max]`), optionally gated by a
    scalar log decay `gate` (`g`, `[B, T, H]`, `alpha_t = exp(g_t)`).
    Eigenvalues of `A_t` lie in `[-1, 1]` only for unit `w_t`: set `normalize`
    to have the kernel L2-normalise `w_t` itself. `beta_max` is 1 (default)
    or 2.

    ```mlir
    %a = recurrence.delta_forget %k, %beta gate(%g : tensor<2x?x4xf32>) {normalize}
        : tensor<2x?x4x64xbf16>, tensor<2x?x4xbf16>
    ```
  }];
  let arguments = (ins Recurrence_FloatTensor:$key,
                       Recurrence_FloatTensor:$strength,
                       Optional<Recurrence_FloatTensor>:$gate,
                       UnitAttr:$normalize,
                       DefaultValuedAttr<F64Attr, "1.0">:$beta_max);
  let results = (outs ForgetOf<"delta">:$result);
  let assemblyFormat = [{
    $key `,` $strength (`gate` `(` $gate^ `:` type($gate) `)`)? attr-dict
    `:` type($key) `,` type($strength)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Injection and write path
//===----------------------------------------------------------------------===//

def Recurrence_InjectOp : Recurrence_Op<"inject",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Rank-L injection B_t = sum_l beta_t^(l) delta_t^(l) k_t^(l)T";
  let description = [{
    `keys` are the L key sequences `k^(l)` (`[B, T, H, K]`), `values` the L
    value sequences `delta^(l)` (`[B, T, H, V]`), and the optional `gates` the
    L scalar gates `beta^(l)` (`[B, T, H]`, default 1). `L = 1` with
    `values = v` is ordinary linear attention.

    ```mlir
    %b = recurrence.inject keys(%k0, %k1 : tensor<2x?x4x64xbf16>, tensor<2x?x4x64xbf16>)
                           values(%d#0, %d#1 : tensor<2x?x4x64xf32>, tensor<2x?x4x64xf32>)
         -> !recurrence.injection<2>
    ```
  }];
  let arguments = (ins Variadic<Recurrence_FloatTensor>:$keys,
                       Variadic<Recurrence_FloatTensor>:$values,
                       Variadic<Recurrence_FloatTensor>:$gates);
  let results = (outs Recurrence_InjectionType:$result);
  let assemblyFormat = [{
    `keys` `(` $keys `:` type($keys) `)`
    `values` `(` $values `:` type($values) `)`
    (`gates` `(` $gates^ `:` type($gates) `)`)?
    attr-dict `->` type($result)
  }];
  let hasVerifier = 1;
}

def Recurrence_RefineOp : Recurrence_Op<"refine", [Pure]> {
  let summary = "PRISM's input-anchored refinement write path";
  let description = [{
    Given the anchor `u`, the value `v` and L gains `p^(l)` (all
    `[B, T, H, V]`), computes elementwise

        r^(1) = v - u
        delta^(l) = phi(p^(l) * r^(l)),   r^(l+1) = r^(l) - delta^(l)

    with `phi` the `activation` (`gelu`, erf form, or `identity`). The L
    results feed `recurrence.inject` as values; lowerings fuse this op into
    the scan so that `delta` never reaches memory.

    ```mlir
    %d:2 = recurrence.refine gelu %u, %v gains(%p0, %p1 : tensor<2x?x4x64xbf16>, tensor<2x?x4x64xbf16>)
        : tensor<2x?x4x64xbf16>, tensor<2x?x4x64xbf16> -> tensor<2x?x4x64xf32>, tensor<2x?x4x64xf32>
    ```
  }];
  let arguments = (ins Recurrence_ActivationAttr:$activation,
                       Recurrence_FloatTensor:$anchor,
                       Recurrence_FloatTensor:$value,
                       Variadic<Recurrence_FloatTensor>:$gains);
  let results = (outs Variadic<Recurrence_FloatTensor>:$deltas);
  let assemblyFormat = [{
    $activation $anchor `,` $value `gains` `(` $gains `:` type($gains) `)`
    attr-dict `:` type($anchor) `,` type($value) `->` type($deltas)
  }];
  let hasVerifier = 1;
}

def Recurrence_ShortConvOp : Recurrence_Op<"short_conv",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Causal depthwise short convolution over time";
  let description = [{
    Per channel `c = (h, d)` with window `W`:
    `y_t[c] = act(bias[c] + sum_{j<W} weight[c, j] * x_{t-j}[c])`, where
    `x_{t<0}` is zero or, when `cache` is given (`[B, W-1, H, D]`, oldest
    first), the last `W - 1` inputs of the previous segment. `input` is
    `[B, T, H, D]`, `weight` `[H, D, W]`, `bias` `[H, D]`.

    ```mlir
    %u = recurrence.short_conv silu %x, %w bias(%b : tensor<4x64xf32>)
        : tensor<2x?x4x64xbf16>, tensor<4x64x4xf32> -> tensor<2x?x4x64xbf16>
    ```
  }];
  let arguments = (ins Recurrence_ConvActivationAttr:$activation,
                       Recurrence_FloatTensor:$input,
                       Recurrence_FloatTensor:$weight,
                       Optional<Recurrence_FloatTensor>:$bias,
                       Optional<Recurrence_FloatTensor>:$cache);
  let results = (outs Recurrence_FloatTensor:$output);
  let assemblyFormat = [{
    $activation $input `,` $weight
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`cache` `(` $cache^ `:` type($cache) `)`)?
    attr-dict `:` type($input) `,` type($weight) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

def Recurrence_ScanOp : Recurrence_Op<"scan", [Pure]> {
  let summary = "Runs S_t = S_{t-1} A_t + B_t over time with readout";
  let description = [{
    Evaluates the recurrence from `initial_state` (`S_{-1}`, zero when absent)
    and reads out `o_t = scale * S_t q_t` for every step. `query` is
    `[B, T, H, K]`, `output` `[B, T, H, V]`; states are `f32`, stored
    `[B, H, K, V]` (`state_layout = kv`, the default) or `[B, H, V, K]`
    (`vk`). The optional second result is the final state `S_{T-1}`.
    `scale` defaults to `1/sqrt(K)`. `schedule` names the kernel shape; when
    absent, `prism-select-schedule` picks one from the shape.

    ```mlir
    %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x64x64xf32>)
        {schedule = #recurrence.schedule<sequential>}
        : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<2x?x4x64xbf16>
        -> tensor<2x?x4x64xbf16>, tensor<2x4x64x64xf32>
    ```
  }];
  let arguments = (ins Recurrence_ForgetType:$forget,
                       Recurrence_InjectionType:$injection,
                       Recurrence_FloatTensor:$query,
                       Optional<Recurrence_StateTensor>:$initial_state,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<Recurrence_ScheduleAttr>:$schedule,
                       DefaultValuedAttr<Recurrence_StateLayoutAttr,
                                         "StateLayout::kv">:$state_layout);
  let results = (outs Recurrence_FloatTensor:$output,
                      Optional<Recurrence_StateTensor>:$final_state);
  let assemblyFormat = [{
    $forget `,` $injection `,` $query
    (`initial` `(` $initial_state^ `:` type($initial_state) `)`)?
    attr-dict `:` type($forget) `,` type($injection) `,` type($query)
    `->` type($output) (`,` type($final_state)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `scale` if set, else 1/sqrt(K).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// General step functions
//===----------------------------------------------------------------------===//

include "prism/Dialect/Recurrence/StepOps.td"

//===----------------------------------------------------------------------===//
// Lowered programs
//===----------------------------------------------------------------------===//

include "prism/Dialect/Recurrence/ProgramAttrs.td"

#endif // PRISM_DIALECT_RECURRENCE_OPS
