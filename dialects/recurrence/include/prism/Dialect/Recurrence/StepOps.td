//===- StepOps.td - General step functions -----------------*- tablegen -*-===//
//
// `recurrence.step`: a recurrence given by the body of one step on the state,
// possibly state-dependent (the explicit solver of prism-math.md section 4),
// and the ops such a body is written with.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_RECURRENCE_STEP_OPS
#define PRISM_DIALECT_RECURRENCE_STEP_OPS

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Recurrence_StepVector : 1DTensorOf<[F32]>;
def Recurrence_StepMatrix : 2DTensorOf<[F32]>;
def Recurrence_StepValue : AnyTypeOf<[F32, Recurrence_StepVector,
                                      Recurrence_StepMatrix]>;

def Recurrence_StepOp : Recurrence_Op<"step",
    [RecursiveMemoryEffects, SingleBlock, IsolatedFromAbove,
     AttrSizedOperandSegments]> {
  let summary = "A recurrence given by one step on the state";
  let description = [{
    Runs `body` for t = 0 .. T-1 on every (batch, head): the body receives
    the state `S_{t-1}` (a `V x K` f32 matrix, `S_{-1}` from `initial` or
    zero) and the step's slice of every input, and yields `S_t` and the
    step's output o_t (a V-vector, stored to `output[b, t, h, :]`). Inputs
    are sequences `[B, T, H]` (the body sees an `f32`) or `[B, T, H, D]` (a
    `tensor<Dxf32>`), in any float type; the body computes in f32.

    The body holds only the ops below, `arith` float arithmetic and
    `math` functions, elementwise on scalars, vectors and matrices alike;
    its values are `f32` scalars, V- or K-vectors and `V x K` matrices, and
    it reads nothing from outside (constants are made inside).
    It may read `S_{t-1}` anywhere, so it can state what the structured ops
    cannot: an injection that depends on the state, as the explicit solver
    (prism-math.md section 4) does, and several inner steps a token.
    `prism-classify-steps` decides the paper's Definition 3.1 on the body
    (is the next state `S_{t-1} A_t + B_t` with `A_t`, `B_t` free of the
    state?) and reports it; a body that is not may only take the
    `sequential` schedule.

    ```mlir
    // z = S k, S += lr * (1 - tanh(z)^2) * (v - tanh(z)) k^T, o = S q / 8
    %o = recurrence.step ins(%k, %v, %q, %lr : tensor<2x?x4x64xbf16>,
             tensor<2x?x4x64xbf16>, tensor<2x?x4x64xbf16>, tensor<2x?x4xf32>)
        -> tensor<2x?x4x64xbf16> {
    ^bb0(%S: tensor<64x64xf32>, %kt: tensor<64xf32>, %vt: tensor<64xf32>,
         %qt: tensor<64xf32>, %lrt: f32):
      %z = recurrence.matvec %S, %kt : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
      %f = math.tanh %z : tensor<64xf32>
      ...
      %n = arith.addf %S, %u : tensor<64x64xf32>
      %y = recurrence.matvec %n, %qt : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
      recurrence.yield %n, %y : tensor<64x64xf32>, tensor<64xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Recurrence_FloatTensor>:$inputs,
                       Optional<Recurrence_StateTensor>:$initial_state,
                       OptionalAttr<Recurrence_ScheduleAttr>:$schedule,
                       DefaultValuedAttr<Recurrence_StateLayoutAttr,
                                         "StateLayout::kv">:$state_layout);
  let results = (outs Recurrence_FloatTensor:$output,
                      Optional<Recurrence_StateTensor>:$final_state);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `ins` `(` ($inputs^ `:` type($inputs))? `)`
    (`initial` `(` $initial_state^ `:` type($initial_state) `)`)?
    attr-dict `->` type($output) (`,` type($final_state)^)? $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The body's state argument, S_{t-1}.
    ::mlir::BlockArgument getState() { return getBody().getArgument(0); }
    /// The body's slice of input `i`.
    ::mlir::BlockArgument getSlice(unsigned i) {
      return getBody().getArgument(i + 1);
    }
    /// The state's shape, {V, K}.
    ::llvm::ArrayRef<int64_t> getStateShape() {
      return ::llvm::cast<::mlir::RankedTensorType>(getState().getType())
          .getShape();
    }
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
  }];
}

def Recurrence_YieldOp : Recurrence_Op<"yield",
    [Pure, Terminator, HasParent<"StepOp">]> {
  let summary = "Ends a step body with the next state and the output";
  let arguments = (ins Recurrence_StepMatrix:$state,
                       Recurrence_StepVector:$output);
  let assemblyFormat = [{
    $state `,` $output attr-dict `:` type($state) `,` type($output)
  }];
}

def Recurrence_MatvecOp : Recurrence_Op<"matvec", [Pure]> {
  let summary = "A state-shaped matrix times a vector: M x, or M^T y";
  let description = [{
    `matrix` is `V x K`. Without `transpose`, `x` is a K-vector and the
    result the V-vector `M x` (for the state: S k, the state's response to a
    key); with `transpose`, `y` is a V-vector and the result the K-vector
    `M^T y`.

    ```mlir
    %z = recurrence.matvec %S, %k : tensor<64x128xf32>, tensor<128xf32> -> tensor<64xf32>
    %g = recurrence.matvec %S, %e transpose : tensor<64x128xf32>, tensor<64xf32> -> tensor<128xf32>
    ```
  }];
  let arguments = (ins Recurrence_StepMatrix:$matrix,
                       Recurrence_StepVector:$vector, UnitAttr:$transpose);
  let results = (outs Recurrence_StepVector:$result);
  let assemblyFormat = [{
    $matrix `,` $vector (`transpose` $transpose^)? attr-dict `:`
    type($matrix) `,` type($vector) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Recurrence_OuterOp : Recurrence_Op<"outer", [Pure]> {
  let summary = "The outer product a b^T of a V-vector and a K-vector";
  let description = [{
    ```mlir
    %u = recurrence.outer %d, %k : tensor<64xf32>, tensor<128xf32> -> tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Recurrence_StepVector:$lhs, Recurrence_StepVector:$rhs);
  let results = (outs Recurrence_StepMatrix:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Recurrence_DotOp : Recurrence_Op<"dot", [Pure,
    AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "The inner product of two vectors";
  let description = [{
    ```mlir
    %n = recurrence.dot %k, %k : tensor<128xf32>
    ```
  }];
  let arguments = (ins Recurrence_StepVector:$lhs, Recurrence_StepVector:$rhs);
  let results = (outs F32:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs)";
}

def Recurrence_SplatOp : Recurrence_Op<"splat", [Pure]> {
  let summary = "A vector or matrix with every entry equal to a scalar";
  let description = [{
    ```mlir
    %b = recurrence.splat %beta : tensor<64xf32>
    ```
  }];
  let arguments = (ins F32:$scalar);
  let results = (outs AnyTypeOf<[Recurrence_StepVector,
                                 Recurrence_StepMatrix]>:$result);
  let assemblyFormat = "$scalar attr-dict `:` type($result)";
}

def Recurrence_BroadcastOp : Recurrence_Op<"broadcast", [Pure]> {
  let summary = "Repeats a vector along a new dimension of a matrix";
  let description = [{
    With `dim = 0` the vector is every row (`result[i, j] = x[j]`: a
    K-vector across the V rows of a state-shaped matrix, as in the diagonal
    forget `S * broadcast(exp(g))`); with `dim = 1` every column
    (`result[i, j] = x[i]`).

    ```mlir
    %a = recurrence.broadcast %decay dim 0 : tensor<128xf32> -> tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Recurrence_StepVector:$input, I64Attr:$dim);
  let results = (outs Recurrence_StepMatrix:$result);
  let assemblyFormat = [{
    $input `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // PRISM_DIALECT_RECURRENCE_STEP_OPS
