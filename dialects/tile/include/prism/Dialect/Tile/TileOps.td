//===- TileOps.td - The tile dialect -----------------------*- tablegen -*-===//
//
// The target-independent tile level between the recurrence ops and the
// targets (docs/rationale.md): kernels over a grid, chunk loops carrying
// tiles, tile loads and stores of [B, T, H, D] buffers, matrix products, the
// in-chunk cumulative sums, causal masks and the unit-triangular solve.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_TILE_OPS
#define PRISM_DIALECT_TILE_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

def Tile_Dialect : Dialect {
  let name = "tile";
  let summary = "Tiles, kernels and chunk loops: how a schedule splits a scan";
  let description = [{
    The `tile` dialect is where a schedule of a `recurrence.scan` is written
    down, independently of any machine. Tiles are statically shaped ranked
    tensors of `f32`, `bf16` or `f16` (rank 1 or 2) held as SSA values;
    elementwise math on them is `arith` and `math` on those tensors, loops over
    chunks or steps are `scf.for` carrying tiles, and the ops of this dialect
    add what those dialects lack: kernels launched over a grid
    (`tile.kernel`), tile loads and stores of the `[B, T, H, D]` buffers with
    a mask along the time axis, matrix products with an `f32` accumulator,
    in-chunk cumulative sums, causal masks, the unit-triangular solve,
    reductions and broadcasts.

    Nothing here names a lane, a warp, a fragment, shared memory or a barrier:
    a target mapping decides where each tile lives and which instructions
    compute it. The CPU mapping runs the tile program with loops; the GPU
    mapping assigns layouts and lowers products to tensor-core instructions.
  }];
  let cppNamespace = "::prism::tile";
}

class Tile_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tile_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Tile_Float : AnyTypeOf<[F32, F16, BF16]>;
def Tile_Tile : Type<
    And<[StaticShapeTensorOf<[F32, F16, BF16]>.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() >= 1">,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() <= 2">]>,
    "tile (statically shaped tensor of rank 1 or 2 of f32, f16 or bf16)",
    "::mlir::RankedTensorType">;
