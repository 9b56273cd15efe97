// RUN: prism-opt %s -split-input-file --prism-convert-tile-to-gpu --cse | FileCheck %s
// RUN: prism-opt %s -split-input-file --prism-convert-tile-to-gpu="chip=sm_80" --cse | FileCheck %s --check-prefix=SM80

// Kernels become launches of 32 x warps threads; a tile with a layout is
// each thread's vector of its elements: 16-byte loads along the buffer's
// rows, masked rows through scf.if, row reductions by xor shuffles, 16-bit
// products by ldmatrix and mma.sync, 2^x as ex2.approx.ftz.

#b = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
#m = #tilegpu.mma<warps = [4, 1]>
#rows = #tilegpu.slice<dim = 1, parent = #m>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @chunk
func.func @chunk(%q: memref<?x?x4x64xbf16>, %o: memref<?x?x4x64xf32>, %T: index, %B: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // CHECK: gpu.launch blocks(%[[H:.+]], %[[BB:.+]], %{{.+}}) in ({{.+}}) threads({{.+}}) in (%{{.+}} = %c128{{.*}}, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}})
  tile.kernel "scan" grid(%c4, %B) attributes {tilegpu.shared_bytes = 9216 : i64, tilegpu.warps = 4 : i64} {
  ^bb0(%h: index, %b: index):
    // Rows past T read zero: one guarded 16-byte load per run of 8.
    // CHECK: scf.if %{{.+}} -> (vector<8xbf16>)
    // CHECK: vector.load %{{.+}}[%[[BB]], %{{.+}}, %[[H]], %{{.+}}] {alignment = 16 : i64} : memref<?x?x4x64xbf16>, vector<8xbf16>
    %qc = tile.load %q[%b, %c0, %h, %c0] dims [1, 3] below(%T) : memref<?x?x4x64xbf16> -> tensor<64x64xbf16, #b>
    // CHECK: %[[G:.+]] = memref.get_global @__prism_shared : memref<0xi8, #gpu.address_space<workgroup>>
    // CHECK: memref.view %[[G]]
    // CHECK: memref.reinterpret_cast %{{.+}} to offset: [0], sizes: [64, 64], strides: [72, 1]
    %a = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    // CHECK: vector.store %{{.+}} {alignment = 16 : i64} : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>, vector<8xbf16>
    tilegpu.local_store %qc, %a : tensor<64x64xbf16, #b>, memref<64x64xbf16, strided<[72, 1]>, #smem>
    gpu.barrier
    // Each warp: its 16 rows, four 16-wide steps, eight column tiles each
    // (their B fragments two column tiles an ldmatrix: no two-matrix loads).
    // CHECK-COUNT-4: nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false}
    // CHECK-NOT: numTiles = 2
    // CHECK: nvvm.mma.sync
    // CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
    // CHECK-NOT: numTiles = 2
    // CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
    %p = tilegpu.mma %a, %a transpose_b : memref<64x64xbf16, strided<[72, 1]>, #smem>,
        memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xf32, #m>
    %e = math.exp2 %p : tensor<64x64xf32, #m>
    // Lanes of a quad hold a row's other columns.
    // CHECK: %[[ONE:.+]] = arith.constant 1 : i32
    // CHECK: gpu.shuffle  xor %{{.+}}, %[[ONE]], %{{.+}} : f32
    // CHECK: %[[TWO:.+]] = arith.constant 2 : i32
    // CHECK: gpu.shuffle  xor %{{.+}}, %[[TWO]], %{{.+}} : f32
    %r = tile.reduce add %e dim 1 : tensor<64x64xf32, #m> -> tensor<64xf32, #rows>
    // CHECK: vector.shuffle
    %rr = tile.broadcast %r dim 1 : tensor<64xf32, #rows> -> tensor<64x64xf32, #m>
    %s = arith.addf %e, %rr : tensor<64x64xf32, #m>
    // Pairs of columns: 8-byte stores.
    // CHECK: vector.store %{{.+}} {alignment = 8 : i64} : memref<?x?x4x64xf32>, vector<2xf32>
    tile.store %s, %o[%b, %c0, %h, %c0] dims [1, 3] below(%T) : tensor<64x64xf32, #m>, memref<?x?x4x64xf32>
  }
  // CHECK-NOT: {{ tile\.[a-z_]+ }}
  // CHECK-NOT: {{ tilegpu\.[a-z_]+ }}
  return
}

