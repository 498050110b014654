// JSON-RPC 2.0 framing for MCP: parsing one message with limits, and building replies.
//
// parse_message never throws and never crashes on any input: malformed JSON, invalid UTF-8,
// oversized or deeply nested text, arrays (batches), or wrongly typed members all yield an error
// reply the transport sends back (or nothing, when the input was an unaddressable notification).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace runagents::mcp {

using json = nlohmann::json;

namespace error_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
// MCP: resources/read of an unknown URI (legacy era).
inline constexpr int resource_not_found = -32002;
// MCP 2026-07-28: an HTTP header disagrees with the body, or a required one is missing.
inline constexpr int header_mismatch = -32020;
// MCP 2026-07-28: the request needs a client capability its _meta did not declare.
inline constexpr int missing_client_capability = -32021;
// MCP 2026-07-28: the request's protocol version is not one we speak.
inline constexpr int unsupported_protocol_version = -32022;
}  // namespace error_code

// Limits applied to every incoming message, on every transport.
struct MessageLimits {
  size_t max_message_bytes = 16 * 1024 * 1024;
  size_t max_depth = 64;
};

// One well-formed JSON-RPC message.
struct Message {
  enum class Kind { request, notification, response };
  Kind kind = Kind::notification;
  json id;             // requests and responses: a string or an integer
  std::string method;  // requests and notifications
  json params;         // object or null
  json result;         // responses: the result (null when error is set)
  json error;          // responses: the error object (null on success)
  // params._meta when the envelope cache supplied it: one value shared by every request that
  // sent the same text, and then params itself holds no "_meta" member. Read _meta with meta().
  std::shared_ptr<const json> shared_meta;

  bool has_error() const { return !error.is_null(); }
  // params._meta, from either place, or nullptr when the request has none (or it is not an
  // object).
  const json* meta() const;
};

// Either a message, or the error reply to send for input that is not one (error_reply is unset
// when the input was a notification-shaped message that must get no reply at all).
struct ParseOutcome {
  std::optional<Message> message;
  std::optional<json> error_reply;
};

ParseOutcome parse_message(std::string_view text, const MessageLimits& limits);

// Deepest nesting of arrays/objects in `text`, counted without parsing (strings are skipped);
// stops counting once `stop_above` is exceeded.
size_t json_nesting_depth(std::string_view text, size_t stop_above);

json make_result(const json& id, json result);
json make_error(const json& id, int code, std::string message, json data = nullptr);
json make_notification(std::string method, json params);

// params[key] as a string; throws RpcError(-32602) "<method> needs params.<key> (a string)".
const std::string& required_string(const json& params, const char* key, const std::string& method);

// Compact one-line serialization; invalid UTF-8 in strings is replaced, never thrown on.
std::string serialize(const json& message);

// Thrown by method handlers to answer with a JSON-RPC error.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, std::string message, json data = nullptr)
      : std::runtime_error(std::move(message)), code_(code), data_(std::move(data)) {}
  int code() const { return code_; }
  const json& data() const { return data_; }

 private:
  int code_;
  json data_;
};

}  // namespace runagents::mcp