def Tile_F32Tile : Type<
    And<[Tile_Tile.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getElementType().isF32()">]>,
    "f32 tile", "::mlir::RankedTensorType">;
def Tile_Matrix : Type<
    And<[Tile_Tile.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 2">]>,
    "2-d tile", "::mlir::RankedTensorType">;
def Tile_F32Matrix : Type<
    And<[Tile_F32Tile.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 2">]>,
    "2-d f32 tile", "::mlir::RankedTensorType">;

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def Tile_KernelOp : Tile_Op<"kernel", [
    SingleBlockImplicitTerminator<"EndOp">, RecursiveMemoryEffects]> {
  let summary = "A kernel: its body runs once per point of a grid";
  let description = [{
    The body runs once for every point of the grid (1 to 3 index extents),
    in any order and possibly at the same time: programs communicate only
    through the buffers of later kernels. Its block arguments are the point's
    coordinates. Kernels of one function run one after the other, in program
    order. The body reads and writes buffers of the enclosing function.
    `name` names the kernel in the target's output.

    ```mlir
    tile.kernel "scan" grid(%H, %B) {
    ^bb0(%h: index, %b: index):
      ...
    }
    ```
  }];
  let arguments = (ins StrAttr:$name, Variadic<Index>:$grid);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$name `grid` `(` $grid `)` attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$name, "::mlir::ValueRange":$grid)>
  ];
  let extraClassDeclaration = [{
    /// The coordinates of the program in the grid.
    ::mlir::Block::BlockArgListType getProgramIds() {
      return getBody().front().getArguments();
    }
  }];
}

def Tile_EndOp : Tile_Op<"end", [Terminator, HasParent<"KernelOp">, Pure]> {
  let summary = "Ends a kernel body";
  let description = [{
    Implicit terminator of `tile.kernel`.
  }];
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

def Tile_LoadOp : Tile_Op<"load", [AttrSizedOperandSegments]> {
  let summary = "Loads a tile from a buffer, rows outside a bound read as zero";
  let description = [{
    Element `(i, j)` of the result is the buffer element at `indices`
    advanced by `i` along buffer dimension `dims[0]` and by `j` along
    `dims[1]`: `dims` says which buffer dimension each tile dimension
    walks (`[1, 3]` for a chunk of rows of a `[B, T, H, D]` sequence, `[3, 2]`
    for a transposed read of a `[B, H, K, V]` state). With `below(%bound)`,
    the coordinates along buffer dimension `dims[0]` that fall outside
    `[0, bound)` are not read and give zero: a chunk that runs past the end of
    the sequence, or before its start. The other coordinates must be in
    bounds.

    ```mlir
    %q = tile.load %query[%b, %t0, %h, %c0] dims [1, 3] below(%T)
        : memref<?x?x4x64xbf16> -> tensor<64x64xbf16>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "the buffer", [MemRead]>:$source,
                       Variadic<Index>:$indices,
                       DenseI64ArrayAttr:$dims,
                       Optional<Index>:$bound);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = [{
    $source `[` $indices `]` `dims` $dims (`below` `(` $bound^ `)`)?
    attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_StoreOp : Tile_Op<"store", [AttrSizedOperandSegments]> {
  let summary = "Stores a tile into a buffer, rows outside a bound skipped";
  let description = [{
    The inverse of `tile.load` with the same `dims` and `below` conventions:
    rows whose coordinate along `dims[0]` falls outside `[0, bound)` are not
    written. The value's element type must be the buffer's.

    ```mlir
    tile.store %o, %out[%b, %t0, %h, %v0] dims [1, 3] below(%T)
        : tensor<64x64xbf16>, memref<?x?x4x64xbf16>
    ```
  }];
  let arguments = (ins Tile_Tile:$value,
                       Arg<AnyMemRef, "the buffer", [MemWrite]>:$dest,
                       Variadic<Index>:$indices,
                       DenseI64ArrayAttr:$dims,
                       Optional<Index>:$bound);
  let assemblyFormat = [{
    $value `,` $dest `[` $indices `]` `dims` $dims (`below` `(` $bound^ `)`)?
    attr-dict `:` type($value) `,` type($dest)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Products and solves
//===----------------------------------------------------------------------===//

def Tile_DotOp : Tile_Op<"dot", [Pure]> {
  let summary = "Matrix product with an f32 result (and accumulator)";
  let description = [{
    `result = acc + op(a) op(b)` where `op` transposes an operand when
    `transpose_a` / `transpose_b` is set; `acc` is zero when absent. The two
    operands share an element type (`bf16`, `f16` or `f32`); products and sums
    are `f32`.

    Two causal forms say which terms exist, so that a target can skip the
    others (a chunk's scores are causal):
    - `lower_a`: the product of the lower triangle of `op(a)`, diagonal
      included: `op(a)[i, k]` is read only for `k <= i` (`op(a)` square).
    - `lower`: the result's lower triangle, diagonal included; the entries
      above it are zero (a square result, no accumulator).

    ```mlir
    %s = tile.dot %q, %k transpose_b : tensor<64x64xbf16>, tensor<64x64xbf16>
        -> tensor<64x64xf32>
    %o = tile.dot %p, %v acc(%o0 : tensor<64x32xf32>) : tensor<64x64xbf16>, tensor<64x32xbf16>
        -> tensor<64x32xf32>
    %c = tile.dot %q, %k transpose_b lower : tensor<64x64xbf16>, tensor<64x64xbf16>
        -> tensor<64x64xf32>
    %u = tile.dot %c16, %v lower_a : tensor<64x64xbf16>, tensor<64x32xbf16>
        -> tensor<64x32xf32>
    ```
  }];
  let arguments = (ins Tile_Matrix:$a, Tile_Matrix:$b,
                       Optional<Tile_F32Matrix>:$acc,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b,
                       UnitAttr:$lower_a, UnitAttr:$lower);
  let results = (outs Tile_F32Matrix:$result);
  let assemblyFormat = [{
    $a `,` $b (`acc` `(` $acc^ `:` type($acc) `)`)? (`transpose_a` $transpose_a^)?
    (`transpose_b` $transpose_b^)? (`lower_a` $lower_a^)? (`lower` $lower^)?
    attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_DecayDotOp : Tile_Op<"decay_dot", [Pure]> {
  let summary = "Causal product with per-channel decays between the rows";
  let description = [{
    `result[i, j] = sum_c a[i, c] b[j, c] 2^(ga[i, c] - gb[j, c])` for
    `j <= i`, and zero above the diagonal (those exponents are never
    evaluated). With `ga = gb = G`, the in-chunk cumulative log2 decays of a
    diagonal forget, these are the decayed scores of queries `a` against keys
    `b`: every kept exponent is a non-positive difference.

    ```mlir
    %p = tile.decay_dot %q, %k, %G, %G : tensor<64x64xbf16>, tensor<64x64xbf16>,
        tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Tile_Matrix:$a, Tile_Matrix:$b, Tile_F32Matrix:$ga,
                       Tile_F32Matrix:$gb);
  let results = (outs Tile_F32Matrix:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $ga `,` $gb attr-dict `:` type($a) `,` type($b) `,`
    type($ga) `,` type($gb) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_TriSolveOp : Tile_Op<"tri_solve", [Pure]> {
  let summary = "(I + strictly_lower(l))^-1 r, the unit lower-triangular solve";
  let description = [{
    Solves `(I + strictly_lower(l)) x = r` for `x`: the delta forget's
    in-chunk solve (prism-math.md section 5). Only the strictly lower part
    of `l` is read. `l`'s element type is the operand type of the solve's
    products (`bf16`, `f16` or `f32`); `r` and the result are `f32`. A
    target may round `r`, the rows it has solved and what it subtracts from
    them to that operand type before they enter a product, as `tile.dot`
    rounds its operands. A target picks the algorithm: by blocks of rows
    (the diagonal blocks inverted by substitution, the rest tensor-core
    products of the solved rows) where its products are 16-bit, by
    substitution or an inverse otherwise. Solves of several right-hand sides
    with the same `l` may share the target's factors of it.

    ```mlir
    %x = tile.tri_solve %l, %r : tensor<64x64xbf16>, tensor<64x32xf32>
        -> tensor<64x32xf32>
    ```
  }];
  let arguments = (ins Tile_Matrix:$l, Tile_F32Matrix:$r);
  let results = (outs Tile_F32Matrix:$result);
  let assemblyFormat = [{
    $l `,` $r attr-dict `:` type($l) `,` type($r) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scans, masks, reductions and broadcasts
//===----------------------------------------------------------------------===//

def Tile_CumsumOp : Tile_Op<"cumsum", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Inclusive cumulative sum along one dimension";
  let description = [{
    `result[.., i, ..] = sum_{j <= i} input[.., j, ..]` along `dim`: the
    in-chunk cumulative log decays.

    ```mlir
    %G = tile.cumsum %g dim 0 : tensor<64xf32>
    ```
  }];
  let arguments = (ins Tile_F32Tile:$input, I64Attr:$dim);
  let results = (outs Tile_F32Tile:$result);
  let assemblyFormat = "$input `dim` $dim attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tile_CausalMaskOp : Tile_Op<"causal_mask",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Replaces the entries above the diagonal";
  let description = [{
    Keeps `input[i, j]` for `j <= i` (`j < i` with `strict`) and replaces the
    others by `fill`. With `fill = -inf` on log decays, `math.exp2` of the
    result is the causal decay matrix, and no positive exponent is evaluated.
    Products that need only one triangle say so on `tile.dot` (`lower`,
    `lower_a`) instead of multiplying a masked tile.

    ```mlir
    %m = tile.causal_mask %x strict fill(0.0) : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Tile_F32Matrix:$input, UnitAttr:$strict, F64Attr:$fill);
  let results = (outs Tile_F32Matrix:$result);
  let assemblyFormat = [{
    $input (`strict` $strict^)? `fill` `(` $fill `)` attr-dict `:` type($input)
  }];
}

def Tile_ReduceKind : I32EnumAttr<"ReduceKind", "reduction of a tile", [
    I32EnumAttrCase<"add", 0>,
    I32EnumAttrCase<"max", 1>
  ]> {
  let cppNamespace = "::prism::tile";
}

def Tile_ReduceOp : Tile_Op<"reduce", [Pure]> {
  let summary = "Reduces a tile along one dimension";
  let description = [{
    Sums (`add`) or takes the maximum (`max`) of an `f32` tile along `dim`,
    which the result drops: a 2-d tile gives a 1-d tile, a 1-d tile (dim 0)
    an `f32` scalar.

    ```mlir
    %n = tile.reduce add %x dim 1 : tensor<64x128xf32> -> tensor<64xf32>
    %g = tile.reduce add %y dim 0 : tensor<64xf32> -> f32
    ```
  }];
  let arguments = (ins Tile_ReduceKind:$kind, Tile_F32Tile:$input,
                       I64Attr:$dim);
  let results = (outs AnyTypeOf<[F32, Tile_F32Tile]>:$result);
  let assemblyFormat = [{
    $kind $input `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_BroadcastOp : Tile_Op<"broadcast", [Pure]> {
  let summary = "Repeats a 1-d tile along a new dimension";
  let description = [{
    The result has one more dimension, `dim`, along which the input repeats:
    with `dim = 1`, `result[i, j] = input[i]`; with `dim = 0`,
    `result[i, j] = input[j]`.

    ```mlir
    %r = tile.broadcast %x dim 1 : tensor<64xf32> -> tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Tile_Tile:$input, I64Attr:$dim);
  let results = (outs Tile_Matrix:$result);
  let assemblyFormat = [{
    $input `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_SplatOp : Tile_Op<"splat", [Pure]> {
  let summary = "A tile with every element equal to a scalar";
  let description = [{
    ```mlir
    %t = tile.splat %alpha : f32 -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Tile_Float:$scalar);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = "$scalar attr-dict `:` type($scalar) `->` type($result)";
  let hasVerifier = 1;
}

#endif // PRISM_DIALECT_TILE_OPS
