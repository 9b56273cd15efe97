//===- SelectSchedule.cpp - Choose a schedule per scan --------------------===//
//
// Makes the schedule explicit in the IR, so that what a lowering builds is
// visible (and changeable) before it happens.
//
//===----------------------------------------------------------------------===//

#include "prism/Analysis/StepRoles.h"
#include "prism/Conversion/ChunkedScan.h"
#include "prism/Passes.h"
#include "prism/Target/GPU/MappingCheck.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

namespace prism {
#define GEN_PASS_DEF_SELECTSCHEDULE
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
struct SelectSchedulePass
    : prism::impl::SelectScheduleBase<SelectSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<ScheduleKind> fallback = symbolizeScheduleKind(defaultKind);
    if (!fallback) {
      mlir::emitError(getOperation().getLoc())
          << "prism-select-schedule: unknown default-kind '" << defaultKind
          << "' (expected sequential, chunked_fused, chunked_two_pass or "
             "tree)";
      return signalPassFailure();
    }
    const GPUTarget *target =
        lookupGPUTarget(chip, getOperation(), "prism-select-schedule");
    if (!target)
      return signalPassFailure();
    if (mapping != "loops" && mapping != "tile") {
      mlir::emitError(getOperation().getLoc())
          << "prism-select-schedule: unknown mapping '" << mapping
          << "' (expected loops or tile)";
      return signalPassFailure();
    }
    const bool tileMapping = mapping == "tile";
    WalkResult result = getOperation().walk([&](Operation *op) {
      auto scan = dyn_cast<ScanOp>(op);
      auto step = dyn_cast<StepOp>(op);
      if (!scan && !step)
        return WalkResult::advance();
      ScheduleAttr current = op->getAttrOfType<ScheduleAttr>("schedule");
      // A step that prism-classify-steps left a step is state-dependent:
      // sequential only (the lowering reports any other kind).
      ScheduleKind kind = current ? current.getKind()
                          : step  ? ScheduleKind::sequential
                                  : *fallback;
      if (step && kind != ScheduleKind::sequential)
        return WalkResult::advance();
      int64_t v =
          cast<RankedTensorType>(op->getResult(0).getType()).getShape()[3];
      int64_t k =
          step
              ? step.getStateShape()[1]
              : cast<RankedTensorType>(scan.getQuery().getType()).getShape()[3];
      // A body that reduces along V needs all V rows in one program.
      const bool wholeV = step && analyzeStepRoles(step).wholeV;
      // Given parameters are kept; only zeros ("choose") are filled.
      int64_t chunk = current ? current.getChunk() : 0;
      int64_t vTile = current ? current.getVTile() : 0;
      int64_t kSplit = current ? current.getKSplit() : 0;
      int64_t rows = current ? current.getRows() : 0;
      int64_t warps = current ? current.getWarps() : 0;
      int64_t stages = current ? current.getStages() : 0;
      if (kind == ScheduleKind::sequential) {
        // A lane keeps about 32 floats of its row: registers stay well under
        // the limit, and K = 128 gives 4 lanes a row, 4x the parallelism.
        if (!kSplit) {
          kSplit = 1;
          while (kSplit < 32 && k % (2 * kSplit) == 0 && k / kSplit > 32 &&
                 (vTile == 0 || vTile * kSplit * 2 <= 1024))
            kSplit *= 2;
        }
        // Rows per program: the largest divisor of V up to 128 that keeps
        // a program within 256 lanes (8 warps), so that even register-heavy
        // steps (delta forget, L = 3 in f32) fit the register file.
        if (!vTile && wholeV)
          vTile = v;
        if (!vTile) {
          for (int64_t t = std::min<int64_t>(v, 128); t >= 1; --t)
            if (v % t == 0 && t * kSplit <= 256) {
              vTile = t;
              break;
            }
        }
        if (!rows)
          rows = 1;
        if (!warps)
          warps = std::min<int64_t>(32, (vTile / rows * kSplit + 31) / 32);
        // Loads of the next step in flight while a step computes.
        if (!stages)
          stages = 2;
        // Through the tile mapping, the walk's tiles (its state and the
        // loads in flight) must fit the registers: where they do not
        // (`stages = 4` in f32 keeps 3 steps of loads in every lane), the
        // parameters left free are searched: wider k_split (each lane
        // holds less of a key), then narrower V-tiles, their warps
        // following.
        auto accepts = [&](int64_t ks, int64_t vt, int64_t rw, int64_t w) {
          auto candidate = ScheduleAttr::get(op->getContext(), kind, chunk, vt,
                                             ks, rw, w, stages);
          return succeeded(checkTileGPUMapping(op, candidate, chip));
        };
        // A step reaches the GPU through the tile mapping whatever the
        // mapping of the scans.
        if ((tileMapping || step) && !accepts(kSplit, vTile, rows, warps)) {
          bool found = false;
          for (int64_t ks = kSplit; !found && ks <= 32 && k % ks == 0;
               ks *= 2) {
            if (current && current.getKSplit() && ks != kSplit)
              break;
            for (int64_t vt = std::min<int64_t>(v, 128); vt >= 1; --vt) {
              if (v % vt || (current && current.getVTile() && vt != vTile) ||
                  (wholeV && vt != v))
                continue;
              int64_t w =
                  current && current.getWarps()
                      ? warps
                      : std::min<int64_t>(32, (vt / rows * ks + 31) / 32);
              // Within 256 lanes a program, as the defaults (a body that
              // needs all of V takes what it needs).
              if ((vt * ks > 256 && !wholeV) || vt / rows * ks > 32 * w ||
                  !accepts(ks, vt, rows, w))
                continue;
              kSplit = ks, vTile = vt, warps = w;
              found = true;
              break;
            }
          }
          // When nothing is accepted, the defaults stay and the mapping
          // reports why.
        }
      } else {
        auto func = scan->getParentOfType<func::FuncOp>();
        // A specification the analysis rejects is reported by the lowering;
        // here it only keeps the defaults.
        ScopedDiagnosticHandler quiet(scan.getContext(),
                                      [](Diagnostic &) { return success(); });
        FailureOr<RecurrenceInfo> info =
            func ? analyzeRecurrence(func) : FailureOr<RecurrenceInfo>();
        // The delta forget and the diagonal decay have heavy per-chunk work
        // besides the products (the solve, the diagonal blocks' sums).
        // (The delta forget's two-pass kernels share one warp count: its
        // summaries solve and PRISM's L = 3 outputs need the 8; Eq. 18's
        // two-pass took 9.2 ms at S1 with 4 against 3.7.)
        const bool heavy =
            succeeded(info) && (info->family == ForgetFamily::delta ||
                                info->family == ForgetFamily::diagonal);
        auto warpsFor = [&](int64_t vt) {
          // Up to 8 warps: more warps to issue from while others wait at
          // barriers, and 32 floats of state per lane at v_tile 64, K 128.
          // Light chunks (no solve, no diagonal-block sums) with K >= 128
          // take at most 4: each warp's independent tiles then hide the
          // tensor-core latency, and 4 warps wait less at barriers (measured
          // on the H200: S1 simple GLA 0.50 ms against 0.56 with 8; S3, K =
          // 64, 0.21 with 8 against 0.25 with 4; GLA, heavy, 2.1 with 8
          // against 3.0 with 4; docs/performance.md).
          // Through the tile mapping, a fused walk at K <= 64 takes 4 warps
          // too, unless its rank (3 and more) makes 4 warps' tiles spill:
          // two blocks an SM instead of one (H100, S3: DeltaNet 0.326 ms
          // against 0.442 with 8, GLA 0.545 against 0.638; PRISM Eq. 18,
          // L = 3, 2.93 against 1.05).
          const bool twoBlocks = tileMapping &&
                                 kind == ScheduleKind::chunked_fused &&
                                 k <= 64 && succeeded(info) && info->rank < 3;
          const int64_t most = (heavy || k < 128) && !twoBlocks ? 8 : 4;
          int64_t tiles = (vt / 16) * (k / 8);
          int64_t w = 1;
          while (w < most && tiles % (2 * w) == 0 && tiles / (2 * w) >= 4)
            w *= 2;
          return w;
        };
        auto paramsOf = [&](int64_t c, int64_t vt, int64_t w, int64_t st) {
          lowering::ChunkedParams params{c, vt, w, st};
          params.twoPass = kind == ScheduleKind::chunked_two_pass;
          params.target = target;
          return params;
        };
        // Whether the tile mapping accepts a candidate.
        auto accepts = [&](int64_t c, int64_t vt, int64_t w, int64_t st) {
          return succeeded(
              checkTileGPUMapping(scan,
                                  ScheduleAttr::get(scan.getContext(), kind, c,
                                                    vt, kSplit, rows, w, st),
                                  chip));
        };
        // The loop nests' scratch model (the defaults below were tuned on
        // their kernels), for either mapping; the choice is then held to
        // the mapping's own checks (`lowers`).
        auto fits = [&](int64_t c, int64_t vt, int64_t w, int64_t st) {
          return succeeded(info) &&
                 lowering::chunkedScratchBytes(*info, paramsOf(c, vt, w, st)) <=
                     target->sharedBytesPerBlock;
        };
        // Chunks of 64 tokens, 16 x 16 blocks inside; a V-tile of 64 keeps
        // the program's state block (64 x K floats) in registers and gives
        // B * H * V / 64 programs. The delta forget and the diagonal decay
        // take V-tiles of 128 where they fit: their per-chunk work on keys
        // (the solve and the products on W; the diagonal decay's scores)
        // is done once per V-tile, so fewer, wider tiles (measured on S1:
        // Gated DeltaNet 1.16 ms against 1.67, GLA 1.43 against 2.42,
        // docs/performance.md).
        // The delta forget's two-pass walk does no solve (its summaries
        // kernel does, with all of V at once): it keeps 64.
        const bool solvesPerTile =
            succeeded(info) && (info->family == ForgetFamily::diagonal ||
                                (info->family == ForgetFamily::delta &&
                                 kind == ScheduleKind::chunked_fused));
        // The delta forget's two-pass walk is the schedule for few
        // sequences: at L = 1 a V-tile of 32 gives it B * H * V / 32
        // programs (S2 Gated DeltaNet 1.30 ms against 1.46 with 64, both
        // with 8 warps; its summaries and outputs take all of V where they
        // fit). Higher ranks keep 64, where 8 warps are left (PRISM Eq. 18,
        // L = 3: 2.8 ms at S1 against 9.2 with 4 warps).
        const bool fewSequences =
            succeeded(info) && info->family == ForgetFamily::delta &&
            kind == ScheduleKind::chunked_two_pass && info->rank == 1;
        if (!vTile && fewSequences && v % 32 == 0 && v > 32)
          vTile = 32;
        if (!vTile) {
          vTile = v % 64 == 0 ? 64 : v;
          if (solvesPerTile && v % 128 == 0 &&
              fits(chunk ? chunk : 64, 128, warpsFor(128), stages == 2 ? 2 : 1))
            vTile = 128;
        }
        if (!warps)
          warps = warpsFor(vTile);
        // The delta forget's fused walk loads the next chunk's queries and
        // keys during a chunk where the second buffers fit (one block per
        // SM either way; S1 Gated DeltaNet 0.72 ms against 0.75). The
        // others keep one stage: the buffers would cost them a block per SM
        // (simple GLA 0.76 against 0.56) or the rescaled operands (GLA).
        // The delta forget's two-pass walk loads all of its operands one
        // chunk ahead (S2 Gated DeltaNet 1.55 ms against 1.79).
        if (!stages)
          stages = succeeded(info) && info->family == ForgetFamily::delta &&
                           fits(chunk ? chunk : 64, vTile, warps, 2)
                       ? 2
                       : 1;
        // The largest chunk (up to 64) whose scratch fits a block's shared
        // memory on the chip (f32 operands and high ranks need smaller ones).
        if (!chunk) {
          chunk = 64;
          while (succeeded(info) && chunk > 16 &&
                 !fits(chunk, vTile, warps, stages))
            chunk /= 2;
        }
        // The choice must lower (the lowering's own check, with the GPU's
        // limits). Where the defaults above do not (e.g. K = 512 would put
        // 256 floats of state in a lane), the parameters left free are
        // searched: smaller V-tiles, more warps, smaller chunks. When nothing
        // lowers, the defaults stay and the lowering says why.
        auto lowers = [&](int64_t c, int64_t vt, int64_t w, int64_t st) {
          if (tileMapping)
            return accepts(c, vt, w, st);
          return succeeded(
              lowering::checkChunkedScan(*info, paramsOf(c, vt, w, st), true));
        };
        if (succeeded(info) && !lowers(chunk, vTile, warps, stages)) {
          // The given value alone, or `first` then the rest of `all`.
          auto candidates = [](bool given, int64_t value,
                               SmallVector<int64_t> all, int64_t first) {
            if (given)
              return SmallVector<int64_t>{value};
            SmallVector<int64_t> out{first};
            for (int64_t x : all)
              if (x != first)
                out.push_back(x);
            return out;
          };
          SmallVector<int64_t> tiles;
          for (int64_t t = std::min<int64_t>(v, 128); t >= 16; t -= 16)
            if (v % t == 0)
              tiles.push_back(t);
          bool found = false;
          for (int64_t vt :
               candidates(current && current.getVTile(), vTile, tiles, vTile)) {
            // A new V-tile re-derives its warps and chunk (largest first).
            for (int64_t w : candidates(current && current.getWarps(), warps,
                                        {8, 4, 2, 1}, warpsFor(vt))) {
              for (int64_t c : candidates(current && current.getChunk(), chunk,
                                          {64, 32, 16}, 64)) {
                for (int64_t st : candidates(current && current.getStages(),
                                             stages, {1}, stages)) {
                  if (lowers(c, vt, w, st)) {
                    chunk = c, vTile = vt, warps = w, stages = st;
                    found = true;
                    break;
                  }
                }
                if (found)
                  break;
              }
              if (found)
                break;
            }
            if (found)
              break;
          }
          // When no parameters lower (e.g. V = 4 for a chunked kind), the
          // defaults stay and the lowering reports why.
          (void)found;
        }
      }
      auto schedule = ScheduleAttr::getChecked(
          [&] { return op->emitOpError() << "cannot choose a schedule: "; },
          op->getContext(), kind, chunk, vTile, kSplit, rows, warps, stages);
      if (!schedule)
        return WalkResult::interrupt();
      op->setAttr("schedule", schedule);
      if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
