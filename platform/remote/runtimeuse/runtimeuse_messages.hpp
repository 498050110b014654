// The RuntimeUse wire messages this client writes and the fields it reads from the runtime's
// frames (getlark/runtimeuse v0.15.1; shared/reference/runloop-and-runtimeuse.md, B.5). Plain
// functions, no state: the session that sends and reads them is runtimeuse_client.cpp. Internal
// to platform/remote/runtimeuse.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "platform/queries.hpp"
#include "platform/remote/runtimeuse/runtimeuse_client.hpp"

namespace runagents::platform::remote::runtimeuse {

using json = nlohmann::json;

// JSON text that never throws on invalid UTF-8 (it is replaced).
std::string dump(const json& j);

// A frame's field as text: a string as it is, null or absent as "", anything else as JSON.
std::string string_field(const json& j, const char* name);

// The invocation_message of `request` (every field; secrets_to_redact always an array), the
// options' defaults standing in for an empty system prompt and model.
json invocation_message(const QueryRequest& request, const RuntimeUseOptions& options,
                        const std::string& source_id);

// The answer to an artifact_upload_request_message: where to PUT the file.
json upload_response_message(const std::string& filename, const std::string& filepath,
                             const std::string& presigned_url, const std::string& content_type);

// end_session_message and cancel_message.
json control_message(const char* message_type);

// An assistant_message's text_blocks joined by newlines (a block that is not a string as JSON).
std::string assistant_text(const json& frame);

// What a result_message answered: "text" (text), "structured_output" (structured), or "error"
// (error, with the unexpected data) for a data of an unknown type.
struct ResultFrame {
  std::string result_type;
  std::string text;
  json structured;
  std::string error;
  json data;  // the frame's data, kept for an unknown type
};
ResultFrame read_result_message(const json& frame);

// The last path component of `path`.
std::string basename_of(const std::string& path);

}  // namespace runagents::platform::remote::runtimeuse
