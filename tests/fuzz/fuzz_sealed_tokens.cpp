// libFuzzer: the decoders of tokens the server issued and the client sends back: a
// multi-round-trip requestState (RequestStateCodec::open) and a remote task id (RemoteTasks).
// Anything not sealed by this server must be refused with RpcError(-32602), never crash, and
// never reach the tool's ops.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/base64.hpp"
#include "server/request_state.hpp"
#include "server/tasks/remote_tasks.hpp"

using namespace runagents::mcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const RequestStateCodec codec(std::string(48, 'f'));
  static RemoteTaskOps ops = [] {
    RemoteTaskOps o;
    o.poll = [](const json&) -> RemoteTaskState { std::abort(); };  // never for a forged id
    o.cancel = [](const json&) { std::abort(); };
    return o;
  }();
  static const RemoteTasks tasks(
      codec, [](const std::string&) { return &ops; }, 3600000, 1000);

  const std::string token(reinterpret_cast<const char*>(data), size);
  for (const std::string& t : {token, std::string("rt.") + token}) {
    try {
      (void)codec.open(t, "tools/call\nx");
      std::abort();  // a forgery opened
    } catch (const RpcError& e) {
      if (e.code() != error_code::invalid_params) std::abort();
    }
    try {
      (void)tasks.get(t);
      std::abort();
    } catch (const RpcError& e) {
      if (e.code() != error_code::invalid_params) std::abort();
    }
  }
  (void)base64_decode(token);
  return 0;
}
