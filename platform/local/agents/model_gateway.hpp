// The local model gateway, in the OpenAI chat-completions format. `playground-llm` answers
// deterministically on this machine (for tests and offline use); other models go to the
// configured OpenAI-compatible endpoint, or fall back to the playground when none is configured.
#pragma once

#include <functional>
#include <string>

#include "platform/platform.hpp"

namespace runagents::platform::local {

struct ModelGatewayOptions {
  std::string base_url;  // e.g. https://api.openai.com/v1; empty: playground only
  std::string api_key;
};

// Answers a POST /v1/chat/completions body. Throws PlatformError: invalid for a body without
// messages, unavailable when the configured endpoint cannot be reached (message carries its
// status and detail, never the API key).
// `cancelled` (optional) ends a call to the endpoint in flight: PlatformError(cancelled).
json chat_completion(const json& request, const ModelGatewayOptions& options,
                     const std::function<bool()>& cancelled = {});

// The text of a chat message's `content`: a string, or the text parts of an array of parts.
std::string content_text(const json& content);

// The playground's answer to `request` (no I/O).
json playground_completion(const json& request);

}  // namespace runagents::platform::local
