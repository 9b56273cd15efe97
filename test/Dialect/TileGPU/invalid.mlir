// RUN: prism-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the tilegpu dialect's layout and op verifiers
// (TileGPUOps.cpp).

// expected-error @+1 {{threads must multiply to 32 (a warp), got 16}}
func.func @lanes(%x: tensor<64xf32, #tilegpu.blocked<size = [1], threads = [16], warps = [4]>>) {
  return
}

// -----

// expected-error @+1 {{threads and warps must be powers of two, got 3}}
func.func @warps(%x: tensor<64xf32, #tilegpu.blocked<size = [1], threads = [32], warps = [3]>>) {
  return
}

// -----

// expected-error @+1 {{size, threads and warps must each have one entry per dimension (1 or 2)}}
func.func @ranks(%x: tensor<64xf32, #tilegpu.blocked<size = [1, 1], threads = [32], warps = [4]>>) {
  return
}

// -----

// expected-error @+1 {{warps must have two entries}}
func.func @mma(%x: tensor<64x64xf32, #tilegpu.mma<warps = [4]>>) {
  return
}

// -----

// expected-error @+1 {{dim must be 0 or 1, got 2}}
func.func @slice(%x: tensor<64xf32, #tilegpu.slice<dim = 2, parent = #tilegpu.mma<warps = [4, 1]>>>) {
  return
}

// -----

func.func @no_layout(%x: tensor<64x64xf32>) {
  %a = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{value has no layout}}
  tilegpu.local_store %x, %a : tensor<64x64xf32>, memref<64x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  return
}

// -----

