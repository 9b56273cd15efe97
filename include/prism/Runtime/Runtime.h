/*===- Runtime.h - prism GPU runtime, C API ---------------------*- C -*-===*\
|*                                                                            *|
|* Loads a compiled program (manifest + PTX) and launches it through the CUDA *|
|* driver API, which is loaded at run time: nothing here needs MLIR or the    *|
|* CUDA toolkit, and a machine without a GPU gets PRISM_RT_NO_DEVICE from     *|
|* prism_rt_init rather than a failure to start.                              *|
|*                                                                            *|
|* Every function returns a status and never aborts; on failure,              *|
|* prism_rt_last_error() describes what went wrong (per thread). Errors from  *|
|* the driver name the call, the CUresult and, for launches, the kernel.      *|
|*                                                                            *|
|* Memory copies use the legacy default stream, and streams are created       *|
|* blocking with respect to it, so copies are ordered with launches on any    *|
|* of this API's streams. Copies to the host return when the data is there.   *|
|*                                                                            *|
|* Objects made from a context (programs, streams, events, device memory)     *|
|* must be released before the context.                                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef PRISM_RUNTIME_RUNTIME_H
#define PRISM_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum prism_rt_status {
  PRISM_RT_SUCCESS = 0,
  /** A null or inconsistent argument; nothing was sent to the GPU. */
  PRISM_RT_INVALID_ARGUMENT = 1,
  /** libcuda.so.1 is not installed, or the machine has no CUDA device. */
  PRISM_RT_NO_DEVICE = 2,
  /** A driver call failed (including JIT errors and device memory). */
  PRISM_RT_CUDA_ERROR = 3,
  /** The manifest is malformed or does not fit this runtime/device. */
  PRISM_RT_MANIFEST_ERROR = 4,
  /** A file could not be read. */
  PRISM_RT_IO_ERROR = 5,
  /** Host memory ran out. */
  PRISM_RT_OUT_OF_MEMORY = 6
} prism_rt_status;

typedef struct prism_rt_context prism_rt_context;
typedef struct prism_rt_program prism_rt_program;
typedef struct prism_rt_stream prism_rt_stream;
typedef struct prism_rt_event prism_rt_event;

/** "PRISM_RT_SUCCESS", ... */
const char *prism_rt_status_name(prism_rt_status status);

/** The message of the last failed call on this thread ("" if none). Valid
 *  until the next failing call on this thread. */
const char *prism_rt_last_error(void);

/*===--------------------------------------------------------------------===*
 * Context
 *===--------------------------------------------------------------------===*/

/** Retains the primary context of device `device` (cuInit, cuDeviceGet,
 *  cuDevicePrimaryCtxRetain, cuCtxSetCurrent). */
prism_rt_status prism_rt_init(int device, prism_rt_context **out);
/** Releases the primary context; null is accepted. */
prism_rt_status prism_rt_context_destroy(prism_rt_context *ctx);
/** The device's name (e.g. "NVIDIA H200"), or null for a null context. */
const char *prism_rt_device_name(const prism_rt_context *ctx);
/** Waits for all work on the device (cuCtxSynchronize). */
prism_rt_status prism_rt_synchronize(prism_rt_context *ctx);

/*===--------------------------------------------------------------------===*
 * Programs
 *===--------------------------------------------------------------------===*/

/** Parses the manifest, JIT-compiles the PTX (the JIT error log is in the
 *  message on failure), finds every kernel and raises each kernel's dynamic
 *  shared memory limit where the manifest asks for more than 48 KiB. */
prism_rt_status prism_rt_program_load(prism_rt_context *ctx,
                                      const char *manifest_json,
                                      const char *ptx, prism_rt_program **out);
/** The same from a manifest file; the PTX is the manifest's "module",
 *  relative to the manifest's directory. */
prism_rt_status prism_rt_program_load_file(prism_rt_context *ctx,
                                           const char *manifest_path,
                                           prism_rt_program **out);
/** Unloads the module and frees the workspaces; null is accepted. */
prism_rt_status prism_rt_program_destroy(prism_rt_program *program);
/** The number of buffers a launch takes (the manifest's inputs and outputs),
 *  or -1 for a null program. */
int prism_rt_program_num_buffers(const prism_rt_program *program);

/** Launches the program's kernels in order on `stream` (null: the default
 *  stream). The arrays have one entry per caller buffer in manifest order
 *  (workspaces excluded: the runtime allocates them per program, growing as
 *  needed, so launches of one program must not run concurrently).
 *  `shapes[i]` has `ranks[i]` row-major dimensions. A null pointer is only
 *  accepted for a buffer with zero elements. Every argument is checked before
 *  anything is enqueued; kernels whose grid or block is empty (e.g. T = 0)
 *  are skipped. Returns once the kernels are enqueued. */
prism_rt_status prism_rt_launch(prism_rt_program *program,
                                prism_rt_stream *stream, int num_buffers,
                                void *const *device_ptrs,
                                const int64_t *const *shapes, const int *ranks);

/*===--------------------------------------------------------------------===*
 * Device memory
 *===--------------------------------------------------------------------===*/

/** Allocates `bytes` of device memory; 0 bytes gives a null pointer. */
prism_rt_status prism_rt_malloc(prism_rt_context *ctx, size_t bytes,
                                void **ptr);
/** Frees device memory; null is accepted. */
prism_rt_status prism_rt_free(prism_rt_context *ctx, void *ptr);
/** Sets `bytes` bytes to `value` (cuMemsetD8). */
prism_rt_status prism_rt_memset(prism_rt_context *ctx, void *ptr,
                                unsigned char value, size_t bytes);
prism_rt_status prism_rt_copy_to_device(prism_rt_context *ctx, void *dst,
                                        const void *src, size_t bytes);
prism_rt_status prism_rt_copy_to_host(prism_rt_context *ctx, void *dst,
                                      const void *src, size_t bytes);
prism_rt_status prism_rt_copy_device(prism_rt_context *ctx, void *dst,
                                     const void *src, size_t bytes);

/*===--------------------------------------------------------------------===*
 * Streams and events
 *===--------------------------------------------------------------------===*/

prism_rt_status prism_rt_stream_create(prism_rt_context *ctx,
                                       prism_rt_stream **out);
/** Wraps a CUstream made elsewhere (e.g. PyTorch's current stream) without
 *  taking ownership: prism_rt_stream_destroy frees only the wrapper. The
 *  stream must belong to the context's device (its primary context, which
 *  the CUDA runtime shares); null is the legacy default stream. */
prism_rt_status prism_rt_stream_wrap(prism_rt_context *ctx, void *cu_stream,
                                     prism_rt_stream **out);
/** Null is accepted. */
prism_rt_status prism_rt_stream_destroy(prism_rt_stream *stream);
/** Waits for the stream's work (null: the default stream). */
prism_rt_status prism_rt_stream_synchronize(prism_rt_context *ctx,
                                            prism_rt_stream *stream);

/** A timing event. */
prism_rt_status prism_rt_event_create(prism_rt_context *ctx,
                                      prism_rt_event **out);
/** Null is accepted. */
prism_rt_status prism_rt_event_destroy(prism_rt_event *event);
/** Records the event on `stream` (null: the default stream). */
prism_rt_status prism_rt_event_record(prism_rt_event *event,
                                      prism_rt_stream *stream);
/** Waits for `end`, then gives the milliseconds between the two events. */
prism_rt_status prism_rt_event_elapsed_ms(prism_rt_event *start,
                                          prism_rt_event *end, float *ms);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PRISM_RUNTIME_RUNTIME_H */
