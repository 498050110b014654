#include "server/http_headers.hpp"

#include <cmath>

#include "server/base64.hpp"
#include "server/protocol.hpp"

namespace runagents::mcp {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// The body value a routing header repeats, for the methods that have one.
std::optional<std::string> name_in_body(const Message& request) {
  const json& p = request.params;
  if (!p.is_object()) return std::nullopt;
  const char* key = nullptr;
  if (request.method == "tools/call" || request.method == "prompts/get") key = "name";
  if (request.method == "resources/read") key = "uri";
  if (request.method == "tasks/get" || request.method == "tasks/update" ||
      request.method == "tasks/cancel") {
    key = "taskId";
  }
  if (!key) return std::nullopt;
  auto it = p.find(key);
  if (it == p.end() || !it->is_string()) return std::string();
  return it->get<std::string>();
}

// Does header text `text` stand for the JSON value `value`? Numbers compare numerically.
bool same_value(const std::string& text, const json& value) {
  if (value.is_string()) return text == value.get<std::string>();
  if (value.is_boolean()) return text == (value.get<bool>() ? "true" : "false");
  if (value.is_number()) {
    try {
      size_t used = 0;
      double d = std::stod(text, &used);
      return used == text.size() && d == value.get<double>();
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> decode_header_value(const std::string& raw) {
  std::string v = trim(raw);
  const std::string open = "=?base64?", close = "?=";
  if (v.size() >= open.size() + close.size() && v.compare(0, open.size(), open) == 0 &&
      v.compare(v.size() - close.size(), close.size(), close) == 0) {
    return base64_decode(v.substr(open.size(), v.size() - open.size() - close.size()));
  }
  return v;
}

std::optional<std::string> header_mismatch(const Message& request, const HeaderLookup& header,
                                           const ToolDefinition* tool) {
  auto get = [&](const std::string& name) -> std::optional<std::string> {
    auto raw = header(name);
    if (!raw) return std::nullopt;
    auto decoded = decode_header_value(*raw);
    return decoded ? decoded : std::optional<std::string>("\x01invalid");
  };
  auto check = [&](const std::string& name,
                   const std::string& expected) -> std::optional<std::string> {
    auto got = get(name);
    if (!got) return "Missing header " + name + " (must be '" + expected + "')";
    if (*got == "\x01invalid") return "Header " + name + " has invalid =?base64?...?= encoding";
    if (*got != expected) {
      return "Header " + name + " is '" + *got + "' but the body says '" + expected + "'";
    }
    return std::nullopt;
  };

  // Looked up in place: the body is not copied (this runs on every modern HTTP request).
  static const json kNone = json::object();
  const json& params = request.params.is_object() ? request.params : kNone;
  const json* meta_object = request.meta();
  const json& meta = meta_object ? *meta_object : kNone;
  auto version_it = meta.find(meta_key::protocol_version);
  const std::string version =
      version_it != meta.end() && version_it->is_string() ? version_it->get<std::string>() : "";
  if (auto bad = check("MCP-Protocol-Version", version)) return bad;
  if (auto bad = check("Mcp-Method", request.method)) return bad;
  if (auto name = name_in_body(request)) {
    if (auto bad = check("Mcp-Name", *name)) return bad;
  }
  if (!tool || tool->header_params.empty()) return std::nullopt;

  // Tool parameters marked "x-mcp-header": "<Name>" travel as Mcp-Param-<Name> too.
  auto args_it = params.find("arguments");
  const json& args = args_it != params.end() ? *args_it : kNone;
  for (const auto& [param, name] : tool->header_params) {
    auto got = get(name);
    bool in_body = args.is_object() && args.contains(param) && !args[param].is_null();
    if (!in_body) {
      if (got) return "Header " + name + " is set but arguments." + param + " is absent";
      continue;
    }
    if (!got) return "Missing header " + name + " (arguments." + param + " is set)";
    if (*got == "\x01invalid") return "Header " + name + " has invalid =?base64?...?= encoding";
    if (!same_value(*got, args[param])) {
      return "Header " + name + " is '" + *got + "' but arguments." + param + " is " +
             args[param].dump();
    }
  }
  return std::nullopt;
}

}  // namespace runagents::mcp
