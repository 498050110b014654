// OpenSSL's initialization, deferred from load time to the first use of TLS.
//
// cpp-httplib's library constructor (libcpp-httplib.so, built with OpenSSL) calls
// OPENSSL_init_ssl while the process loads, before main, whether or not the process will ever
// use TLS: that runs OpenSSL's start-up (configuration, providers, error strings) and leaves
// about 2 MB of libcrypto and heap mapped in a stdio server that never opens a TLS connection
// (15.1 -> 13.1 MB after load, docs/BENCHMARKS.md). OpenSSL 1.1 and later initialize themselves on
// the first call that needs it (SSL_CTX_new and the rest), so that call is not needed.
//
// This definition, in the executable, comes before libssl's in the dynamic linker's lookup, so
// cpp-httplib's call lands here. Until the executable's own constructors run (every shared
// library's constructors have run by then) it does nothing and reports success; from then on it
// hands every call to libssl's OPENSSL_init_ssl, so a caller that asks for particular options
// gets them. Only the runagents-mcp executable has it; the libraries do not.
#include <dlfcn.h>

#include <atomic>
#include <cstdint>

namespace {

std::atomic<bool> loading{true};

__attribute__((constructor)) void loaded() {
  loading = false;
}

using InitSsl = int (*)(uint64_t, const void*);

}  // namespace

extern "C" __attribute__((visibility("default"))) int OPENSSL_init_ssl(uint64_t opts,
                                                                       const void* settings) {
  if (loading) return 1;
  static const auto real = reinterpret_cast<InitSsl>(::dlsym(RTLD_NEXT, "OPENSSL_init_ssl"));
  return real ? real(opts, settings) : 0;
}
