//===- Runtime.cpp - prism GPU runtime, C API -----------------------------===//
//
// Each entry point checks its arguments before any driver call (so misuse is
// reported, and testable, without a GPU), makes its context current on the
// calling thread, and turns every failure into a status plus a message.
// Nothing throws across the C boundary: bodies run inside `guard`, which
// maps a host allocation failure to PRISM_RT_OUT_OF_MEMORY.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Runtime.h"
#include "prism/Runtime/Launch.h"
#include "prism/Runtime/Manifest.h"
#include "prism/Runtime/Runtime.hpp"

#include "CudaDriver.h"

#include <algorithm>
#include <map>
#include <memory>
#include <new>

using namespace prism::runtime;
using namespace prism::runtime::cuda;

struct prism_rt_context {
  const Driver *driver = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  int ordinal = 0;
  std::string name;
  int maxSharedMemoryOptin = 0;
};

struct prism_rt_program {
  prism_rt_context *ctx = nullptr;
  Manifest manifest;
  CUmodule module = nullptr;
  /// One per manifest kernel (a PTX entry may be launched more than once).
  std::vector<CUfunction> functions;
  /// CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK per manifest kernel: register
  /// use can make it smaller than 1024.
  std::vector<int> maxThreads;
  CUdeviceptr workspace = 0;
  int64_t workspaceBytes = 0;
};

struct prism_rt_stream {
  prism_rt_context *ctx = nullptr;
  CUstream stream = nullptr;
  /// False for prism_rt_stream_wrap: the stream's creator destroys it.
  bool owned = true;
};

struct prism_rt_event {
  prism_rt_context *ctx = nullptr;
  CUevent event = nullptr;
};

namespace {

thread_local std::string lastError;

prism_rt_status failWith(prism_rt_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

prism_rt_status invalid(const std::string &message) {
  return failWith(PRISM_RT_INVALID_ARGUMENT, message);
}

/// Runs `body`, keeping exceptions (only host allocation can throw here) from
/// crossing the C boundary.
template <typename Body> prism_rt_status guard(Body body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return failWith(PRISM_RT_OUT_OF_MEMORY, "out of host memory");
  } catch (const std::exception &e) {
    return failWith(PRISM_RT_INVALID_ARGUMENT,
                    std::string("internal error: ") + e.what());
  } catch (...) {
    return failWith(PRISM_RT_INVALID_ARGUMENT, "internal error");
  }
}

/// Reports a failed driver call; `what` names the call and, where one is
/// involved, the kernel.
prism_rt_status cudaFailure(const Driver &driver, const std::string &what,
                            CUresult result) {
  return failWith(PRISM_RT_CUDA_ERROR,
                  what + " failed: " + describe(driver, result));
}

#define PRISM_RT_CHECK(driver, call, what)                                     \
  do {                                                                         \
    CUresult prismResult = (call);                                             \
    if (prismResult != CUDA_SUCCESS)                                           \
      return cudaFailure((driver), (what), prismResult);                       \
  } while (false)

/// Makes `ctx` current on this thread: the API may be called from any thread.
prism_rt_status makeCurrent(prism_rt_context *ctx) {
  PRISM_RT_CHECK(*ctx->driver, ctx->driver->cuCtxSetCurrent(ctx->context),
                 "cuCtxSetCurrent");
  return PRISM_RT_SUCCESS;
}

CUdeviceptr devicePtr(const void *ptr) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr));
}

