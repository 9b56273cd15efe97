// RUN: prism-opt %s -split-input-file --prism-tile-gpu-async-copies | FileCheck %s

// A tile loaded one iteration ahead only to be stored into shared memory
// is copied there asynchronously instead: two buffers, the first chunk's
// copy before the loop, and in iteration i the copy of chunk i + 1 into
// the buffer chunk i - 1 used, the wait for chunk i's, the products on
// chunk i's buffer. The loop no longer carries the tile.

#b = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @pipelined
// CHECK: %[[B0:.+]] = tilegpu.alloc
// CHECK-NEXT: %[[B1:.+]] = tilegpu.alloc
// CHECK-NEXT: scf.if
// CHECK: tilegpu.async_copy %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] dims [1, 2] below(%{{.+}}), %[[B0]] as tensor<64x64xbf16, #{{.+}}>
// CHECK: tilegpu.async_wait {pending = 1 : i64}
// CHECK-NEXT: scf.for %[[I:.+]] = {{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (tensor<64x64xf32, #{{.+}}>) {
// CHECK: gpu.barrier
// CHECK: %[[ODD:.+]] = arith.cmpi ne
// CHECK-NEXT: %[[MINE:.+]] = arith.select %[[ODD]], %[[B1]], %[[B0]]
// CHECK-NEXT: %[[THEIRS:.+]] = arith.select %[[ODD]], %[[B0]], %[[B1]]
// CHECK: scf.if
// CHECK: tilegpu.async_copy {{.+}}, %[[THEIRS]] as
// CHECK: tilegpu.async_wait {pending = 1 : i64}
// CHECK-NEXT: tilegpu.mma %[[MINE]], %[[MINE]] acc(%[[ACC]]
// CHECK-NOT: tile.load

