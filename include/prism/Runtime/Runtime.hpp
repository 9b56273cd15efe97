//===- Runtime.hpp - prism GPU runtime, C++ wrapper -------------*- C++ -*-===//
//
// RAII owners for the C API's handles. Like the C API they never throw:
// constructors record a Status (check `ok()`, read `error()`), and methods
// return one. Objects are move-only and must be destroyed before the Context
// they were made from.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_RUNTIME_RUNTIME_HPP
#define PRISM_RUNTIME_RUNTIME_HPP

#include "prism/Runtime/Manifest.h"
#include "prism/Runtime/Runtime.h"

#include <string>
#include <utility>
#include <vector>

namespace prism {
namespace rt {

/// The parsed manifest of a loaded program (null for a null program).
const runtime::Manifest *programManifest(const prism_rt_program *program);

/// A status code and, on failure, the runtime's message.
struct Status {
  prism_rt_status code = PRISM_RT_SUCCESS;
  std::string message;

  Status() = default;
  /// Captures prism_rt_last_error() when `code` is a failure.
  explicit Status(prism_rt_status code)
      : code(code),
        message(code == PRISM_RT_SUCCESS ? "" : prism_rt_last_error()) {}
  Status(prism_rt_status code, std::string message)
      : code(code), message(std::move(message)) {}
  bool ok() const { return code == PRISM_RT_SUCCESS; }
};

/// Holds a handle and the status of its creation.
template <typename Handle, prism_rt_status (*Destroy)(Handle *)> class Owner {
public:
  Owner() = default;
  Owner(const Owner &) = delete;
  Owner &operator=(const Owner &) = delete;
  Owner(Owner &&other) noexcept { *this = std::move(other); }
  Owner &operator=(Owner &&other) noexcept {
    if (this != &other) {
      reset();
      handle = std::exchange(other.handle, nullptr);
      status = std::move(other.status);
    }
    return *this;
  }
  ~Owner() { reset(); }

  bool ok() const { return handle && status.ok(); }
  prism_rt_status code() const { return status.code; }
  const std::string &error() const { return status.message; }
  Handle *get() const { return handle; }

protected:
  void reset() {
    if (handle)
      Destroy(std::exchange(handle, nullptr));
  }
  Handle *handle = nullptr;
  Status status;
};

class Context : public Owner<prism_rt_context, prism_rt_context_destroy> {
public:
  Context() = default;
  explicit Context(int device) {
    status = Status(prism_rt_init(device, &handle));
  }
  /// True when init failed because there is no GPU or CUDA driver.
  bool noDevice() const { return code() == PRISM_RT_NO_DEVICE; }
  std::string deviceName() const {
    const char *name = prism_rt_device_name(handle);
    return name ? name : "";
  }
  Status synchronize() { return Status(prism_rt_synchronize(handle)); }
};

class Stream : public Owner<prism_rt_stream, prism_rt_stream_destroy> {
public:
  Stream() = default;
  explicit Stream(Context &ctx) {
    status = Status(prism_rt_stream_create(ctx.get(), &handle));
  }
};

class Event : public Owner<prism_rt_event, prism_rt_event_destroy> {
public:
  Event() = default;
  explicit Event(Context &ctx) {
    status = Status(prism_rt_event_create(ctx.get(), &handle));
  }
  /// Records on `stream` (null: the default stream).
  Status record(Stream *stream = nullptr) {
    return Status(
        prism_rt_event_record(handle, stream ? stream->get() : nullptr));
  }
  /// Waits for `end` and gives the milliseconds from `start` to it.
  static Status elapsed(const Event &start, const Event &end, float &ms) {
    return Status(prism_rt_event_elapsed_ms(start.get(), end.get(), &ms));
  }
};

class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(Context &ctx, size_t bytes) : ctx(ctx.get()), bytes(bytes) {
    status = Status(prism_rt_malloc(this->ctx, bytes, &ptr));
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept {
    if (this != &other) {
      prism_rt_free(ctx, ptr);
      ctx = std::exchange(other.ctx, nullptr);
      ptr = std::exchange(other.ptr, nullptr);
      bytes = std::exchange(other.bytes, 0);
      status = std::move(other.status);
    }
    return *this;
  }
  ~DeviceBuffer() { prism_rt_free(ctx, ptr); }

  /// A zero-byte buffer is ok and has a null pointer.
  bool ok() const { return ctx && status.ok(); }
  const std::string &error() const { return status.message; }
  void *get() const { return ptr; }
  size_t size() const { return bytes; }

  /// Copies `size()` bytes from `host`.
  Status upload(const void *host) {
    return Status(prism_rt_copy_to_device(ctx, ptr, host, bytes));
  }
  /// Copies `size()` bytes to `host`.
  Status download(void *host) const {
    return Status(prism_rt_copy_to_host(ctx, host, ptr, bytes));
  }
  Status copyFrom(const DeviceBuffer &other) {
    if (other.bytes != bytes)
      return Status(PRISM_RT_INVALID_ARGUMENT,
                    "copyFrom: source has " + std::to_string(other.bytes) +
                        " bytes, destination " + std::to_string(bytes));
    return Status(prism_rt_copy_device(ctx, ptr, other.ptr, bytes));
  }
  Status fill(unsigned char value) {
    return Status(prism_rt_memset(ctx, ptr, value, bytes));
  }

private:
  prism_rt_context *ctx = nullptr;
  void *ptr = nullptr;
  size_t bytes = 0;
  Status status;
};

class Program : public Owner<prism_rt_program, prism_rt_program_destroy> {
public:
  Program() = default;
  /// Loads `manifestPath` and the PTX module it names.
  Program(Context &ctx, const std::string &manifestPath) {
    status = Status(
        prism_rt_program_load_file(ctx.get(), manifestPath.c_str(), &handle));
  }
  /// Loads from text.
  static Program fromText(Context &ctx, const std::string &manifestJson,
                          const std::string &ptx) {
    Program program;
    program.status = Status(prism_rt_program_load(
        ctx.get(), manifestJson.c_str(), ptx.c_str(), &program.handle));
    return program;
  }

  /// Only valid when ok().
  const runtime::Manifest &manifest() const { return *programManifest(handle); }

  /// Launches with one pointer and shape per caller buffer
  /// (manifest().callerBuffers() order).
  Status launch(Stream *stream, const std::vector<void *> &pointers,
                const std::vector<std::vector<int64_t>> &shapes) {
    std::vector<const int64_t *> shapePtrs;
    std::vector<int> ranks;
    for (const std::vector<int64_t> &shape : shapes) {
      shapePtrs.push_back(shape.data());
      ranks.push_back(static_cast<int>(shape.size()));
    }
    if (pointers.size() != shapes.size())
      return Status(PRISM_RT_INVALID_ARGUMENT,
                    "launch: " + std::to_string(pointers.size()) +
                        " pointers but " + std::to_string(shapes.size()) +
                        " shapes");
    return Status(prism_rt_launch(handle, stream ? stream->get() : nullptr,
                                  static_cast<int>(pointers.size()),
                                  pointers.data(), shapePtrs.data(),
                                  ranks.data()));
  }
  /// The same with the caller buffers' device memory.
  Status launchBuffers(Stream *stream, const std::vector<DeviceBuffer> &buffers,
                       const std::vector<std::vector<int64_t>> &shapes) {
    std::vector<void *> pointers;
    for (const DeviceBuffer &buffer : buffers)
      pointers.push_back(buffer.get());
    return launch(stream, pointers, shapes);
  }
};

} // namespace rt
} // namespace prism

#endif // PRISM_RUNTIME_RUNTIME_HPP
