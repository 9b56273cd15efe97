//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//
//
// dlopen("libcuda.so.1") once per process; the handle is never closed, since
// the driver cannot be unloaded safely while contexts may exist.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <dlfcn.h>
#include <initializer_list>

namespace prism {
namespace runtime {
namespace cuda {

namespace {

struct Loaded {
  Driver driver = {};
  bool ok = false;
  bool missingLibrary = false;
  std::string error;
};

/// Binds `slot` to the first of `names` that the library exports.
template <typename Fn>
bool bind(void *library, Fn &slot, std::initializer_list<const char *> names,
          std::string &error) {
  for (const char *name : names) {
    if (void *symbol = dlsym(library, name)) {
      slot = reinterpret_cast<Fn>(symbol);
      return true;
    }
  }
  error = std::string("libcuda.so.1 does not export ") + *names.begin() +
          " (driver too old?)";
  return false;
}

Loaded load() {
  Loaded loaded;
  // The soname with the major version: the unversioned libcuda.so is a
  // development link that toolkit-less driver installs do not have.
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    loaded.missingLibrary = true;
    loaded.error = std::string("cannot load libcuda.so.1: ") +
                   (why ? why : "unknown error");
    return loaded;
  }
  Driver &d = loaded.driver;
  std::string &e = loaded.error;
  loaded.ok =
      bind(library, d.cuGetErrorName, {"cuGetErrorName"}, e) &&
      bind(library, d.cuGetErrorString, {"cuGetErrorString"}, e) &&
      bind(library, d.cuInit, {"cuInit"}, e) &&
      bind(library, d.cuDriverGetVersion, {"cuDriverGetVersion"}, e) &&
      bind(library, d.cuDeviceGetCount, {"cuDeviceGetCount"}, e) &&
      bind(library, d.cuDeviceGet, {"cuDeviceGet"}, e) &&
      bind(library, d.cuDeviceGetName, {"cuDeviceGetName"}, e) &&
      bind(library, d.cuDeviceGetAttribute, {"cuDeviceGetAttribute"}, e) &&
      bind(library, d.cuDevicePrimaryCtxRetain, {"cuDevicePrimaryCtxRetain"},
           e) &&
      bind(library, d.cuDevicePrimaryCtxRelease,
           {"cuDevicePrimaryCtxRelease_v2"}, e) &&
      bind(library, d.cuCtxSetCurrent, {"cuCtxSetCurrent"}, e) &&
      bind(library, d.cuCtxSynchronize, {"cuCtxSynchronize"}, e) &&
      bind(library, d.cuModuleLoadDataEx, {"cuModuleLoadDataEx"}, e) &&
      bind(library, d.cuModuleUnload, {"cuModuleUnload"}, e) &&
      bind(library, d.cuModuleGetFunction, {"cuModuleGetFunction"}, e) &&
      bind(library, d.cuFuncGetAttribute, {"cuFuncGetAttribute"}, e) &&
      bind(library, d.cuFuncSetAttribute, {"cuFuncSetAttribute"}, e) &&
      bind(library, d.cuLaunchKernel, {"cuLaunchKernel"}, e) &&
      bind(library, d.cuMemAlloc, {"cuMemAlloc_v2"}, e) &&
      bind(library, d.cuMemFree, {"cuMemFree_v2"}, e) &&
      bind(library, d.cuMemsetD8, {"cuMemsetD8_v2"}, e) &&
      bind(library, d.cuMemcpyHtoD, {"cuMemcpyHtoD_v2"}, e) &&
      bind(library, d.cuMemcpyDtoH, {"cuMemcpyDtoH_v2"}, e) &&
      bind(library, d.cuMemcpyDtoD, {"cuMemcpyDtoD_v2"}, e) &&
      bind(library, d.cuStreamCreate, {"cuStreamCreate"}, e) &&
      bind(library, d.cuStreamDestroy, {"cuStreamDestroy_v2"}, e) &&
      bind(library, d.cuStreamSynchronize, {"cuStreamSynchronize"}, e) &&
      bind(library, d.cuEventCreate, {"cuEventCreate"}, e) &&
      bind(library, d.cuEventDestroy, {"cuEventDestroy_v2"}, e) &&
      bind(library, d.cuEventRecord, {"cuEventRecord"}, e) &&
      bind(library, d.cuEventSynchronize, {"cuEventSynchronize"}, e) &&
      // CUDA 12.8 added the _v2 name; older drivers export only the first.
      bind(library, d.cuEventElapsedTime,
           {"cuEventElapsedTime_v2", "cuEventElapsedTime"}, e);
  return loaded;
}

} // namespace

const Driver *loadDriver(std::string &error, bool &missingLibrary) {
  static const Loaded loaded = load();
  missingLibrary = loaded.missingLibrary;
  if (!loaded.ok) {
    error = loaded.error;
    return nullptr;
  }
  return &loaded.driver;
}

std::string describe(const Driver &driver, CUresult result) {
  const char *name = nullptr;
  const char *text = nullptr;
  if (driver.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = nullptr;
  if (driver.cuGetErrorString(result, &text) != CUDA_SUCCESS || !text)
    text = nullptr;
  std::string out =
      name ? name : "CUDA error " + std::to_string(static_cast<int>(result));
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

} // namespace cuda
} // namespace runtime
} // namespace prism
