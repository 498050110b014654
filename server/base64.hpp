// Standard base64 (RFC 4648, padded), backed by OpenSSL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace runagents::mcp {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace runagents::mcp
