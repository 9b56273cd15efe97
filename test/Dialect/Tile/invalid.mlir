// RUN: prism-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the tile dialect's verifiers (TileOps.cpp) and
// type constraints (TileOps.td).

func.func @kernel_no_grid() {
  // expected-error @+1 {{needs a grid of 1 to 3 extents, got 0}}
  "tile.kernel"() ({
    "tile.end"() : () -> ()
  }) {name = "k"} : () -> ()
  return
}

// -----

func.func @kernel_four_extents(%n: index) {
  // expected-error @+1 {{needs a grid of 1 to 3 extents, got 4}}
  tile.kernel "k" grid(%n, %n, %n, %n) {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
  }
  return
}

// -----

func.func @kernel_arguments(%n: index) {
  // expected-error @+1 {{body has 1 arguments for a grid of 2 extents}}
  tile.kernel "k" grid(%n, %n) {
  ^bb0(%a: index):
  }
  return
}

// -----

func.func @kernel_argument_type(%n: index) {
  // expected-error @+1 {{body argument #0 must be an index, got 'i32'}}
  tile.kernel "k" grid(%n) {
  ^bb0(%a: i32):
  }
  return
}

// -----

func.func @kernel_name(%n: index) {
  // expected-error @+1 {{name 'a/b' must be a non-empty identifier}}
  tile.kernel "a/b" grid(%n) {
  ^bb0(%a: index):
  }
  return
}

// -----

func.func @load_indices(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{has 3 indices for a rank-4 buffer}}
  %t = tile.load %m[%i, %i, %i] dims [1, 3] : memref<?x?x4x64xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @load_dims(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{has 1 dims for a rank-2 tile}}
  %t = tile.load %m[%i, %i, %i, %i] dims [1] : memref<?x?x4x64xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @load_dim_range(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{dims[1] = 4 is not a dimension of the rank-4 buffer}}
  %t = tile.load %m[%i, %i, %i, %i] dims [1, 4] : memref<?x?x4x64xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @load_dim_twice(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{walks buffer dimension 3 twice}}
  %t = tile.load %m[%i, %i, %i, %i] dims [3, 3] : memref<?x?x4x64xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @load_too_long(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{tile dimension 1 (128) is longer than buffer dimension 3 (64)}}
  %t = tile.load %m[%i, %i, %i, %i] dims [1, 3] : memref<?x?x4x64xf32> -> tensor<16x128xf32>
  return
}

// -----

// A bound masks the rows past the buffer: a 16-row tile of a 3-row cache.
func.func @load_masked_longer(%m: memref<2x3x4x64xf32>, %i: index) {
  %t = tile.load %m[%i, %i, %i, %i] dims [1, 3] below(%i) : memref<2x3x4x64xf32> -> tensor<16x64xf32>
  // expected-error @+1 {{tile dimension 1 (128) is longer than buffer dimension 3 (64)}}
  %u = tile.load %m[%i, %i, %i, %i] dims [1, 3] below(%i) : memref<2x3x4x64xf32> -> tensor<16x128xf32>
  return
}

// -----