// -----

// A product of f32 operands: each thread's elements in f32, one loop over
// the reduction (compile time does not grow with the operands).
#m = #tilegpu.mma<warps = [2, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @f32
func.func @f32(%n: index, %o: memref<32x32xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 9216 : i64, tilegpu.warps = 2 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc {offset = 0 : i64} : memref<32x64xf32, strided<[68, 1]>, #smem>
    // CHECK: %[[K:.+]] = arith.constant 64 : index
    // CHECK: scf.for %{{.+}} = %{{.+}} to %[[K]] step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (vector<16xf32>)
    // CHECK-NOT: nvvm.mma.sync
    %p = tilegpu.mma %a, %a transpose_b : memref<32x64xf32, strided<[68, 1]>, #smem>,
        memref<32x64xf32, strided<[68, 1]>, #smem> -> tensor<32x32xf32, #m>
    tile.store %p, %o[%c0, %c0] dims [0, 1] : tensor<32x32xf32, #m>, memref<32x32xf32>
  }
  return
}

// -----

// The decayed product of 16-bit operands by 16 x 8 tiles (warp w: rows
// 16 w .. 16 w + 15): tiles left of the warp's row block are mma.sync of
// operands rescaled to the block's first row (ex2.approx per element, then
// packed to bf16), tiles crossing the diagonal are summed eight channels a
// step, tiles right of it stay zero.
#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @decayed
func.func @decayed(%n: index, %o: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 26624 : i64, tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc {offset = 0 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    %g = tilegpu.alloc {offset = 5120 : i64} : memref<64x32xf32, strided<[36, 1]>, #smem>
    // The reduction by 16 channels a step, a loop carrying the 8 x 4
    // accumulators of the warp's tiles.
    // CHECK: scf.for %{{.+}} = %c0 to %c32 step %c16 iter_args({{.+}}) -> (f32, f32, f32, f32,
    // Rescaled operands: 2^(g - ref) per element, rounded and packed.
    // CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
    // CHECK: arith.truncf %{{.+}} : vector<2xf32> to vector<2xbf16>
    // CHECK: vector.bitcast %{{.+}} : vector<2xbf16> to vector<1xi32>
    // Left of the diagonal: the column tile ends before the row block.
    // CHECK: %[[LEFT:.+]] = arith.cmpi ule
    // CHECK-NEXT: scf.if %[[LEFT]] -> (f32, f32, f32, f32)
    // CHECK: nvvm.mma.sync
    // Crossing the diagonal: eight channels a step over the width.
    // CHECK: %[[CROSS:.+]] = arith.andi
    // CHECK-NEXT: scf.if %[[CROSS]] -> (f32, f32, f32, f32)
    // CHECK: scf.for %{{.+}} = %{{.+}} to %c32 step %c8 iter_args({{.+}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: vector.reduction <add>
    %p = tilegpu.decay_mma %a, %a, %g, %g : memref<64x32xbf16, strided<[40, 1]>, #smem>,
        memref<64x32xbf16, strided<[40, 1]>, #smem>, memref<64x32xf32, strided<[36, 1]>, #smem>,
        memref<64x32xf32, strided<[36, 1]>, #smem> -> tensor<64x64xf32, #m>
    tile.store %p, %o[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
  }
  return
}

// -----

// A row reduction across the two warps that share each row: shuffles within
// a warp, then each warp's partials through its scratch row, one barrier.
#m = #tilegpu.mma<warps = [4, 2]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @across
func.func @across(%n: index, %o: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 1024 : i64, tilegpu.warps = 8 : i64} {
  ^bb0(%i: index):
    %x = arith.constant dense<1.0> : tensor<64x128xf32, #m>
    %s = tilegpu.alloc {offset = 0 : i64} : memref<2x64xf32, strided<[68, 1]>, #smem>
    // CHECK: gpu.shuffle  xor
    // CHECK: memref.store %{{.+}}, %[[S:.+]][%{{.+}}, %{{.+}}] : memref<2x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
    // CHECK: gpu.barrier
    // CHECK: memref.load %[[S]]
    // CHECK: memref.load %[[S]]
    // CHECK: arith.addf
    %r = tilegpu.reduce %x dim 1 scratch(%s) : tensor<64x128xf32, #m>,
        memref<2x64xf32, strided<[68, 1]>, #smem> -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #m>>
    tile.store %r, %o[%c0] dims [0] : tensor<64xf32, #tilegpu.slice<dim = 1, parent = #m>>, memref<64xf32>
  }
  return
}

