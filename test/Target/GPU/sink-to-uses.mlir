// RUN: prism-opt %s -split-input-file --prism-tile-gpu-sink-to-uses | FileCheck %s

// A tile read and widened at the top of a chunk body is read again before
// each later user instead of being live in registers between them; a pure
// op that is not cheap (exp2) moves to its first user but is not repeated;
// nothing moves into the loop that uses it.

#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @sink
func.func @sink(%n: index, %x: tensor<64x64xbf16, #m>, %out: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
    tilegpu.local_store %x, %a : tensor<64x64xbf16, #m>, memref<64x64xbf16, strided<[72, 1]>, #smem>
    %r = tilegpu.local_load %a : memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xbf16, #m>
    %w = arith.extf %r : tensor<64x64xbf16, #m> to tensor<64x64xf32, #m>
    %e = math.exp2 %w : tensor<64x64xf32, #m>
    %s = scf.for %t = %c0 to %n step %c1 iter_args(%acc = %w) -> (tensor<64x64xf32, #m>) {
      %p = arith.mulf %acc, %acc : tensor<64x64xf32, #m>
      scf.yield %p : tensor<64x64xf32, #m>
    }
    // CHECK: %[[A:.+]] = tilegpu.alloc
    // CHECK-NEXT: tilegpu.local_store %{{.+}}, %[[A]]
    // The loop's init: read and widened just before the loop.
    // CHECK-NEXT: %[[R0:.+]] = tilegpu.local_load %[[A]]
    // CHECK-NEXT: %[[W0:.+]] = arith.extf %[[R0]]
    // CHECK-NEXT: %[[S:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[W0]])
    // CHECK: }
    // exp2 moved to its only user, after the loop, on its own read.
    // CHECK-NEXT: %[[R1:.+]] = tilegpu.local_load %[[A]]
    // CHECK-NEXT: %[[W1:.+]] = arith.extf %[[R1]]
    // CHECK-NEXT: %[[E:.+]] = math.exp2 %[[W1]]
    // CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[S]], %[[E]]
    %sum = arith.addf %s, %e : tensor<64x64xf32, #m>
    // The last user: a read of its own again.
    // CHECK-NEXT: %[[R2:.+]] = tilegpu.local_load %[[A]]
    // CHECK-NEXT: %[[W2:.+]] = arith.extf %[[R2]]
    // CHECK-NEXT: arith.mulf %[[SUM]], %[[W2]]
    %last = arith.mulf %sum, %w : tensor<64x64xf32, #m>
    tile.store %last, %out[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
  }
  return
}

// -----

// A read does not move past a write of its buffer, nor is it repeated
// after one: the later user keeps the value read before the write.

#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @hazard
func.func @hazard(%n: index, %x: tensor<64x64xf32, #m>, %out: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    tilegpu.local_store %x, %a : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK: %[[R:.+]] = tilegpu.local_load
    // CHECK-NEXT: tilegpu.scan
    %r = tilegpu.local_load %a : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    tilegpu.scan %a : memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: %[[Q:.+]] = tilegpu.local_load
    // CHECK-NEXT: arith.addf %[[R]], %[[Q]]
    %q = tilegpu.local_load %a : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    %y = arith.addf %r, %q : tensor<64x64xf32, #m>
    tile.store %y, %out[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
  }
  return
}

// -----

// A store of an output moves up, with the ops only it uses, to just after
// what it depends on: the output tile is not live through later work. It
// does not move past an op that reads its buffer.

#m = #tilegpu.mma<warps = [4, 1]>

// CHECK-LABEL: func.func @hoist
func.func @hoist(%n: index, %y: tensor<64x64xf32, #m>, %in: memref<64x64xf32>, %out: memref<64x64xf32>, %other: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) {
  ^bb0(%i: index):
    // CHECK: %[[Z:.+]] = tile.load
    // CHECK-NEXT: %[[O:.+]] = arith.addf %[[Z]]
    // CHECK-NEXT: %[[S:.+]] = arith.mulf %[[O]], %[[O]]
    // CHECK-NEXT: tile.store %[[S]], %{{.+}}[%{{.+}}, %{{.+}}] dims [0, 1] : tensor<64x64xf32, #{{.+}}>, memref<64x64xf32>
    // CHECK-NEXT: math.exp2
    // CHECK-NEXT: tile.store
    // CHECK-NEXT: tile.load
    // CHECK-NEXT: arith.negf %[[Z]]
    // CHECK-NEXT: tile.store
    %z = tile.load %in[%c0, %c0] dims [0, 1] : memref<64x64xf32> -> tensor<64x64xf32, #m>
    %o = arith.addf %z, %y : tensor<64x64xf32, #m>
    %e = math.exp2 %y : tensor<64x64xf32, #m>
    tile.store %e, %other[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
    %s = arith.mulf %o, %o : tensor<64x64xf32, #m>
    tile.store %s, %out[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
    %r = tile.load %out[%c0, %c0] dims [0, 1] : memref<64x64xf32> -> tensor<64x64xf32, #m>
    %t = arith.negf %z : tensor<64x64xf32, #m>
    tile.store %t, %out[%c0, %c0] dims [0, 1] : tensor<64x64xf32, #m>, memref<64x64xf32>
  }
  return
}
