// RUN: rm -rf %t && prism-opt %s --prism-gpu-pipeline="output-dir=%t" -o /dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/gla.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/gla.manifest.json
// RUN: %if ptxas %{ %ptxas -arch=sm_90a %t/gla.ptx -o %t/gla.cubin %}

// The chunked-fused schedule through the whole GPU path: tensor-core tiles
// (bf16 mma.sync), the scratch in dynamic shared memory declared once per
// module, and the launch asking for those bytes.

func.func @gla(%q: tensor<?x?x16x128xbf16>, %k: tensor<?x?x16x128xbf16>,
               %v: tensor<?x?x16x128xbf16>, %g: tensor<?x?x16x128xf32>)
    -> tensor<?x?x16x128xbf16> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x16x128xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x16x128xbf16>) values(%v : tensor<?x?x16x128xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x16x128xbf16>
      -> tensor<?x?x16x128xbf16>
  return %o : tensor<?x?x16x128xbf16>
}

// PTX: .extern .shared .align 16 .b8 __prism_dynamic_shared[];
// PTX: .entry gla_kernel0(
// PTX: bar.sync 0;
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// MANIFEST: "block":[256,1,1],"grid":[16,"B",1]
// MANIFEST-SAME: "schedule":"chunked_fused, chunk = 64, v_tile = 128, warps = 8, stages = 1"
// MANIFEST-SAME: "shared_memory_bytes":{{[0-9]+}}