// -----

// The in-place triangular inverse reads L where it lies: the diagonal
// blocks' columns (16 values a thread, by forward substitution in
// registers), then each block row's -M_i, are computed into registers and
// written after a barrier; T_i = T_ii (-M_i) follows a barrier; the upper
// triangle is cleared last.
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @inverse
func.func @inverse(%n: index) {
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 17408 : i64, tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %f = tilegpu.alloc {offset = 0 : i64} : memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK: scf.if %{{.+}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
    // CHECK: gpu.barrier
    // CHECK-COUNT-16: memref.store
    // Block rows 1-3: a barrier before -M_i, one before writing it, one
    // after; -M_i for 16 x 48 elements is three per thread at 128 threads.
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK-COUNT-3: scf.if %{{.+}} -> (f32)
    // CHECK: gpu.barrier
    // CHECK-COUNT-3: scf.if
    // CHECK: gpu.barrier
    // CHECK-NOT: gpu.barrier
    tilegpu.tri_inverse %f : memref<64x64xf32, strided<[68, 1]>, #smem>
  }
  return
}

// -----

// A copy at a column offset that walks a loop (a chunk's V-tiles: from 0 by
// 32) starts at a multiple of 32 elements: 16-byte asynchronous copies, as
// at a constant offset, not one element at a time.
#b = #tilegpu.blocked<size = [1, 8], threads = [8, 4], warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @tile_walk
func.func @tile_walk(%v: memref<?x?x4x128xbf16>, %T: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 5120 : i64, tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %s = tilegpu.alloc {offset = 0 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    // CHECK: scf.for
    // CHECK: nvgpu.device_async_copy %{{.+}}, %{{.+}}, 8, %{{.+}} {bypassL1}
    // CHECK-NOT: memref.load
    // CHECK: nvgpu.device_async_create_group
    scf.for %v0 = %c0 to %c128 step %c32 {
      tilegpu.async_copy %v[%i, %c0, %c0, %v0] dims [1, 3] below(%T), %s as tensor<64x32xbf16, #b> : memref<?x?x4x128xbf16>, memref<64x32xbf16, strided<[40, 1]>, #smem>
      tilegpu.async_wait {pending = 0 : i64}
    }
  }
  return
}
// -----

