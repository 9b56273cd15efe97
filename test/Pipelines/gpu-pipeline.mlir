// RUN: rm -rf %t && prism-opt %s --prism-gpu-pipeline="output-dir=%t" | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/gdn.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/gdn.manifest.json
// RUN: %if ptxas %{ %ptxas -arch=sm_90a %t/gdn.ptx -o %t/gdn.cubin %}
// RUN: prism-opt %s --prism-gpu-pipeline="output-dir=%t chip=sm_80 features=+ptx75" -o /dev/null
// RUN: FileCheck %s --check-prefix=SM80 --input-file=%t/gdn.ptx

// The whole GPU path: the module keeps only where its files went (the
// PTX and manifest are in output-dir); the PTX targets sm_90a, loads 16 bytes at a time, combines the
// row's partial dot products with warp shuffles, calls libdevice's expf
// (linked from the toolkit), and carries launch bounds.

// IR: module attributes {gpu.container_module, prism.exported = {gdn = {manifest = "[[DIR:.*]]/gdn.manifest.json", ptx = "[[DIR]]/gdn.ptx"}}} {
// IR-NEXT: }
// IR-NOT: func.func
// IR-NOT: gpu.binary

// PTX: .version 8.0
// PTX: .target sm_90a
// PTX: .entry gdn_kernel0(
// PTX: .maxntid 4, 64, 1
// PTX: ld.global.v4.b32
// PTX: shfl.sync.bfly.b32
// PTX: ex2.approx
// PTX: st.global.b16

// MANIFEST: "backend":"cuda"
// MANIFEST-SAME: "block":[4,64,1],"grid":[4,"B",2]
// MANIFEST-SAME: "name":"gdn_kernel0"
// MANIFEST-SAME: "schedule":"sequential, v_tile = {{[0-9]+}}, k_split = {{[0-9]+}}, rows = 1, warps = {{[0-9]+}}, stages = 2"
// MANIFEST-SAME: "symbols":["B","T"]

// SM80: .target sm_80
func.func @gdn(%q: tensor<?x?x4x128xbf16>, %k: tensor<?x?x4x128xbf16>,
               %v: tensor<?x?x4x128xbf16>, %g: tensor<?x?x4xf32>,
               %beta: tensor<?x?x4xbf16>) -> tensor<?x?x4x128xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x128xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x128xbf16>) values(%v : tensor<?x?x4x128xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x128xbf16>
      -> tensor<?x?x4x128xbf16>
  return %o : tensor<?x?x4x128xbf16>
}