/// Loads a parsed manifest's PTX into a new program.
prism_rt_status loadProgram(prism_rt_context *ctx, Manifest manifest,
                            const char *ptx, prism_rt_program **out) {
  const Driver &d = *ctx->driver;
  if (manifest.backend != "cuda")
    return failWith(PRISM_RT_MANIFEST_ERROR,
                    "manifest for '" + manifest.function + "' has backend '" +
                        manifest.backend +
                        "': the GPU runtime loads only cuda programs");
  for (size_t k = 0; k < manifest.kernels.size(); ++k) {
    const Kernel &kernel = manifest.kernels[k];
    if (kernel.sharedMemoryBytes > ctx->maxSharedMemoryOptin)
      return failWith(
          PRISM_RT_MANIFEST_ERROR,
          "kernels[" + std::to_string(k) + "] '" + kernel.name + "' needs " +
              std::to_string(kernel.sharedMemoryBytes) +
              " bytes of dynamic shared memory; " + ctx->name +
              " allows at most " + std::to_string(ctx->maxSharedMemoryOptin) +
              " per block");
  }
  prism_rt_status status = makeCurrent(ctx);
  if (status != PRISM_RT_SUCCESS)
    return status;

  // The JIT's logs are how a bad PTX explains itself: ask for both.
  static constexpr unsigned logSize = 64 * 1024;
  std::vector<char> errorLog(logSize, '\0'), infoLog(logSize, '\0');
  CUjit_option options[] = {
      CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
      CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog.data(),
                    reinterpret_cast<void *>(static_cast<uintptr_t>(logSize)),
                    infoLog.data(),
                    reinterpret_cast<void *>(static_cast<uintptr_t>(logSize))};
  auto program = std::make_unique<prism_rt_program>();
  program->ctx = ctx;
  CUresult result =
      d.cuModuleLoadDataEx(&program->module, ptx, 4, options, values);
  if (result != CUDA_SUCCESS) {
    errorLog.back() = '\0';
    infoLog.back() = '\0';
    std::string message = "cuModuleLoadDataEx failed for module '" +
                          manifest.module + "' of '" + manifest.function +
                          "': " + describe(d, result);
    if (errorLog[0])
      message += "\nJIT error log:\n" + std::string(errorLog.data());
    if (infoLog[0])
      message += "\nJIT info log:\n" + std::string(infoLog.data());
    return failWith(PRISM_RT_CUDA_ERROR, message);
  }

  // From here on a failure must unload the module.
  auto fail = [&](prism_rt_status status) {
    d.cuModuleUnload(program->module);
    return status;
  };
  // The largest dynamic shared memory asked of each entry point.
  std::map<std::string, int64_t> shared;
  for (const Kernel &kernel : manifest.kernels)
    shared[kernel.name] =
        std::max(shared[kernel.name], kernel.sharedMemoryBytes);
  std::map<std::string, std::pair<CUfunction, int>> functions;
  for (const auto &[name, bytes] : shared) {
    CUfunction function = nullptr;
    result = d.cuModuleGetFunction(&function, program->module, name.c_str());
    if (result != CUDA_SUCCESS)
      return fail(cudaFailure(d,
                              "cuModuleGetFunction for kernel '" + name +
                                  "' in module '" + manifest.module + "'",
                              result));
    if (bytes > kDefaultSharedMemoryBytes) {
      result = d.cuFuncSetAttribute(
          function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
          static_cast<int>(bytes));
      if (result != CUDA_SUCCESS)
        return fail(cudaFailure(
            d,
            "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES = " +
                std::to_string(bytes) + ") for kernel '" + name + "'",
            result));
    }
    int maxThreads = 0;
    result = d.cuFuncGetAttribute(
        &maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, function);
    if (result != CUDA_SUCCESS)
      return fail(cudaFailure(
          d,
          "cuFuncGetAttribute(MAX_THREADS_PER_BLOCK) for kernel '" + name + "'",
          result));
    functions[name] = {function, maxThreads};
  }
  for (const Kernel &kernel : manifest.kernels) {
    program->functions.push_back(functions[kernel.name].first);
    program->maxThreads.push_back(functions[kernel.name].second);
  }
  program->manifest = std::move(manifest);
  *out = program.release();
  return PRISM_RT_SUCCESS;
}

