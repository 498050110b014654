// libFuzzer: one JSON-RPC line through the server, as a transport hands it over.
//
// The line is parsed (parse_message, with the modern envelope cache) and must parse to exactly
// what nlohmann::json::parse gives for the whole text; then a request goes through
// McpServer::handle_request in the era a transport would pick, on a server with tools of every
// argument shape, a prompt, a resource and a task manager. Nothing may crash, hang or leak, and
// every answer must be a JSON-RPC response with the request's id. The fast writer behind
// serialize() must write the parsed message exactly as nlohmann's dump does.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_server.hpp"
#include "server/json_rpc.hpp"

using namespace runagents::mcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static fuzz::Server* server = new fuzz::Server();  // one for the whole run, as in production
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  MessageLimits limits;
  limits.max_message_bytes = 1 << 20;
  ParseOutcome parsed = parse_message(text, limits);
  if (!parsed.message) return 0;
  // The envelope cache must not change what a message means.
  json whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_object() && whole.contains("params") &&
      whole["params"].is_object()) {
    json params = parsed.message->params;
    if (parsed.message->shared_meta) params["_meta"] = *parsed.message->shared_meta;
    if (params != whole["params"]) std::abort();
  }
  if (!whole.is_discarded() &&
      serialize(whole) != whole.dump(-1, ' ', false, json::error_handler_t::replace)) {
    std::abort();
  }
  server->answer(*parsed.message);
  return 0;
}
