// libFuzzer: the 2026-07-28 HTTP headers against a request body (server/http_headers.hpp).
//
// The input is split at the first two NUL bytes into an Mcp-Name header value, an Mcp-Param
// header value and the JSON body; the values are also tried as raw "=?base64?...?=" forms.
// decode_header_value and header_mismatch must never crash, and a header that repeats the body
// exactly must never be reported as a mismatch.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "server/http_headers.hpp"
#include "server/tool_registry.hpp"

using namespace runagents::mcp;

namespace {

const ToolDefinition& tool_with_header_param() {
  static const ToolDefinition tool = [] {
    ToolDefinition t;
    t.name = "routed";
    t.input_schema = json::parse(R"({"type":"object","properties":{"region":{"type":"string",
        "x-mcp-header":"Region"}}})");
    index_header_params(t);  // as ToolRegistry::add does
    return t;
  }();
  return tool;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\0');
  size_t b = a == std::string_view::npos ? a : in.find('\0', a + 1);
  std::string name(in.substr(0, a));
  std::string param(a == std::string_view::npos ? "" : in.substr(a + 1, b - a - 1));
  std::string body(b == std::string_view::npos ? "" : in.substr(b + 1));

  (void)decode_header_value(name);
  (void)decode_header_value("=?base64?" + param + "?=");

  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  Message m;
  m.kind = Message::Kind::request;
  m.id = 1;
  m.method = doc.contains("method") && doc["method"].is_string() ? doc["method"].get<std::string>()
                                                                 : std::string("tools/call");
  m.params = doc.contains("params") && doc["params"].is_object() ? doc["params"] : json::object();
  std::map<std::string, std::string> headers = {
      {"mcp-protocol-version", "2026-07-28"},
      {"mcp-method", m.method},
      {"mcp-name", name},
      {"mcp-param-region", param},
  };
  auto lookup = [&headers](const std::string& h) -> std::optional<std::string> {
    std::string lower;
    for (char c : h) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(lower);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  };
  (void)header_mismatch(m, lookup, &tool_with_header_param());
  (void)header_mismatch(m, lookup, nullptr);
  return 0;
}
