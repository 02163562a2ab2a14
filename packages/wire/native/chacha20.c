/*
 * ChaCha20 in place, through the OpenSSL that the running Node already
 * carries: a Node-API module with two functions.
 *
 *   open(key, iv)          -> a cipher context (key: 32 bytes; iv: 16 bytes,
 *                             the block counter as 4 little-endian bytes,
 *                             then the 12-byte nonce, as OpenSSL takes it)
 *   xor(context, in, out)  -> XORs `in` with the next in.length bytes of the
 *                             key stream into `out` (the same length; `out`
 *                             may be `in` itself)
 *
 * `node:crypto` answers every `update` in a new buffer (allocated twice,
 * zeroed, copied, collected later); this writes into the caller's array.
 * OpenSSL's symbols come from the Node binary at load time, so nothing is
 * linked here. The JavaScript side (`src/crypto/native-chacha20.ts`)
 * checks every argument before it calls; the checks below keep a wrong call
 * from ever touching memory it does not own.
 */
#define NAPI_VERSION 8
#include <limits.h>
#include <node_api.h>
#include <openssl/evp.h>

/* Marks the contexts this module made, so that no other external passes. */
static const napi_type_tag CONTEXT_TAG = {0x6d7963656c636861ULL, 0x6368613230637478ULL};

#define CALL(env, call)                                         \
  do {                                                          \
    if ((call) != napi_ok) {                                    \
      napi_throw_error((env), NULL, "a Node-API call failed");  \
      return NULL;                                              \
    }                                                           \
  } while (0)

/* The bytes of a Uint8Array (or Buffer); NULL with a TypeError thrown for anything else. */
static int bytes_of(napi_env env, napi_value value, const char *name, unsigned char **data, size_t *length) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  void *pointer = NULL;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  *data = pointer;
  return 1;
}

static void free_context(napi_env env, void *context, void *hint) {
  (void)env;
  (void)hint;
  EVP_CIPHER_CTX_free((EVP_CIPHER_CTX *)context);
}

/* The call's first `count` arguments into argv; 0 with a TypeError (`usage`) thrown when fewer came. */
static int arguments_of(napi_env env, napi_callback_info info, size_t count, napi_value *argv, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "a Node-API call failed");
    return 0;
  }
  if (argc < count) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

static napi_value open_context(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!arguments_of(env, info, 2, argv, "open(key, iv) takes two arguments")) return NULL;
  unsigned char *key, *iv;
  size_t key_length, iv_length;
  if (!bytes_of(env, argv[0], "key must be a Uint8Array", &key, &key_length)) return NULL;
  if (!bytes_of(env, argv[1], "iv must be a Uint8Array", &iv, &iv_length)) return NULL;
  if (key_length != 32 || iv_length != 16) {
    napi_throw_range_error(env, NULL, "the key must be 32 bytes and the iv 16");
    return NULL;
  }
  EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
  if (context == NULL || EVP_EncryptInit_ex(context, EVP_chacha20(), NULL, key, iv) != 1) {
    EVP_CIPHER_CTX_free(context);
    napi_throw_error(env, NULL, "OpenSSL could not set up ChaCha20");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, context, free_context, NULL, &external) != napi_ok) {
    EVP_CIPHER_CTX_free(context);
    napi_throw_error(env, NULL, "a Node-API call failed");
    return NULL;
  }
  CALL(env, napi_type_tag_object(env, external, &CONTEXT_TAG));
  return external;
}

static napi_value xor_into(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!arguments_of(env, info, 3, argv, "xor(context, input, output) takes three arguments")) return NULL;
  bool tagged = false;
  napi_valuetype kind;
  CALL(env, napi_typeof(env, argv[0], &kind));
  if (kind == napi_external) CALL(env, napi_check_object_type_tag(env, argv[0], &CONTEXT_TAG, &tagged));
  if (!tagged) {
    napi_throw_type_error(env, NULL, "context must come from open()");
    return NULL;
  }
  EVP_CIPHER_CTX *context;
  CALL(env, napi_get_value_external(env, argv[0], (void **)&context));
  unsigned char *input, *output;
  size_t input_length, output_length;
  if (!bytes_of(env, argv[1], "input must be a Uint8Array", &input, &input_length)) return NULL;
  if (!bytes_of(env, argv[2], "output must be a Uint8Array", &output, &output_length)) return NULL;
  if (input_length != output_length) {
    napi_throw_range_error(env, NULL, "output must be as long as input");
    return NULL;
  }
  /* EVP takes an int length: at most 1 GiB per call. */
  for (size_t done = 0; done < input_length;) {
    size_t left = input_length - done;
    int step = left > (1u << 30) ? (1 << 30) : (int)left;
    int written = 0;
    if (EVP_EncryptUpdate(context, output + done, &written, input + done, step) != 1 || written != step) {
      napi_throw_error(env, NULL, "OpenSSL's ChaCha20 failed");
      return NULL;
    }
    done += (size_t)step;
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_context, NULL, &function) != napi_ok ||
      napi_set_named_property(env, exports, "open", function) != napi_ok ||
      napi_create_function(env, "xor", NAPI_AUTO_LENGTH, xor_into, NULL, &function) != napi_ok ||
      napi_set_named_property(env, exports, "xor", function) != napi_ok) {
    return NULL;
  }
  return exports;
}
