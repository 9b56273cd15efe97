// RUN: prism-opt %s -split-input-file --prism-convert-tile-to-gpu --cse | FileCheck %s

// The causal products: each warp switches on its place against the
// diagonal to a body that issues only the mma.sync of terms not wholly
// above it. Eight warps as [4, 2]: row warps i and i + 2 share an SM
// sub-partition, so the row blocks go 0, 1, 3, 2 (3 = 4 + 2 - 1 - 2).

// lower: scores Q K^T, 64 x 64 as 16 x 8 tiles, four column tiles a warp.
// The key (row0 - col0) / 8 + 8 clamped to [6, 12]: 6 (left of nothing),
// 8 (two tiles, both crossing the diagonal), 10 (four, two crossing), 12
// (all four below it); two reduction steps of 16.
#m = #tilegpu.mma<warps = [4, 2]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @lower
func.func @lower(%n: index, %o: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 5120 : i64, tilegpu.warps = 8 : i64} {
  ^bb0(%i: index):
    %q = tilegpu.alloc {offset = 0 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    // CHECK: %[[LOW:.+]] = arith.cmpi ult, %{{.+}}, %c2 : index
    // CHECK: %[[MIRROR:.+]] = arith.subi %c5, %{{.+}} : index
    // CHECK: arith.select %[[LOW]], %{{.+}}, %[[MIRROR]] : index
    // CHECK: %[[KEY:.+]] = arith.minui %{{.+}}, %c12 : index
    // CHECK: scf.index_switch %[[KEY]] -> f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
    // CHECK-NEXT: case 6 {
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: case 8 {
    // CHECK-COUNT-4: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK-COUNT-8: arith.select %{{.+}}, %{{.+}}, %cst{{.*}} : f32
    // CHECK: case 10 {
    // CHECK-COUNT-8: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK-COUNT-8: arith.select %{{.+}}, %{{.+}}, %cst{{.*}} : f32
    // CHECK: default {
    // CHECK-COUNT-8: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK-NOT: arith.select
    // CHECK: scf.yield
    %p = tilegpu.mma %q, %q transpose_b lower : memref<64x32xbf16, strided<[40, 1]>, #smem>,
        memref<64x32xbf16, strided<[40, 1]>, #smem> -> tensor<64x64xf32, #m>
    tile.store %p, %o[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
  }
  return
}

// -----

// lower_a: causal scores times values, 64 x 64 by 64 x 32; a warp's row
// block r takes the reduction steps 0..r, the last (its diagonal block)
// with the A matrices masked: matrix 2 zero, matrices 0 and 3 cut to
// their lower triangles by a per-lane mask of the two 16-bit halves.
#m = #tilegpu.mma<warps = [4, 2]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @lower_a
func.func @lower_a(%n: index, %o: memref<64x32xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.shared_bytes = 14336 : i64, tilegpu.warps = 8 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %v = tilegpu.alloc {offset = 9216 : i64} : memref<64x32xbf16, strided<[40, 1]>, #smem>
    // CHECK: %[[KEY:.+]] = arith.divui %{{.+}}, %c16 : index
    // CHECK: scf.index_switch %[[KEY]] -> f32, f32, f32, f32, f32, f32, f32, f32
    // CHECK-NEXT: case 0 {
    // CHECK: arith.andi %{{.+}} : i32
    // CHECK: arith.andi %{{.+}} : i32
    // CHECK-COUNT-2: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: case 1 {
    // CHECK-COUNT-4: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: case 2 {
    // CHECK-COUNT-6: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: default {
    // CHECK-COUNT-8: nvvm.mma.sync
    // CHECK-NOT: nvvm.mma.sync
    // CHECK: scf.yield
    %p = tilegpu.mma %a, %v lower_a : memref<64x64xbf16, strided<[72, 1]>, #smem>,
        memref<64x32xbf16, strided<[40, 1]>, #smem> -> tensor<64x32xf32, #m>
    tile.store %p, %o[%c0, %c0] dims [0, 1] : tensor<64x32xf32, #m>, memref<64x32xf32>
  }
  return
}
