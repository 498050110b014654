#include "server/json_rpc.hpp"

#include <optional>
#include <string>

#include "platform/common/utf8.hpp"
#include "server/envelope_cache.hpp"
#include "server/json_writer.hpp"

namespace runagents::mcp {

size_t json_nesting_depth(std::string_view text, size_t stop_above) {
  return scan_message(text, stop_above).depth;
}

namespace {

bool valid_id(const json& id) {
  return id.is_string() || id.is_number_integer();
}

ParseOutcome reply(const json& id, int code, std::string message, json data = nullptr) {
  ParseOutcome out;
  out.error_reply = make_error(id, code, std::move(message), std::move(data));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a "\uXXXX" escape starting at text[i] (the backslash), or -1.
int escaped_unit(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = hex_value(text[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// A copy of `text` in which, inside string literals only, lone UTF-16 surrogate escapes and
// invalid UTF-8 bytes are replaced with U+FFFD; nullopt when there was nothing to replace. A
// JavaScript client that cuts a string in the middle of an emoji sends a lone "\ud83d": the
// request should still be answered, with its own id.
std::optional<std::string> replace_bad_sequences(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false, changed = false;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '\\') {
      int unit = escaped_unit(text, i);
      if (unit >= 0xd800 && unit <= 0xdbff) {
        int next = escaped_unit(text, i + 6);
        if (next >= 0xdc00 && next <= 0xdfff) {
          out.append(text.substr(i, 12));
          i += 12;
          continue;
        }
      }
      if (unit >= 0xd800 && unit <= 0xdfff) {
        out += "\\ufffd";
        i += 6;
        changed = true;
        continue;
      }
      out.append(text.substr(i, std::min<size_t>(2, text.size() - i)));
      i += 2;
      continue;
    }
    size_t n = common::utf8_sequence(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
      changed = true;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  if (!changed) return std::nullopt;
  return out;
}

// The message parsed, with a modern request's params._meta taken from the envelope cache when
// the same text was parsed before (server/envelope_cache.hpp); discarded when it is not JSON.
// On a cache hit, `shared_meta` is set and doc.params holds no _meta member (Message::meta()
// puts the two back together); the cached value is shared, never copied.
json parse_document(std::string_view text, const std::optional<TextSpan>& span,
                    std::shared_ptr<const json>& shared_meta) {
  static EnvelopeCache envelopes;
  if (!span) return json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::string_view meta_text = text.substr(span->begin, span->end - span->begin);
  if (auto meta = envelopes.find(meta_text)) {
    std::string rest;
    rest.reserve(text.size() - meta_text.size() + 2);
    rest.append(text.substr(0, span->begin)).append("{}").append(text.substr(span->end));
    json doc = json::parse(rest, nullptr, false);
    if (!doc.is_discarded()) {
      doc["params"].erase("_meta");
      shared_meta = std::move(meta);
      return doc;
    }
  }
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_discarded()) envelopes.remember(meta_text, doc["params"]["_meta"]);
  return doc;
}

}  // namespace

ParseOutcome parse_message(std::string_view text, const MessageLimits& limits) {
  if (text.size() > limits.max_message_bytes) {
    return reply(nullptr, error_code::invalid_request,
                 "Message of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                     std::to_string(limits.max_message_bytes) +
                     " bytes (raise it with --max-message-bytes)",
                 {{"limit", limits.max_message_bytes}, {"size", text.size()}});
  }
  const MessageScan scan = scan_message(text, limits.max_depth);
  if (scan.depth > limits.max_depth) {
    return reply(nullptr, error_code::invalid_request,
                 "Message nesting exceeds the limit of " + std::to_string(limits.max_depth) +
                     " levels (raise it with --max-depth)",
                 {{"limit", limits.max_depth}});
  }
  std::shared_ptr<const json> shared_meta;
  json doc = parse_document(text, scan.meta, shared_meta);
  if (doc.is_discarded()) {
    // Valid JSON but for broken text inside strings: answered, with U+FFFD in their place.
    if (auto repaired = replace_bad_sequences(text)) doc = json::parse(*repaired, nullptr, false);
  }
  if (doc.is_discarded()) {
    return reply(nullptr, error_code::parse_error,
                 "Parse error: the message is not valid JSON (or not valid UTF-8)");
  }
  if (doc.is_array()) {
    return reply(nullptr, error_code::invalid_request,
                 "Invalid Request: JSON-RPC batches are not supported (removed in MCP 2025-06-18); "
                 "send one message at a time");
  }
  if (!doc.is_object()) {
    return reply(nullptr, error_code::invalid_request,
                 "Invalid Request: a JSON-RPC message must be a JSON object");
  }
  const json id = doc.contains("id") ? doc["id"] : json();
  const json reply_id = valid_id(id) ? id : json();
  auto jsonrpc = doc.find("jsonrpc");
  if (jsonrpc == doc.end() || *jsonrpc != "2.0") {
    return reply(reply_id, error_code::invalid_request,
                 "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  }
  if (doc.contains("id") && !valid_id(id)) {
    return reply(nullptr, error_code::invalid_request,
                 "Invalid Request: \"id\" must be a string or an integer");
  }

  Message msg;
  auto method = doc.find("method");
  if (method != doc.end()) {
    if (!method->is_string()) {
      return reply(reply_id, error_code::invalid_request,
                   "Invalid Request: \"method\" must be a string");
    }
    msg.method = method->get<std::string>();
    msg.kind = doc.contains("id") ? Message::Kind::request : Message::Kind::notification;
    msg.id = id;
    auto params = doc.find("params");
    if (params != doc.end() && !params->is_null()) {
      if (!params->is_object()) {
        if (msg.kind == Message::Kind::notification) return {};  // nothing to reply to
        return reply(reply_id, error_code::invalid_params,
                     "Invalid params: \"params\" must be an object");
      }
      msg.params = std::move(*params);
      msg.shared_meta = std::move(shared_meta);
    }
    ParseOutcome out;
    out.message = std::move(msg);
    return out;
  }

  // A response to one of our requests.
  const bool has_result = doc.contains("result"), has_error = doc.contains("error");
  if (!doc.contains("id") || has_result == has_error) {
    return reply(reply_id, error_code::invalid_request,
                 "Invalid Request: expected \"method\" (a request or notification) or \"id\" with "
                 "exactly one of \"result\" and \"error\" (a response)");
  }
  msg.kind = Message::Kind::response;
  msg.id = id;
  if (has_result) msg.result = std::move(doc["result"]);
  if (has_error) msg.error = doc["error"].is_null() ? json::object() : std::move(doc["error"]);
  ParseOutcome out;
  out.message = std::move(msg);
  return out;
}

const json* Message::meta() const {
  if (shared_meta) return shared_meta.get();
  if (!params.is_object()) return nullptr;
  auto it = params.find("_meta");
  return it != params.end() && it->is_object() ? &*it : nullptr;
}

json make_result(const json& id, json result) {
  // Member by member: every answer goes through here, and an initializer list builds a
  // two-element array per member first.
  json out = json::object();
  auto& members = out.get_ref<json::object_t&>();
  members.emplace("jsonrpc", "2.0");
  members.emplace("id", id);
  members.emplace("result", std::move(result));
  return out;
}

json make_error(const json& id, int code, std::string message, json data) {
  json error = {{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) error["data"] = std::move(data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

const std::string& required_string(const json& params, const char* key, const std::string& method) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_string()) {
    throw RpcError(error_code::invalid_params, method + " needs params." + key + " (a string)");
  }
  return it->get_ref<const std::string&>();
}

json make_notification(std::string method, json params) {
  json n = {{"jsonrpc", "2.0"}, {"method", std::move(method)}};
  if (!params.is_null()) n["params"] = std::move(params);
  return n;
}

std::string serialize(const json& message) {
  std::string out;
  out.reserve(256);
  write_json(out, message);
  return out;
}

}  // namespace runagents::mcp