/// Makes the program's workspace allocation at least `bytes` long. The old
/// allocation may still be in use by an earlier launch, so the device is
/// synchronized before it is freed.
prism_rt_status ensureWorkspace(prism_rt_program *program, int64_t bytes) {
  if (bytes <= program->workspaceBytes)
    return PRISM_RT_SUCCESS;
  const Driver &d = *program->ctx->driver;
  if (program->workspace) {
    PRISM_RT_CHECK(d, d.cuCtxSynchronize(),
                   "cuCtxSynchronize (before growing the workspace)");
    PRISM_RT_CHECK(d, d.cuMemFree(program->workspace), "cuMemFree (workspace)");
    program->workspace = 0;
    program->workspaceBytes = 0;
  }
  PRISM_RT_CHECK(d, d.cuMemAlloc(&program->workspace, bytes),
                 "cuMemAlloc of " + std::to_string(bytes) +
                     " bytes of workspace for '" + program->manifest.function +
                     "'");
  program->workspaceBytes = bytes;
  return PRISM_RT_SUCCESS;
}

std::string dims(const uint32_t (&v)[3]) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

} // namespace

//===----------------------------------------------------------------------===//
// Status and errors
//===----------------------------------------------------------------------===//

const char *prism_rt_status_name(prism_rt_status status) {
  switch (status) {
  case PRISM_RT_SUCCESS:
    return "PRISM_RT_SUCCESS";
  case PRISM_RT_INVALID_ARGUMENT:
    return "PRISM_RT_INVALID_ARGUMENT";
  case PRISM_RT_NO_DEVICE:
    return "PRISM_RT_NO_DEVICE";
  case PRISM_RT_CUDA_ERROR:
    return "PRISM_RT_CUDA_ERROR";
  case PRISM_RT_MANIFEST_ERROR:
    return "PRISM_RT_MANIFEST_ERROR";
  case PRISM_RT_IO_ERROR:
    return "PRISM_RT_IO_ERROR";
  case PRISM_RT_OUT_OF_MEMORY:
    return "PRISM_RT_OUT_OF_MEMORY";
  }
  return "PRISM_RT_UNKNOWN_STATUS";
}

const char *prism_rt_last_error(void) { return lastError.c_str(); }

//===----------------------------------------------------------------------===//
// Context
//===----------------------------------------------------------------------===//