func.func @load_element_type(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{tile element type 'bf16' differs from the buffer's 'f32'}}
  %t = tile.load %m[%i, %i, %i, %i] dims [1, 3] : memref<?x?x4x64xf32> -> tensor<16x64xbf16>
  return
}

// -----

func.func @load_rank3(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{result #0 must be tile (statically shaped tensor of rank 1 or 2 of f32, f16 or bf16)}}
  %t = tile.load %m[%i, %i, %i, %i] dims [1, 2, 3] : memref<?x?x4x64xf32> -> tensor<16x4x64xf32>
  return
}

// -----

func.func @load_dynamic(%m: memref<?x?x4x64xf32>, %i: index) {
  // expected-error @+1 {{result #0 must be tile}}
  %t = tile.load %m[%i, %i, %i, %i] dims [1, 3] : memref<?x?x4x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @store_element_type(%t: tensor<16x64xf32>, %m: memref<?x?x4x64xbf16>, %i: index) {
  // expected-error @+1 {{tile element type 'f32' differs from the buffer's 'bf16'}}
  tile.store %t, %m[%i, %i, %i, %i] dims [1, 3] : tensor<16x64xf32>, memref<?x?x4x64xbf16>
  return
}

// -----

func.func @dot_types(%a: tensor<16x16xbf16>, %b: tensor<16x16xf16>) {
  // expected-error @+1 {{operands have element types 'bf16' and 'f16'; they must match}}
  %r = tile.dot %a, %b : tensor<16x16xbf16>, tensor<16x16xf16> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_reduction(%a: tensor<16x32xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{reduces over 32 columns of a but 16 rows of b}}
  %r = tile.dot %a, %b : tensor<16x32xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_result(%a: tensor<16x32xf32>, %b: tensor<8x32xf32>) {
  // expected-error @+1 {{result must be 16x8, got 16x16}}
  %r = tile.dot %a, %b transpose_b : tensor<16x32xf32>, tensor<8x32xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_result_type(%a: tensor<16x16xbf16>) {
  // expected-error @+1 {{result #0 must be 2-d f32 tile}}
  %r = tile.dot %a, %a : tensor<16x16xbf16>, tensor<16x16xbf16> -> tensor<16x16xbf16>
  return
}

// -----

func.func @dot_lower_a_square(%a: tensor<16x32xf32>, %b: tensor<32x8xf32>) {
  // expected-error @+1 {{lower_a needs a square op(a), got 16x32}}
  %r = tile.dot %a, %b lower_a : tensor<16x32xf32>, tensor<32x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_lower_acc(%a: tensor<16x16xf32>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{lower needs a square result and no accumulator}}
  %r = tile.dot %a, %a acc(%c : tensor<16x16xf32>) lower : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_lower_both(%a: tensor<16x16xf32>) {
  // expected-error @+1 {{takes one of lower_a and lower}}
  %r = tile.dot %a, %a lower_a lower : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_acc(%a: tensor<16x16xf32>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{accumulator type 'tensor<16x8xf32>' differs from the result type 'tensor<16x16xf32>'}}
  %r = tile.dot %a, %a acc(%c : tensor<16x8xf32>) : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @decay_dot_channels(%a: tensor<16x32xf32>, %b: tensor<16x16xf32>, %g: tensor<16x32xf32>, %h: tensor<16x16xf32>) {
  // expected-error @+1 {{a has 32 channels and b 16}}
  %r = tile.decay_dot %a, %b, %g, %h : tensor<16x32xf32>, tensor<16x16xf32>, tensor<16x32xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @decay_dot_decays(%a: tensor<16x32xf32>, %g: tensor<16x16xf32>) {
  // expected-error @+1 {{ga must have the shape of a}}
  %r = tile.decay_dot %a, %a, %g, %g : tensor<16x32xf32>, tensor<16x32xf32>, tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @decay_dot_result(%a: tensor<16x32xf32>) {
  // expected-error @+1 {{result must be 16x16}}
  %r = tile.decay_dot %a, %a, %a, %a : tensor<16x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<16x32xf32>
  return
}

// -----

func.func @solve_square(%l: tensor<16x32xbf16>, %r: tensor<16x8xf32>) {
  // expected-error @+1 {{needs a square matrix, got 16x32}}
  %x = tile.tri_solve %l, %r : tensor<16x32xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @solve_rows(%l: tensor<32x32xbf16>, %r: tensor<16x8xf32>) {
  // expected-error @+1 {{solves 32 rows but the right-hand side has 16}}
  %x = tile.tri_solve %l, %r : tensor<32x32xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @solve_result(%l: tensor<16x16xbf16>, %r: tensor<16x8xf32>) {
  // expected-error @+1 {{result must have the right-hand side's shape 16x8}}
  %x = tile.tri_solve %l, %r : tensor<16x16xbf16>, tensor<16x8xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @cumsum_dim(%x: tensor<16xf32>) {
  // expected-error @+1 {{dim 1 is not a dimension of 'tensor<16xf32>'}}
  %r = tile.cumsum %x dim 1 : tensor<16xf32>
  return
}

// -----

func.func @cumsum_type(%x: tensor<16xbf16>) {
  // expected-error @+1 {{operand #0 must be f32 tile}}
  %r = tile.cumsum %x dim 0 : tensor<16xbf16>
  return
}

// -----

func.func @mask_vector(%x: tensor<16xf32>) {
  // expected-error @+1 {{operand #0 must be 2-d f32 tile}}
  %r = tile.causal_mask %x fill(0.0) : tensor<16xf32>
  return
}

// -----

func.func @reduce_dim(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{dim 2 is not a dimension of 'tensor<16x8xf32>'}}
  %r = tile.reduce add %x dim 2 : tensor<16x8xf32> -> tensor<16xf32>
  return
}

// -----

func.func @reduce_result(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{result must be tensor<16xf32>}}
  %r = tile.reduce max %x dim 1 : tensor<16x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @reduce_vector(%x: tensor<16xf32>) {
  // expected-error @+1 {{result of a 1-d reduction must be f32}}
  %r = tile.reduce add %x dim 0 : tensor<16xf32> -> tensor<1xf32>
  return
}

// -----

func.func @broadcast_rank(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{input must be a 1-d tile}}
  %r = tile.broadcast %x dim 0 : tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @broadcast_size(%x: tensor<16xf32>) {
  // expected-error @+1 {{result dimension 0 must be the input's 16}}
  %r = tile.broadcast %x dim 1 : tensor<16xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @broadcast_type(%x: tensor<16xf32>) {
  // expected-error @+1 {{result element type must be the input's}}
  %r = tile.broadcast %x dim 0 : tensor<16xf32> -> tensor<8x16xbf16>
  return
}

// -----

func.func @splat_type(%x: f32) {
  // expected-error @+1 {{result element type must be the scalar's type}}
  %r = tile.splat %x : f32 -> tensor<8x16xbf16>
  return
}

// -----

func.func @end_outside() {
  // expected-error @+1 {{expects parent op 'tile.kernel'}}
  tile.end
  return
}

// -----

func.func @cumsum_negative(%x: tensor<16xf32>) {
  // expected-error @+1 {{dim -1 is not a dimension of 'tensor<16xf32>'}}
  %r = tile.cumsum %x dim -1 : tensor<16xf32>
  return
}
