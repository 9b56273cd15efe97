//===- Launch.h - Launch planning, free of any driver call ------*- C++ -*-===//
//
// Everything prism_rt_launch decides before it touches the GPU: argument
// checks, shape binding, grid and block sizes, workspace sizes and the
// kernels' parameter words. Kept apart from the driver so that all of it is
// unit-tested on machines without a GPU, and so that a bad call is refused
// before anything is enqueued.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_RUNTIME_LAUNCH_H
#define PRISM_RUNTIME_LAUNCH_H

#include "prism/Runtime/Manifest.h"

#include <cstdint>
#include <string>
#include <vector>

namespace prism {
namespace runtime {

/// CUDA's limits on launch dimensions (the same on every GPU since sm_30).
constexpr int64_t kMaxGridX = 2147483647;
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxBlockXY = 1024;
constexpr int64_t kMaxBlockZ = 64;
constexpr int64_t kMaxBlockThreads = 1024;
/// Dynamic shared memory a kernel gets without opting in.
constexpr int64_t kDefaultSharedMemoryBytes = 48 * 1024;
/// Alignment of each workspace inside the program's workspace allocation.
constexpr int64_t kWorkspaceAlignment = 256;
/// Alignment every caller buffer must have (cudaMalloc and PyTorch give
/// 256).
constexpr int64_t kBufferAlignment = 16;

struct KernelLaunch {
  uint32_t grid[3] = {0, 0, 0};
  uint32_t block[3] = {0, 0, 0};
  uint32_t sharedMemoryBytes = 0;
  /// A zero grid or block dimension: an empty problem with nothing to do
  /// (a zero-sized launch is an error for the driver).
  bool skip = false;
  /// Values of the kernel's index parameters, in parameter order.
  std::vector<int64_t> indexValues;
  /// One 64-bit word per PTX parameter, filled by packParams.
  std::vector<uint64_t> params;
};

struct LaunchPlan {
  Bindings bindings;
  /// Concrete shape of every manifest buffer (workspaces included).
  std::vector<std::vector<int64_t>> shapes;
  /// Bytes of every manifest buffer.
  std::vector<int64_t> bytes;
  /// Device address of every manifest buffer; workspaces are 0 until the
  /// runtime assigns them (assignWorkspaces).
  std::vector<uint64_t> addresses;
  /// Bytes of one allocation that holds every workspace.
  int64_t workspaceBytes = 0;
  /// Offset of each workspace in that allocation (0 for other buffers).
  std::vector<int64_t> workspaceOffsets;
  std::vector<KernelLaunch> kernels;
};

/// Checks a launch's arguments as prism_rt_launch receives them (one entry
/// per caller buffer, Manifest::callerBuffers() order) and evaluates every
/// size. A null pointer is allowed only for a buffer with zero elements.
/// Returns false with a message naming the buffer, kernel or symbol at fault.
bool planLaunch(const Manifest &manifest, int numBuffers,
                const void *const *devicePtrs, const int64_t *const *shapes,
                const int *ranks, LaunchPlan &plan, std::string &error);

/// Sets the workspace addresses from the base of an allocation of at least
/// `plan.workspaceBytes` bytes.
void assignWorkspaces(const Manifest &manifest, uint64_t base,
                      LaunchPlan &plan);

/// Fills every kernel's parameter words per docs/manifest.md: "memref" is
/// allocated ptr, aligned ptr, offset 0, sizes, row-major strides; "pointer"
/// is the address; "index" is the i64 value.
void packParams(const Manifest &manifest, LaunchPlan &plan);

} // namespace runtime
} // namespace prism

#endif // PRISM_RUNTIME_LAUNCH_H
