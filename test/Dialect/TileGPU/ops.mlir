// RUN: prism-opt %s | prism-opt | FileCheck %s
// RUN: prism-opt %s --mlir-print-op-generic | prism-opt | FileCheck %s

// Every op and layout of the tilegpu dialect round-trips through its custom
// syntax and the generic form.

#blocked = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
#mma = #tilegpu.mma<warps = [4, 1]>
#rows = #tilegpu.slice<dim = 1, parent = #mma>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @layouts
func.func @layouts(%x: tensor<64x64xbf16, #blocked>, %acc: tensor<64x64xf32, #mma>,
                   %g: tensor<64xf32, #rows>) -> tensor<64x64xf32, #mma> {
  // CHECK: %[[A:.+]] = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  %a = tilegpu.alloc {offset = 0 : i64} : memref<64x64xbf16, strided<[72, 1]>, #smem>
  // CHECK: tilegpu.local_store %{{.+}}, %[[A]] : tensor<64x64xbf16, #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>>
  tilegpu.local_store %x, %a : tensor<64x64xbf16, #blocked>, memref<64x64xbf16, strided<[72, 1]>, #smem>
  // CHECK: %[[P:.+]] = tilegpu.mma %[[A]], %[[A]] acc(%{{.+}} : tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>) transpose_b
  %p = tilegpu.mma %a, %a acc(%acc : tensor<64x64xf32, #mma>) transpose_b
      : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      -> tensor<64x64xf32, #mma>
  // CHECK: tilegpu.mma %[[A]], %[[A]] transpose_b lower :
  %pl = tilegpu.mma %a, %a transpose_b lower
      : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      -> tensor<64x64xf32, #mma>
  // CHECK: tilegpu.mma %[[A]], %[[A]] acc(%{{.+}} : tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>) lower_a :
  %pa = tilegpu.mma %a, %a acc(%acc : tensor<64x64xf32, #mma>) lower_a
      : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem>
      -> tensor<64x64xf32, #mma>
  // CHECK: %[[F:.+]] = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  %f = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
  // CHECK: tilegpu.tri_inverse %[[F]] : memref<64x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  tilegpu.tri_inverse %f : memref<64x64xf32, strided<[68, 1]>, #smem>
  // CHECK: tilegpu.tri_inverse %[[A]] block(16) : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  tilegpu.tri_inverse %a block(16) : memref<64x64xbf16, strided<[72, 1]>, #smem>
  // CHECK: tilegpu.tri_solve %[[A]], %[[A]], %[[R:.+]], %[[Y:.+]], %[[X:.+]] : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>, memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>, memref<64x32xbf16, #gpu.address_space<workgroup>>, memref<16x32xbf16, #gpu.address_space<workgroup>>, memref<64x32xbf16, #gpu.address_space<workgroup>>
  %r = tilegpu.alloc : memref<64x32xbf16, #smem>
  %y = tilegpu.alloc : memref<16x32xbf16, #smem>
  %xs = tilegpu.alloc : memref<64x32xbf16, #smem>
  tilegpu.tri_solve %a, %a, %r, %y, %xs : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem>,
      memref<64x32xbf16, #smem>, memref<16x32xbf16, #smem>, memref<64x32xbf16, #smem>
  // CHECK: tilegpu.scan %[[F]] : memref<64x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>>
  tilegpu.scan %f : memref<64x64xf32, strided<[68, 1]>, #smem>
  // CHECK: tilegpu.decay_mma %[[F]], %[[F]], %[[F]], %[[F]]
  %d = tilegpu.decay_mma %f, %f, %f, %f : memref<64x64xf32, strided<[68, 1]>, #smem>,
      memref<64x64xf32, strided<[68, 1]>, #smem>, memref<64x64xf32, strided<[68, 1]>, #smem>,
      memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #mma>
  // CHECK: tilegpu.local_load %[[F]] : memref<64x64xf32, strided<[68, 1]>, #gpu.address_space<workgroup>> -> tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
  %l = tilegpu.local_load %f : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #mma>
  // CHECK: tilegpu.reduce %{{.+}} max dim 0 scratch(%{{.+}}) : tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>>, memref<4xf32, #gpu.address_space<workgroup>> -> f32
  %scratch = tilegpu.alloc : memref<4xf32, #smem>
  %top = tilegpu.reduce %g max dim 0 scratch(%scratch) : tensor<64xf32, #rows>, memref<4xf32, #smem> -> f32
  %s = arith.addf %p, %d : tensor<64x64xf32, #mma>
  return %s : tensor<64x64xf32, #mma>
}

// A slice of rows and a 1-d layout that place every element alike.
// CHECK-LABEL: func.func @convert
func.func @convert(%x: tensor<128xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.blocked<size = [1, 8], threads = [32, 1], warps = [4, 1]>>>)
    -> tensor<128xf32, #tilegpu.blocked<size = [1], threads = [32], warps = [4]>> {
  // CHECK: tilegpu.convert %{{.+}} : tensor<128xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.blocked<size = [1, 8], threads = [32, 1], warps = [4, 1]>>> -> tensor<128xf32, #tilegpu.blocked<size = [1], threads = [32], warps = [4]>>
  %y = tilegpu.convert %x : tensor<128xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.blocked<size = [1, 8], threads = [32, 1], warps = [4, 1]>>>
      -> tensor<128xf32, #tilegpu.blocked<size = [1], threads = [32], warps = [4]>>
  return %y : tensor<128xf32, #tilegpu.blocked<size = [1], threads = [32], warps = [4]>>
}

// Copies of a chunk of rows into shared memory, and the wait for them.
#rows16 = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
// CHECK-LABEL: func.func @async_copy
func.func @async_copy(%k: memref<?x?x4x64xbf16>, %b: index, %t: index, %h: index, %n: index) {
  %c0 = arith.constant 0 : index
  %buf = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  // CHECK: tilegpu.async_copy %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] dims [1, 3] below(%{{.+}}), %{{.+}} as tensor<64x64xbf16, #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>> : memref<?x?x4x64xbf16>, memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  tilegpu.async_copy %k[%b, %t, %h, %c0] dims [1, 3] below(%n), %buf as tensor<64x64xbf16, #rows16>
      : memref<?x?x4x64xbf16>, memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
  // CHECK: tilegpu.async_wait {pending = 1 : i64}
  tilegpu.async_wait {pending = 1 : i64}
  return
}