func.func @pipelined(%k: memref<?x?x64xbf16>, %n: index, %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x64xbf16, #b>
  %acc0 = arith.constant dense<0.0> : tensor<64x64xf32, #m>
  tile.kernel "k" grid(%n) {
  ^bb0(%b: index):
    %live0 = arith.cmpi slt, %c0, %n : index
    %first = scf.if %live0 -> (tensor<64x64xbf16, #b>) {
      %t0 = arith.muli %c0, %c64 : index
      %x = tile.load %k[%b, %t0, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
      scf.yield %x : tensor<64x64xbf16, #b>
    } else {
      scf.yield %zero : tensor<64x64xbf16, #b>
    }
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc0, %cur = %first) -> (tensor<64x64xf32, #m>, tensor<64x64xbf16, #b>) {
      %buf = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
      tilegpu.local_store %cur, %buf : tensor<64x64xbf16, #b>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      %ahead = arith.addi %i, %c1 : index
      %live = arith.cmpi slt, %ahead, %n : index
      %next = scf.if %live -> (tensor<64x64xbf16, #b>) {
        %t = arith.muli %ahead, %c64 : index
        %x = tile.load %k[%b, %t, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
        scf.yield %x : tensor<64x64xbf16, #b>
      } else {
        scf.yield %zero : tensor<64x64xbf16, #b>
      }
      %p = tilegpu.mma %buf, %buf acc(%acc : tensor<64x64xf32, #m>) transpose_b : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xf32, #m>
      scf.yield %p, %next : tensor<64x64xf32, #m>, tensor<64x64xbf16, #b>
    }
  }
  return
}

// -----

// A carried tile also used in registers stays a carried tile.

#b = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @in_registers
// CHECK-NOT: tilegpu.async_copy
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<64x64xbf16, #{{.+}}>, tensor<64x64xbf16, #{{.+}}>)
func.func @in_registers(%k: memref<?x?x64xbf16>, %n: index, %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0.0> : tensor<64x64xbf16, #b>
  tile.kernel "k" grid(%n) {
  ^bb0(%b: index):
    %live0 = arith.cmpi slt, %c0, %n : index
    %first = scf.if %live0 -> (tensor<64x64xbf16, #b>) {
      %x = tile.load %k[%b, %c0, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
      scf.yield %x : tensor<64x64xbf16, #b>
    } else {
      scf.yield %zero : tensor<64x64xbf16, #b>
    }
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %cur = %first) -> (tensor<64x64xbf16, #b>, tensor<64x64xbf16, #b>) {
      %sum = arith.addf %acc, %cur : tensor<64x64xbf16, #b>
      %ahead = arith.addi %i, %c1 : index
      %live = arith.cmpi slt, %ahead, %n : index
      %next = scf.if %live -> (tensor<64x64xbf16, #b>) {
        %x = tile.load %k[%b, %ahead, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
        scf.yield %x : tensor<64x64xbf16, #b>
      } else {
        scf.yield %zero : tensor<64x64xbf16, #b>
      }
      scf.yield %sum, %next : tensor<64x64xbf16, #b>, tensor<64x64xbf16, #b>
    }
  }
  return
}

// -----

// Without pipelined loads (stages = 1), the loads a chunk only stores into
// shared memory for products are copied there where they were stored, all
// in flight together; one wait before the first product that reads them.
// A load also wanted in registers keeps its load and store.

#b = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @direct
// CHECK: scf.for
// CHECK: %[[Q:.+]] = tilegpu.alloc
// CHECK-NEXT: tilegpu.async_copy %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] dims [1, 2] below(%{{.+}}), %[[Q]] as tensor<64x64xbf16, #{{.+}}>
// CHECK: %[[K:.+]] = tilegpu.alloc
// CHECK-NEXT: tilegpu.async_copy {{.+}}, %[[K]] as
// CHECK: %[[X:.+]] = tile.load
// CHECK: %[[XS:.+]] = tilegpu.alloc
// CHECK-NEXT: tilegpu.local_store %[[X]], %[[XS]]
// CHECK-NEXT: tilegpu.local_load %[[XS]]
// CHECK-NEXT: tilegpu.async_wait {pending = 0 : i64}
// CHECK-NEXT: tilegpu.mma %[[Q]], %[[K]]
// CHECK-NOT: tilegpu.async_wait
// CHECK: tilegpu.mma %[[XS]], %[[K]]
func.func @direct(%q: memref<?x?x64xbf16>, %k: memref<?x?x64xbf16>, %x: memref<?x?x64xbf16>, %n: index, %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %acc0 = arith.constant dense<0.0> : tensor<64x64xf32, #m>
  tile.kernel "k" grid(%n) {
  ^bb0(%b: index):
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc0, %sum = %acc0) -> (tensor<64x64xf32, #m>, tensor<64x64xf32, #m>) {
      %t = arith.muli %i, %c64 : index
      %qt = tile.load %q[%b, %t, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
      %qs = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
      tilegpu.local_store %qt, %qs : tensor<64x64xbf16, #b>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      %kt = tile.load %k[%b, %t, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
      %ks = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
      tilegpu.local_store %kt, %ks : tensor<64x64xbf16, #b>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      %xt = tile.load %x[%b, %t, %c0] dims [1, 2] below(%T) : memref<?x?x64xbf16> -> tensor<64x64xbf16, #b>
      %xs = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
      tilegpu.local_store %xt, %xs : tensor<64x64xbf16, #b>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      %xr = tilegpu.local_load %xs : memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xbf16, #m>
      %p = tilegpu.mma %qs, %ks acc(%acc : tensor<64x64xf32, #m>) transpose_b : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xf32, #m>
      %p2 = tilegpu.mma %xs, %ks acc(%p : tensor<64x64xf32, #m>) transpose_b : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xf32, #m>
      %xf = arith.extf %xr : tensor<64x64xbf16, #m> to tensor<64x64xf32, #m>
      %s2 = arith.addf %sum, %xf : tensor<64x64xf32, #m>
      scf.yield %p2, %s2 : tensor<64x64xf32, #m>, tensor<64x64xf32, #m>
    }
  }
  return
}
