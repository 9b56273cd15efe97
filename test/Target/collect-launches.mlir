// RUN: prism-opt %s -prism-select-schedule -prism-convert-recurrence-to-scf=target=gpu -prism-map-parallel-loops-to-gpu -convert-parallel-loops-to-gpu -gpu-kernel-outlining -canonicalize -cse -prism-collect-launches | FileCheck %s

// The host function becomes a manifest: kernels in launch order with their
// parameters (memref descriptors of buffers) and launch geometry as
// expressions over the dynamic dimensions; all kernels of the program share
// one gpu.module, with launch bounds from the constant block size.

// CHECK: module attributes {{{.*}}prism.manifests = {gla = "{\22backend\22:\22cuda\22
// CHECK-SAME: \22block\22:[2,64,1],\22grid\22:[4,\22B\22,1],\22name\22:\22gla_kernel0\22
// CHECK-SAME: {\22abi\22:\22memref\22,\22buffer\22:0,\22kind\22:\22buffer\22}
// CHECK-SAME: \22module\22:\22gla.ptx\22
// CHECK-NOT:   func.func @gla
// CHECK:       gpu.module @gla_kernels
// CHECK:         gpu.func @gla_kernel0({{.*}}) kernel attributes {{{.*}}nvvm.maxntid = array<i32: 2, 64, 1>
// CHECK-NOT:   gpu.module
func.func @gla(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
               %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4x64xf32>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x64xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}
