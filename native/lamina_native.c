/*
 * Lamina's optional native helpers for the format layer (see src/formats/native.ts).
 *
 * bloscDecode(src, dst, segments?): Promise<void> decodes a Blosc chunk with the system's
 * c-blosc (SIMD unshuffle, C LZ4/zstd/zlib) on libuv's thread pool, so chunks decode in
 * parallel off the JavaScript thread. Without `segments`, `dst` receives the whole chunk and
 * must be exactly its size. With `segments` (a Float64Array of [srcOffset, dstOffset, length]
 * triples, in bytes) the chunk is decoded into scratch memory and those ranges are copied into
 * `dst` on the same worker thread: the scatter of a chunk into a larger array runs in parallel
 * too.
 *
 * libblosc.so.1 is opened at load time with dlopen (Debian: libblosc1, which python3-zarr
 * pulls in); without it `bloscDecode` is absent and Lamina decodes Blosc in JavaScript.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* c-blosc 1.x API (stable since 1.0; blosc_cbuffer_validate since 1.16) */
typedef int (*validate_fn)(const void *cbuffer, size_t cbytes, size_t *nbytes);
typedef int (*decompress_fn)(const void *src, void *dest, size_t destsize, int numinternalthreads);
typedef const char *(*version_fn)(void);

static validate_fn blosc_validate = NULL;
static decompress_fn blosc_decompress = NULL;
static const char *blosc_version = NULL;

static void open_blosc(void) {
  void *lib = dlopen("libblosc.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return;
  validate_fn v = (validate_fn)dlsym(lib, "blosc_cbuffer_validate");
  decompress_fn d = (decompress_fn)dlsym(lib, "blosc_decompress_ctx");
  version_fn ver = (version_fn)dlsym(lib, "blosc_get_version_string");
  if (v == NULL || d == NULL || ver == NULL) return;
  blosc_validate = v;
  blosc_decompress = d;
  blosc_version = ver();
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref src_ref;
  napi_ref dst_ref;
  napi_ref segments_ref;
  const double *segments; /* NULL: decode straight into dst */
  size_t n_segments;
  const void *src;
  size_t src_len;
  void *dst;
  size_t dst_len;
  bool ok;
  char message[160];
} DecodeJob;

static void decode_execute(napi_env env, void *data) {
  (void)env;
  DecodeJob *job = (DecodeJob *)data;
  size_t nbytes = 0;
  if (job->src_len < 16 || blosc_validate(job->src, job->src_len, &nbytes) < 0) {
    snprintf(job->message, sizeof job->message, "blosc: not a valid Blosc chunk (%zu bytes; truncated or corrupted?)", job->src_len);
    return;
  }
  if (job->segments == NULL && nbytes != job->dst_len) {
    snprintf(job->message, sizeof job->message, "blosc: chunk holds %zu bytes, expected %zu", nbytes, job->dst_len);
    return;
  }
  for (size_t i = 0; i < job->n_segments; i++) {
    const double *seg = job->segments + 3 * i;
    if (!(seg[0] >= 0 && seg[1] >= 0 && seg[2] >= 0 && seg[0] + seg[2] <= (double)nbytes && seg[1] + seg[2] <= (double)job->dst_len)) {
      snprintf(job->message, sizeof job->message, "blosc: copy segment %zu lies outside the %zu-byte chunk or the output", i, nbytes);
      return;
    }
  }
  void *out = job->segments == NULL ? job->dst : malloc(nbytes > 0 ? nbytes : 1);
  if (out == NULL) {
    snprintf(job->message, sizeof job->message, "blosc: out of memory for a %zu-byte chunk", nbytes);
    return;
  }
  int n = blosc_decompress(job->src, out, nbytes, 1);
  if (n < 0 || (size_t)n != nbytes) {
    snprintf(job->message, sizeof job->message, "blosc: chunk failed to decompress (code %d; corrupted, or a codec this libblosc lacks)", n);
  } else {
    for (size_t i = 0; i < job->n_segments; i++) {
      const double *seg = job->segments + 3 * i;
      memcpy((char *)job->dst + (size_t)seg[1], (const char *)out + (size_t)seg[0], (size_t)seg[2]);
    }
    job->ok = true;
  }
  if (out != job->dst) free(out);
}

static void decode_complete(napi_env env, napi_status status, void *data) {
  DecodeJob *job = (DecodeJob *)data;
  napi_value result;
  if (status == napi_ok && job->ok) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message;
    napi_create_string_utf8(env, status == napi_ok ? job->message : "blosc: decode cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  napi_delete_reference(env, job->src_ref);
  napi_delete_reference(env, job->dst_ref);
  if (job->segments_ref != NULL) napi_delete_reference(env, job->segments_ref);
  napi_delete_async_work(env, job->work);
  free(job);
}

static bool typed_array(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return false;
  return type == expected;
}

static napi_value blosc_decode(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (blosc_decompress == NULL) {
    napi_throw_error(env, NULL, "blosc: libblosc.so.1 is not installed");
    return NULL;
  }
  DecodeJob *job = (DecodeJob *)calloc(1, sizeof(DecodeJob));
  if (job == NULL) {
    napi_throw_error(env, NULL, "blosc: out of memory");
    return NULL;
  }
  void *src = NULL, *segments = NULL;
  napi_valuetype third = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[2], &third);
  bool valid = argc >= 2 && typed_array(env, argv[0], napi_uint8_array, &src, &job->src_len) &&
               typed_array(env, argv[1], napi_uint8_array, &job->dst, &job->dst_len) &&
               (third == napi_undefined || (typed_array(env, argv[2], napi_float64_array, &segments, &job->n_segments) && job->n_segments % 3 == 0));
  if (!valid) {
    free(job);
    napi_throw_type_error(env, NULL, "blosc: bloscDecode(src: Uint8Array, dst: Uint8Array, segments?: Float64Array of triples)");
    return NULL;
  }
  job->src = src;
  job->segments = (const double *)segments;
  job->n_segments /= 3;
  /* keep the arrays alive while the thread pool works on them */
  napi_create_reference(env, argv[0], 1, &job->src_ref);
  napi_create_reference(env, argv[1], 1, &job->dst_ref);
  if (segments != NULL) napi_create_reference(env, argv[2], 1, &job->segments_ref);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "lamina.bloscDecode", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, decode_execute, decode_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  open_blosc();
  napi_value fn, version;
  if (blosc_decompress != NULL) {
    napi_create_function(env, "bloscDecode", NAPI_AUTO_LENGTH, blosc_decode, NULL, &fn);
    napi_set_named_property(env, exports, "bloscDecode", fn);
    napi_create_string_utf8(env, blosc_version, NAPI_AUTO_LENGTH, &version);
    napi_set_named_property(env, exports, "bloscVersion", version);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