// The blocked solve on tensor cores: each warp owns 8 of x's 32 columns;
// block row i takes i products with the solved rows above (L_i x_<i) and
// one with T_ii, 10 in all, in order, and only warp barriers.
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @solve
func.func @solve(%n: index) {
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 40960 : i64, tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %l = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %t = tilegpu.alloc {offset = 9216 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %r = tilegpu.alloc {offset = 18432 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    %y = tilegpu.alloc {offset = 23552 : i64} : memref<16x32xbf16, strided<[40, 1]>, #smem>
    %x = tilegpu.alloc {offset = 24832 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    // CHECK-NOT: gpu.barrier
    // CHECK-NOT: scf.if
    // Block row 0: y = r_0, x_0 = T_00 y.
    // CHECK: vector.load %{{.+}} : memref<64x32xbf16, {{.+}}>, vector<2xbf16>
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: vector.store %{{.+}} : memref<16x32xbf16, {{.+}}>, vector<2xbf16>
    // CHECK: nvvm.bar.warp.sync
    // CHECK-COUNT-1: nvvm.mma.sync
    // CHECK: vector.store %{{.+}} : memref<64x32xbf16, {{.+}}>, vector<2xbf16>
    // CHECK: nvvm.bar.warp.sync
    // Block row 1: one product with x_0, then T_11.
    // CHECK-COUNT-1: nvvm.mma.sync
    // CHECK: nvvm.bar.warp.sync
    // CHECK-COUNT-1: nvvm.mma.sync
    // CHECK: nvvm.bar.warp.sync
    // Block rows 2 and 3: two and three, each then T_ii.
    // CHECK-COUNT-2: nvvm.mma.sync
    // CHECK: nvvm.bar.warp.sync
    // CHECK-COUNT-1: nvvm.mma.sync
    // CHECK: nvvm.bar.warp.sync
    // CHECK-COUNT-3: nvvm.mma.sync
    // CHECK: nvvm.bar.warp.sync
    // CHECK-COUNT-1: nvvm.mma.sync
    // CHECK: nvvm.bar.warp.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK-NOT: gpu.barrier
    tilegpu.tri_solve %l, %t, %r, %y, %x : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem>,
        memref<64x32xbf16, strided<[40, 1]>, #smem>, memref<16x32xbf16, strided<[40, 1]>, #smem>, memref<64x32xbf16, strided<[40, 1]>, #smem>
  }
  return
}

// -----

// At 8 warps, the 4 column tiles go to warps 0-3; the others skip.
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @solve_idle_warps
func.func @solve_idle_warps(%n: index) {
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 40960 : i64, tilegpu.warps = 8 : i64} {
  ^bb0(%i: index):
    %l = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %t = tilegpu.alloc {offset = 9216 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %r = tilegpu.alloc {offset = 18432 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    %y = tilegpu.alloc {offset = 23552 : i64} : memref<16x32xbf16, strided<[40, 1]>, #smem>
    %x = tilegpu.alloc {offset = 24832 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    // CHECK: %[[W:.+]] = arith.divui %{{.+}}, %c32
    // CHECK: %[[HAS:.+]] = arith.cmpi ult, %[[W]], %c4
    // CHECK: scf.if %[[HAS]] {
    // CHECK-COUNT-10: nvvm.mma.sync
    // CHECK: }
    tilegpu.tri_solve %l, %t, %r, %y, %x : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem>,
        memref<64x32xbf16, strided<[40, 1]>, #smem>, memref<16x32xbf16, strided<[40, 1]>, #smem>, memref<64x32xbf16, strided<[40, 1]>, #smem>
  }
  return
}
// -----

// On sm_90 a 16-bit tile of an mma layout goes to shared memory by
// stmatrix: a warp's 16 x 32 block of four m16n8 tiles in two
// instructions of four 8 x 8 matrices (tile pairs side by side); lane l
// addresses row l % 8 of matrix l / 8. sm_80 stores 4-byte pairs.
#m = #tilegpu.mma<warps = [4, 2]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @store_matrices
// SM80-LABEL: func.func @store_matrices
func.func @store_matrices(%n: index) {
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 18432 : i64, tilegpu.warps = 8 : i64} {
  ^bb0(%i: index):
    %src = tilegpu.alloc {offset = 9216 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %x = tilegpu.local_load %src : memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xbf16, #m>
    %buf = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    // CHECK: %[[ROW:.+]] = arith.remui %{{.+}}, %c8 : index
    // CHECK-COUNT-2: nvvm.stmatrix %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {eltType = #nvvm.ld_st_matrix_elt_type<b16>, layout = #nvvm.mma_layout<row>, shape = #nvvm.ld_st_matrix_shape<m = 8, n = 8>} : !llvm.ptr<3>, i32, i32, i32, i32
    // CHECK-NOT: nvvm.stmatrix
    // CHECK-NOT: vector.store
    // SM80-NOT: nvvm.stmatrix
    // SM80-COUNT-8: vector.store %{{.+}} : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>, vector<2xbf16>
    tilegpu.local_store %x, %buf : tensor<64x64xbf16, #m>, memref<64x64xbf16, strided<[72, 1]>, #smem>
  }
  return
}