prism_rt_status prism_rt_init(int device, prism_rt_context **out) {
  return guard([&] {
    if (!out)
      return invalid("prism_rt_init: null output pointer");
    *out = nullptr;
    if (device < 0)
      return invalid("prism_rt_init: negative device index " +
                     std::to_string(device));
    std::string error;
    bool missingLibrary = false;
    const Driver *driver = loadDriver(error, missingLibrary);
    if (!driver)
      return failWith(missingLibrary ? PRISM_RT_NO_DEVICE : PRISM_RT_CUDA_ERROR,
                      error);
    const Driver &d = *driver;
    CUresult result = d.cuInit(0);
    if (result == CUDA_ERROR_NO_DEVICE)
      return failWith(PRISM_RT_NO_DEVICE, "cuInit: " + describe(d, result));
    PRISM_RT_CHECK(d, result, "cuInit");
    int count = 0;
    PRISM_RT_CHECK(d, d.cuDeviceGetCount(&count), "cuDeviceGetCount");
    if (count == 0)
      return failWith(PRISM_RT_NO_DEVICE, "the CUDA driver sees no device");
    if (device >= count)
      return invalid("prism_rt_init: device " + std::to_string(device) +
                     " requested, but there are only " + std::to_string(count));

    auto ctx = std::make_unique<prism_rt_context>();
    ctx->driver = driver;
    ctx->ordinal = device;
    PRISM_RT_CHECK(d, d.cuDeviceGet(&ctx->device, device), "cuDeviceGet");
    char name[256] = {0};
    PRISM_RT_CHECK(d, d.cuDeviceGetName(name, sizeof(name) - 1, ctx->device),
                   "cuDeviceGetName");
    ctx->name = name;
    PRISM_RT_CHECK(d,
                   d.cuDeviceGetAttribute(
                       &ctx->maxSharedMemoryOptin,
                       CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                       ctx->device),
                   "cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)");
    PRISM_RT_CHECK(d, d.cuDevicePrimaryCtxRetain(&ctx->context, ctx->device),
                   "cuDevicePrimaryCtxRetain");
    result = d.cuCtxSetCurrent(ctx->context);
    if (result != CUDA_SUCCESS) {
      d.cuDevicePrimaryCtxRelease(ctx->device);
      return cudaFailure(d, "cuCtxSetCurrent", result);
    }
    *out = ctx.release();
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_context_destroy(prism_rt_context *ctx) {
  return guard([&] {
    if (!ctx)
      return PRISM_RT_SUCCESS;
    const Driver &d = *ctx->driver;
    CUresult result = d.cuDevicePrimaryCtxRelease(ctx->device);
    delete ctx;
    PRISM_RT_CHECK(d, result, "cuDevicePrimaryCtxRelease");
    return PRISM_RT_SUCCESS;
  });
}

const char *prism_rt_device_name(const prism_rt_context *ctx) {
  return ctx ? ctx->name.c_str() : nullptr;
}

prism_rt_status prism_rt_synchronize(prism_rt_context *ctx) {
  return guard([&] {
    if (!ctx)
      return invalid("prism_rt_synchronize: null context");
    prism_rt_status status = makeCurrent(ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(*ctx->driver, ctx->driver->cuCtxSynchronize(),
                   "cuCtxSynchronize");
    return PRISM_RT_SUCCESS;
  });
}

//===----------------------------------------------------------------------===//
// Programs
//===----------------------------------------------------------------------===//

prism_rt_status prism_rt_program_load(prism_rt_context *ctx,
                                      const char *manifest_json,
                                      const char *ptx, prism_rt_program **out) {
  return guard([&] {
    if (!out)
      return invalid("prism_rt_program_load: null output pointer");
    *out = nullptr;
    if (!ctx || !manifest_json || !ptx)
      return invalid(std::string("prism_rt_program_load: null ") +
                     (!ctx             ? "context"
                      : !manifest_json ? "manifest"
                                       : "PTX"));
    Manifest manifest;
    std::string error;
    if (!parseManifest(manifest_json, manifest, error))
      return failWith(PRISM_RT_MANIFEST_ERROR, "manifest: " + error);
    return loadProgram(ctx, std::move(manifest), ptx, out);
  });
}

prism_rt_status prism_rt_program_load_file(prism_rt_context *ctx,
                                           const char *manifest_path,
                                           prism_rt_program **out) {
  return guard([&] {
    if (!out)
      return invalid("prism_rt_program_load_file: null output pointer");
    *out = nullptr;
    if (!ctx || !manifest_path)
      return invalid(std::string("prism_rt_program_load_file: null ") +
                     (!ctx ? "context" : "path"));
    std::string path = manifest_path, text, error;
    if (!readTextFile(path, text, error))
      return failWith(PRISM_RT_IO_ERROR, error);
    Manifest manifest;
    if (!parseManifest(text, manifest, error))
      return failWith(PRISM_RT_MANIFEST_ERROR, path + ": " + error);
    if (manifest.backend != "cuda")
      return loadProgram(ctx, std::move(manifest), "", out);
    size_t slash = path.find_last_of('/');
    std::string ptxPath =
        (slash == std::string::npos ? std::string()
                                    : path.substr(0, slash + 1)) +
        manifest.module;
    std::string ptx;
    if (!readTextFile(ptxPath, ptx, error))
      return failWith(PRISM_RT_IO_ERROR,
                      error + " (the module of " + path + ")");
    return loadProgram(ctx, std::move(manifest), ptx.c_str(), out);
  });
}

prism_rt_status prism_rt_program_destroy(prism_rt_program *program) {
  return guard([&] {
    if (!program)
      return PRISM_RT_SUCCESS;
    std::unique_ptr<prism_rt_program> owned(program);
    const Driver &d = *program->ctx->driver;
    prism_rt_status status = makeCurrent(program->ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    // Free the workspace even if the unload fails, and report the first
    // failure.
    CUresult freed =
        program->workspace ? d.cuMemFree(program->workspace) : CUDA_SUCCESS;
    PRISM_RT_CHECK(d, d.cuModuleUnload(program->module), "cuModuleUnload");
    PRISM_RT_CHECK(d, freed, "cuMemFree (workspace)");
    return PRISM_RT_SUCCESS;
  });
}

int prism_rt_program_num_buffers(const prism_rt_program *program) {
  return program ? static_cast<int>(program->manifest.callerBuffers().size())
                 : -1;
}

prism_rt_status prism_rt_launch(prism_rt_program *program,
                                prism_rt_stream *stream, int num_buffers,
                                void *const *device_ptrs,
                                const int64_t *const *shapes,
                                const int *ranks) {
  return guard([&] {
    if (!program)
      return invalid("prism_rt_launch: null program");
    if (stream && stream->ctx != program->ctx)
      return invalid("prism_rt_launch: the stream belongs to another context");
    const Manifest &manifest = program->manifest;
    LaunchPlan plan;
    std::string error;
    if (!planLaunch(manifest, num_buffers, device_ptrs, shapes, ranks, plan,
                    error))
      return invalid("prism_rt_launch of '" + manifest.function +
                     "': " + error);
    for (size_t k = 0; k < manifest.kernels.size(); ++k) {
      const KernelLaunch &launch = plan.kernels[k];
      int64_t threads =
          int64_t(launch.block[0]) * launch.block[1] * launch.block[2];
      if (!launch.skip && threads > program->maxThreads[k])
        return invalid("prism_rt_launch of '" + manifest.function +
                       "': kernels[" + std::to_string(k) + "] '" +
                       manifest.kernels[k].name + "' launched with " +
                       std::to_string(threads) +
                       " threads per block, but the compiled kernel allows "
                       "at most " +
                       std::to_string(program->maxThreads[k]));
    }

    prism_rt_status status = makeCurrent(program->ctx);
    if (status == PRISM_RT_SUCCESS)
      status = ensureWorkspace(program, plan.workspaceBytes);
    if (status != PRISM_RT_SUCCESS)
      return status;
    assignWorkspaces(manifest, program->workspace, plan);
    packParams(manifest, plan);

    const Driver &d = *program->ctx->driver;
    CUstream cuStream = stream ? stream->stream : nullptr;
    for (size_t k = 0; k < manifest.kernels.size(); ++k) {
      KernelLaunch &launch = plan.kernels[k];
      if (launch.skip)
        continue;
      // cuLaunchKernel takes one pointer per PTX parameter, each to a value
      // of the parameter's size: every word here is 64-bit.
      std::vector<void *> args;
      args.reserve(launch.params.size());
      for (uint64_t &word : launch.params)
        args.push_back(&word);
      CUresult result = d.cuLaunchKernel(
          program->functions[k], launch.grid[0], launch.grid[1], launch.grid[2],
          launch.block[0], launch.block[1], launch.block[2],
          launch.sharedMemoryBytes, cuStream, args.data(), nullptr);
      if (result != CUDA_SUCCESS)
        return cudaFailure(
            d,
            "cuLaunchKernel for kernel '" + manifest.kernels[k].name +
                "' (kernels[" + std::to_string(k) + "] of '" +
                manifest.function + "', grid " + dims(launch.grid) +
                ", block " + dims(launch.block) + ", " +
                std::to_string(launch.sharedMemoryBytes) +
                " bytes of dynamic shared memory)",
            result);
    }
    return PRISM_RT_SUCCESS;
  });
}

//===----------------------------------------------------------------------===//
// Device memory
//===----------------------------------------------------------------------===//

prism_rt_status prism_rt_malloc(prism_rt_context *ctx, size_t bytes,
                                void **ptr) {
  return guard([&] {
    if (!ptr)
      return invalid("prism_rt_malloc: null output pointer");
    *ptr = nullptr;
    if (!ctx)
      return invalid("prism_rt_malloc: null context");
    if (bytes == 0)
      return PRISM_RT_SUCCESS;
    prism_rt_status status = makeCurrent(ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    CUdeviceptr address = 0;
    PRISM_RT_CHECK(*ctx->driver, ctx->driver->cuMemAlloc(&address, bytes),
                   "cuMemAlloc of " + std::to_string(bytes) + " bytes");
    *ptr = reinterpret_cast<void *>(static_cast<uintptr_t>(address));
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_free(prism_rt_context *ctx, void *ptr) {
  return guard([&] {
    if (!ptr)
      return PRISM_RT_SUCCESS;
    if (!ctx)
      return invalid("prism_rt_free: null context");
    prism_rt_status status = makeCurrent(ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(*ctx->driver, ctx->driver->cuMemFree(devicePtr(ptr)),
                   "cuMemFree");
    return PRISM_RT_SUCCESS;
  });
}

namespace {

/// Shared checks of the memset and copy entry points.
prism_rt_status checkTransfer(const char *function, prism_rt_context *ctx,
                              const void *dst, const void *src, size_t bytes) {
  if (!ctx)
    return invalid(std::string(function) + ": null context");
  if (bytes != 0 && (!dst || !src))
    return invalid(std::string(function) + ": null " +
                   (!dst ? "destination" : "source") + " for " +
                   std::to_string(bytes) + " bytes");
  return makeCurrent(ctx);
}

} // namespace

prism_rt_status prism_rt_memset(prism_rt_context *ctx, void *ptr,
                                unsigned char value, size_t bytes) {
  return guard([&] {
    prism_rt_status status =
        checkTransfer("prism_rt_memset", ctx, ptr, &value, bytes);
    if (status != PRISM_RT_SUCCESS || bytes == 0)
      return status;
    PRISM_RT_CHECK(*ctx->driver,
                   ctx->driver->cuMemsetD8(devicePtr(ptr), value, bytes),
                   "cuMemsetD8");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_copy_to_device(prism_rt_context *ctx, void *dst,
                                        const void *src, size_t bytes) {
  return guard([&] {
    prism_rt_status status =
        checkTransfer("prism_rt_copy_to_device", ctx, dst, src, bytes);
    if (status != PRISM_RT_SUCCESS || bytes == 0)
      return status;
    PRISM_RT_CHECK(*ctx->driver,
                   ctx->driver->cuMemcpyHtoD(devicePtr(dst), src, bytes),
                   "cuMemcpyHtoD");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_copy_to_host(prism_rt_context *ctx, void *dst,
                                      const void *src, size_t bytes) {
  return guard([&] {
    prism_rt_status status =
        checkTransfer("prism_rt_copy_to_host", ctx, dst, src, bytes);
    if (status != PRISM_RT_SUCCESS || bytes == 0)
      return status;
    PRISM_RT_CHECK(*ctx->driver,
                   ctx->driver->cuMemcpyDtoH(dst, devicePtr(src), bytes),
                   "cuMemcpyDtoH");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_copy_device(prism_rt_context *ctx, void *dst,
                                     const void *src, size_t bytes) {
  return guard([&] {
    prism_rt_status status =
        checkTransfer("prism_rt_copy_device", ctx, dst, src, bytes);
    if (status != PRISM_RT_SUCCESS || bytes == 0)
      return status;
    PRISM_RT_CHECK(
        *ctx->driver,
        ctx->driver->cuMemcpyDtoD(devicePtr(dst), devicePtr(src), bytes),
        "cuMemcpyDtoD");
    return PRISM_RT_SUCCESS;
  });
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

prism_rt_status prism_rt_stream_create(prism_rt_context *ctx,
                                       prism_rt_stream **out) {
  return guard([&] {
    if (!out)
      return invalid("prism_rt_stream_create: null output pointer");
    *out = nullptr;
    if (!ctx)
      return invalid("prism_rt_stream_create: null context");
    prism_rt_status status = makeCurrent(ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    auto stream = std::make_unique<prism_rt_stream>();
    stream->ctx = ctx;
    // Blocking with respect to the legacy default stream, on which the
    // synchronous copies run: copies and launches stay ordered.
    PRISM_RT_CHECK(
        *ctx->driver,
        ctx->driver->cuStreamCreate(&stream->stream, CU_STREAM_DEFAULT),
        "cuStreamCreate");
    *out = stream.release();
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_stream_wrap(prism_rt_context *ctx, void *cu_stream,
                                     prism_rt_stream **out) {
  return guard([&] {
    if (!out)
      return invalid("prism_rt_stream_wrap: null output pointer");
    *out = nullptr;
    if (!ctx)
      return invalid("prism_rt_stream_wrap: null context");
    auto stream = std::make_unique<prism_rt_stream>();
    stream->ctx = ctx;
    stream->stream = static_cast<CUstream>(cu_stream);
    stream->owned = false;
    *out = stream.release();
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_stream_destroy(prism_rt_stream *stream) {
  return guard([&] {
    if (!stream)
      return PRISM_RT_SUCCESS;
    std::unique_ptr<prism_rt_stream> owned(stream);
    if (!stream->owned)
      return PRISM_RT_SUCCESS;
    prism_rt_status status = makeCurrent(stream->ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(*stream->ctx->driver,
                   stream->ctx->driver->cuStreamDestroy(stream->stream),
                   "cuStreamDestroy");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_stream_synchronize(prism_rt_context *ctx,
                                            prism_rt_stream *stream) {
  return guard([&] {
    if (!ctx)
      return invalid("prism_rt_stream_synchronize: null context");
    if (stream && stream->ctx != ctx)
      return invalid(
          "prism_rt_stream_synchronize: the stream belongs to another context");
    prism_rt_status status = makeCurrent(ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(
        *ctx->driver,
        ctx->driver->cuStreamSynchronize(stream ? stream->stream : nullptr),
        "cuStreamSynchronize");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_event_create(prism_rt_context *ctx,
                                      prism_rt_event **out) {
  return guard([&] {
    if (!out)
      return invalid("prism_rt_event_create: null output pointer");
    *out = nullptr;
    if (!ctx)
      return invalid("prism_rt_event_create: null context");
    prism_rt_status status = makeCurrent(ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    auto event = std::make_unique<prism_rt_event>();
    event->ctx = ctx;
    PRISM_RT_CHECK(*ctx->driver,
                   ctx->driver->cuEventCreate(&event->event, CU_EVENT_DEFAULT),
                   "cuEventCreate");
    *out = event.release();
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_event_destroy(prism_rt_event *event) {
  return guard([&] {
    if (!event)
      return PRISM_RT_SUCCESS;
    std::unique_ptr<prism_rt_event> owned(event);
    prism_rt_status status = makeCurrent(event->ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(*event->ctx->driver,
                   event->ctx->driver->cuEventDestroy(event->event),
                   "cuEventDestroy");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_event_record(prism_rt_event *event,
                                      prism_rt_stream *stream) {
  return guard([&] {
    if (!event)
      return invalid("prism_rt_event_record: null event");
    if (stream && stream->ctx != event->ctx)
      return invalid(
          "prism_rt_event_record: the stream belongs to another context");
    prism_rt_status status = makeCurrent(event->ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(*event->ctx->driver,
                   event->ctx->driver->cuEventRecord(
                       event->event, stream ? stream->stream : nullptr),
                   "cuEventRecord");
    return PRISM_RT_SUCCESS;
  });
}

prism_rt_status prism_rt_event_elapsed_ms(prism_rt_event *start,
                                          prism_rt_event *end, float *ms) {
  return guard([&] {
    if (!start || !end || !ms)
      return invalid(std::string("prism_rt_event_elapsed_ms: null ") +
                     (!start ? "start event"
                      : !end ? "end event"
                             : "result"));
    if (start->ctx != end->ctx)
      return invalid(
          "prism_rt_event_elapsed_ms: the events belong to different contexts");
    const Driver &d = *end->ctx->driver;
    prism_rt_status status = makeCurrent(end->ctx);
    if (status != PRISM_RT_SUCCESS)
      return status;
    PRISM_RT_CHECK(d, d.cuEventSynchronize(end->event), "cuEventSynchronize");
    PRISM_RT_CHECK(d, d.cuEventElapsedTime(ms, start->event, end->event),
                   "cuEventElapsedTime");
    return PRISM_RT_SUCCESS;
  });
}

//===----------------------------------------------------------------------===//
// C++ access
//===----------------------------------------------------------------------===//

const Manifest *prism::rt::programManifest(const prism_rt_program *program) {
  return program ? &program->manifest : nullptr;
}