func.func @misfit(%x: tensor<48x64xf32, #tilegpu.mma<warps = [4, 1]>>) {
  %a = tilegpu.alloc : memref<48x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{value layout #tilegpu.mma<warps = [4, 1]> does not fit the shape}}
  tilegpu.local_store %x, %a : tensor<48x64xf32, #tilegpu.mma<warps = [4, 1]>>, memref<48x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  return
}

// -----

#b = #tilegpu.blocked<size = [1, 4], threads = [2, 16], warps = [4, 1]>
func.func @shape(%x: tensor<64x64xf32, #b>) {
  %a = tilegpu.alloc : memref<64x32xf32, strided<[36, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{must have the tile's shape and element type}}
  tilegpu.local_store %x, %a : tensor<64x64xf32, #b>, memref<64x32xf32, strided<[36, 1]>, #gpu.address_space<workgroup>>
  return
}

// -----

func.func @global() {
  // expected-error @+1 {{must be shared-memory buffer}}
  %a = tilegpu.alloc : memref<64xf32>
  return
}

// -----

func.func @offset() {
  // expected-error @+1 {{offset must be a non-negative multiple of 16, got 8}}
  %a = tilegpu.alloc {offset = 8 : i64} : memref<64xf32, #gpu.address_space<workgroup>>
  return
}

// -----

#b = #tilegpu.blocked<size = [1], threads = [32], warps = [4]>
#c = #tilegpu.blocked<size = [2], threads = [32], warps = [1]>
func.func @convert(%x: tensor<64xf32, #b>) {
  // expected-error @+1 {{moves data between threads or slots}}
  %y = tilegpu.convert %x : tensor<64xf32, #b> -> tensor<64xf32, #c>
  return
}

// -----

#m = #tilegpu.mma<warps = [4, 1]>
func.func @reduction(%a: memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>,
                     %b: memref<32x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>) {
  // expected-error @+1 {{reduction sizes differ: 64 and 32}}
  %p = tilegpu.mma %a, %b : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>,
      memref<32x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>> -> tensor<64x64xf32, #m>
  return
}

// -----

#m = #tilegpu.mma<warps = [4, 1]>
func.func @lower_acc(%a: memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>,
                     %c: tensor<64x64xf32, #m>) {
  // expected-error @+1 {{lower needs a square result and no accumulator}}
  %p = tilegpu.mma %a, %a acc(%c : tensor<64x64xf32, #m>) lower : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>,
      memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>> -> tensor<64x64xf32, #m>
  return
}

// -----

#m = #tilegpu.mma<warps = [4, 1]>
func.func @result(%a: memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>) {
  // expected-error @+1 {{result must be tensor<64x64xf32> with an mma layout}}
  %p = tilegpu.mma %a, %a : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>,
      memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>> -> tensor<64x32xf32, #m>
  return
}

// -----

func.func @inverse(%l: memref<64x32xf32, strided<[36, 1]>, #gpu.address_space<workgroup>>) {
  // expected-error @+1 {{needs a square buffer}}
  tilegpu.tri_inverse %l : memref<64x32xf32, strided<[36, 1]>, #gpu.address_space<workgroup>>
  return
}

// -----

#smem = #gpu.address_space<workgroup>
func.func @solve_f32(%l: memref<64x64xf32, #smem>, %r: memref<64x32xf32, #smem>,
                     %y: memref<16x32xf32, #smem>) {
  // expected-error @+1 {{needs 16-bit operands, got 'f32'}}
  tilegpu.tri_solve %l, %l, %r, %y, %r : memref<64x64xf32, #smem>, memref<64x64xf32, #smem>,
      memref<64x32xf32, #smem>, memref<16x32xf32, #smem>, memref<64x32xf32, #smem>
  return
}

// -----

#smem = #gpu.address_space<workgroup>
func.func @solve_rows(%l: memref<48x48xbf16, #smem>, %r: memref<64x32xbf16, #smem>,
                      %y: memref<16x32xbf16, #smem>, %x: memref<64x32xbf16, #smem>) {
  // expected-error @+1 {{needs r and x of l's 48 rows and one shape}}
  tilegpu.tri_solve %l, %l, %r, %y, %x : memref<48x48xbf16, #smem>, memref<48x48xbf16, #smem>,
      memref<64x32xbf16, #smem>, memref<16x32xbf16, #smem>, memref<64x32xbf16, #smem>
  return
}

// -----

#smem = #gpu.address_space<workgroup>
func.func @solve_scratch(%l: memref<64x64xbf16, #smem>, %r: memref<64x32xbf16, #smem>,
                         %y: memref<32x32xbf16, #smem>, %x: memref<64x32xbf16, #smem>) {
  // expected-error @+1 {{needs a 16 x 32 scratch y}}
  tilegpu.tri_solve %l, %l, %r, %y, %x : memref<64x64xbf16, #smem>, memref<64x64xbf16, #smem>,
      memref<64x32xbf16, #smem>, memref<32x32xbf16, #smem>, memref<64x32xbf16, #smem>
  return
}

// -----

func.func @scan(%x: memref<64xbf16, #gpu.address_space<workgroup>>) {
  // expected-error @+1 {{scans f32 buffers only}}
  tilegpu.scan %x : memref<64xbf16, #gpu.address_space<workgroup>>
  return
}

// -----

#m = #tilegpu.mma<warps = [4, 2]>
func.func @reduce_scratch(%x: tensor<64x128xf32, #m>) {
  %s = tilegpu.alloc : memref<4x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{scratch must be f32 with one row per warp along the reduced dimension (2)}}
  %r = tilegpu.reduce %x dim 1 scratch(%s) : tensor<64x128xf32, #m>,
      memref<4x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
      -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #m>>
  return
}

// -----

#rows16 = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
func.func @async_copy_shape(%k: memref<?x?x4x64xbf16>, %i: index) {
  %buf = tilegpu.alloc : memref<32x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{buffer 'memref<32x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>' must have the tile's shape and element type}}
  tilegpu.async_copy %k[%i, %i, %i, %i] dims [1, 3], %buf as tensor<64x64xbf16, #rows16>
      : memref<?x?x4x64xbf16>, memref<32x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  return
}

// -----

#rows16 = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
func.func @async_copy_indices(%k: memref<?x?x4x64xbf16>, %i: index) {
  %buf = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{needs one index per dimension of the source (4), got 3}}
  tilegpu.async_copy %k[%i, %i, %i] dims [1, 3], %buf as tensor<64x64xbf16, #rows16>
      : memref<?x?x4x64xbf16>, memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  return
}

// -----

#rows16 = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
func.func @async_copy_elements(%k: memref<?x?x4x64xf16>, %i: index) {
  %buf = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  // expected-error @+1 {{source elements 'f16' differ from the tile's 'bf16'}}
  tilegpu.async_copy %k[%i, %i, %i, %i] dims [1, 3], %buf as tensor<64x64xbf16, #rows16>
      : memref<?x?x4x64xf16>, memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  return
}
