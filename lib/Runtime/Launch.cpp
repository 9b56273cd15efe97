//===- Launch.cpp - Launch planning, free of any driver call --------------===//
//
// A launch with a wrong shape or pointer would not fail: the kernel would read
// or write the wrong memory. So every check a caller can get wrong happens
// here, before the driver is involved, with a message that names the culprit.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Launch.h"

namespace prism {
namespace runtime {

namespace {

std::string kernelName(const Manifest &manifest, size_t k) {
  return "kernels[" + std::to_string(k) + "] '" + manifest.kernels[k].name +
         "'";
}

std::string callerNames(const Manifest &manifest) {
  std::string names;
  for (int i : manifest.callerBuffers())
    names += (names.empty() ? "" : ", ") + manifest.buffers[i].name;
  return names;
}

/// Evaluates grid or block dimensions and checks them against CUDA's limits.
bool evaluateDims(const Manifest &manifest, size_t k, const char *what,
                  const Expr (&exprs)[3], const int64_t (&limits)[3],
                  const Bindings &bindings, uint32_t (&out)[3], bool &skip,
                  std::string &error) {
  for (int d = 0; d < 3; ++d) {
    std::string where = kernelName(manifest, k) + " " + what + "[" +
                        std::to_string(d) + "] = '" + exprs[d].text + "'";
    int64_t value;
    std::string why;
    if (!evaluate(exprs[d], bindings, value, why)) {
      error = where + ": " + why;
      return false;
    }
    if (value < 0 || value > limits[d]) {
      error =
          where + " evaluates to " + std::to_string(value) +
          (value < 0 ? ", which is negative"
                     : ", above CUDA's limit of " + std::to_string(limits[d]));
      return false;
    }
    skip = skip || value == 0;
    out[d] = static_cast<uint32_t>(value);
  }
  return true;
}

} // namespace

bool planLaunch(const Manifest &manifest, int numBuffers,
                const void *const *devicePtrs, const int64_t *const *shapes,
                const int *ranks, LaunchPlan &plan, std::string &error) {
  plan = LaunchPlan();
  std::vector<int> callers = manifest.callerBuffers();
  if (numBuffers < 0 || static_cast<size_t>(numBuffers) != callers.size()) {
    error = "expected " + std::to_string(callers.size()) +
            " buffers (the manifest's inputs and outputs: " +
            callerNames(manifest) + "), got " + std::to_string(numBuffers);
    return false;
  }
  if (numBuffers > 0 && (!devicePtrs || !shapes || !ranks)) {
    error = std::string("null ") +
            (!devicePtrs ? "device_ptrs"
             : !shapes   ? "shapes"
                         : "ranks") +
            " array for " + std::to_string(numBuffers) + " buffers";
    return false;
  }

  // Shapes of the caller buffers, in manifest order; workspaces stay empty
  // and are derived from the bindings below.
  size_t numAll = manifest.buffers.size();
  std::vector<std::vector<int64_t>> given(numAll);
  for (size_t c = 0; c < callers.size(); ++c) {
    const Buffer &buffer = manifest.buffers[callers[c]];
    std::string name =
        "buffer " + std::to_string(c) + " ('" + buffer.name + "')";
    if (ranks[c] < 0 || static_cast<size_t>(ranks[c]) != buffer.shape.size()) {
      error = name + ": rank " + std::to_string(ranks[c]) +
              " given, the manifest declares rank " +
              std::to_string(buffer.shape.size()) + " " + formatShape(buffer);
      return false;
    }
    if (ranks[c] > 0 && !shapes[c]) {
      error = name + ": null shape";
      return false;
    }
    given[callers[c]].assign(shapes[c], shapes[c] + ranks[c]);
  }
  if (!bindShapes(manifest, given, plan.bindings, error))
    return false;

  plan.shapes.resize(numAll);
  plan.bytes.assign(numAll, 0);
  plan.addresses.assign(numAll, 0);
  plan.workspaceOffsets.assign(numAll, 0);
  for (size_t i = 0; i < numAll; ++i) {
    const Buffer &buffer = manifest.buffers[i];
    plan.shapes[i] =
        concreteShape(manifest, static_cast<int>(i), plan.bindings);
    if (!byteSize(plan.shapes[i], buffer.dtype, plan.bytes[i])) {
      error = "buffer '" + buffer.name + "': size of " + formatShape(buffer) +
              " under " + formatBindings(manifest, plan.bindings) +
              " overflows";
      return false;
    }
    if (buffer.role != Role::Workspace)
      continue;
    // Round each workspace up so the next one starts aligned.
    int64_t rounded, end;
    if (__builtin_add_overflow(plan.bytes[i], kWorkspaceAlignment - 1,
                               &rounded) ||
        __builtin_add_overflow(
            plan.workspaceBytes,
            rounded / kWorkspaceAlignment * kWorkspaceAlignment, &end)) {
      error = "workspace sizes overflow";
      return false;
    }
    plan.workspaceOffsets[i] = plan.workspaceBytes;
    plan.workspaceBytes = end;
  }

  for (size_t c = 0; c < callers.size(); ++c) {
    int i = callers[c];
    const Buffer &buffer = manifest.buffers[i];
    uint64_t address = reinterpret_cast<uintptr_t>(devicePtrs[c]);
    std::string name =
        "buffer " + std::to_string(c) + " ('" + buffer.name + "')";
    // An empty buffer has no allocation to point to, and the kernels never
    // dereference it.
    if (address == 0 && plan.bytes[i] != 0) {
      error = name + ": null device pointer";
      return false;
    }
    // The kernels move rows in 16-byte pieces (cp.async, vector loads).
    if (address % kBufferAlignment != 0) {
      error = name + ": device pointer is not " +
              std::to_string(kBufferAlignment) +
              "-byte aligned (the kernels move rows in 16-byte pieces): pass "
              "a buffer that starts on a 16-byte boundary, e.g. a fresh "
              "contiguous copy";
      return false;
    }
    plan.addresses[i] = address;
  }

  static const int64_t gridLimits[3] = {kMaxGridX, kMaxGridYZ, kMaxGridYZ};
  static const int64_t blockLimits[3] = {kMaxBlockXY, kMaxBlockXY, kMaxBlockZ};
  plan.kernels.resize(manifest.kernels.size());
  for (size_t k = 0; k < manifest.kernels.size(); ++k) {
    const Kernel &kernel = manifest.kernels[k];
    KernelLaunch &launch = plan.kernels[k];
    if (!evaluateDims(manifest, k, "grid", kernel.grid, gridLimits,
                      plan.bindings, launch.grid, launch.skip, error) ||
        !evaluateDims(manifest, k, "block", kernel.block, blockLimits,
                      plan.bindings, launch.block, launch.skip, error))
      return false;
    int64_t threads =
        int64_t(launch.block[0]) * launch.block[1] * launch.block[2];
    if (threads > kMaxBlockThreads) {
      error = kernelName(manifest, k) + ": block of " +
              std::to_string(threads) + " threads, above CUDA's limit of " +
              std::to_string(kMaxBlockThreads);
      return false;
    }
    // The parser bounds it below; above 4 GiB the driver could not take it.
    if (kernel.sharedMemoryBytes > int64_t(UINT32_MAX)) {
      error = kernelName(manifest, k) + ": shared_memory_bytes too large";
      return false;
    }
    launch.sharedMemoryBytes = static_cast<uint32_t>(kernel.sharedMemoryBytes);
    for (size_t p = 0; p < kernel.params.size(); ++p) {
      const KernelParam &param = kernel.params[p];
      if (param.kind != KernelParam::Kind::Index)
        continue;
      int64_t value;
      std::string why;
      if (!evaluate(param.value, plan.bindings, value, why)) {
        error = kernelName(manifest, k) + " params[" + std::to_string(p) +
                "] = '" + param.value.text + "': " + why;
        return false;
      }
      launch.indexValues.push_back(value);
    }
  }
  return true;
}

void assignWorkspaces(const Manifest &manifest, uint64_t base,
                      LaunchPlan &plan) {
  for (size_t i = 0; i < manifest.buffers.size(); ++i)
    if (manifest.buffers[i].role == Role::Workspace)
      plan.addresses[i] =
          plan.bytes[i] == 0 ? 0 : base + plan.workspaceOffsets[i];
}

void packParams(const Manifest &manifest, LaunchPlan &plan) {
  for (size_t k = 0; k < manifest.kernels.size(); ++k) {
    const Kernel &kernel = manifest.kernels[k];
    KernelLaunch &launch = plan.kernels[k];
    launch.params.clear();
    size_t nextIndex = 0;
    for (const KernelParam &param : kernel.params) {
      switch (param.kind) {
      case KernelParam::Kind::Index:
        // The kernel reads the same 64 bits as an i64.
        launch.params.push_back(
            static_cast<uint64_t>(launch.indexValues[nextIndex++]));
        break;
      case KernelParam::Kind::BufferPointer:
        launch.params.push_back(plan.addresses[param.buffer]);
        break;
      case KernelParam::Kind::BufferMemref: {
        const std::vector<int64_t> &shape = plan.shapes[param.buffer];
        uint64_t address = plan.addresses[param.buffer];
        launch.params.push_back(address); // allocated pointer
        launch.params.push_back(address); // aligned pointer
        launch.params.push_back(0);       // offset
        for (int64_t size : shape)
          launch.params.push_back(static_cast<uint64_t>(size));
        // Row-major contiguous strides; they cannot overflow because the
        // byte size of the whole buffer did not.
        std::vector<uint64_t> strides(shape.size());
        uint64_t stride = 1;
        for (size_t d = shape.size(); d-- > 0;) {
          strides[d] = stride;
          stride *= static_cast<uint64_t>(shape[d]);
        }
        launch.params.insert(launch.params.end(), strides.begin(),
                             strides.end());
        break;
      }
      }
    }
  }
}

} // namespace runtime
} // namespace prism
