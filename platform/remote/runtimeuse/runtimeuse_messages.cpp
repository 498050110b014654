#include "platform/remote/runtimeuse/runtimeuse_messages.hpp"

namespace runagents::platform::remote::runtimeuse {

namespace {

json commands_json(const std::vector<QueryCommand>& commands) {
  if (commands.empty()) return nullptr;
  json out = json::array();
  for (const auto& c : commands) {
    json env = nullptr;
    if (!c.env.empty()) {
      env = json::object();
      for (const auto& [k, v] : c.env) env[k] = v;
    }
    out.push_back({{"command", c.command},
                   {"cwd", c.cwd.empty() ? json(nullptr) : json(c.cwd)},
                   {"env", env}});
  }
  return out;
}

}  // namespace

// JSON text that never throws on invalid UTF-8 (it is replaced).
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string string_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : dump(*it);
}

json invocation_message(const QueryRequest& r, const RuntimeUseOptions& o,
                        const std::string& source_id) {
  json downloads = nullptr;
  if (!r.downloadables.empty()) {
    downloads = json::array();
    for (const auto& d : r.downloadables)
      downloads.push_back({{"download_url", d.download_url}, {"working_dir", d.working_dir}});
  }
  json secrets = json::array();  // always an array: the runtime crashes on null (B.9.6)
  for (const auto& s : r.secrets)
    if (!s.empty()) secrets.push_back(s);
  json schema = nullptr;
  if (r.output_schema) schema = dump(json{{"type", "json_schema"}, {"schema", *r.output_schema}});
  return {
      {"message_type", "invocation_message"},
      {"source_id", source_id},
      {"system_prompt", r.system_prompt.empty() ? o.default_system_prompt : r.system_prompt},
      {"user_prompt", r.prompt},
      {"model", r.model.empty() ? o.default_model : r.model},
      {"agent_env", nullptr},
      {"output_format_json_schema_str", schema},
      {"secrets_to_redact", secrets},
      {"artifacts_dirs", r.artifacts_dir.empty() ? json(nullptr) : json::array({r.artifacts_dir})},
      {"artifacts_ignore_content", nullptr},
      {"pre_agent_invocation_commands", commands_json(r.pre_commands)},
      {"post_agent_invocation_commands", commands_json(r.post_commands)},
      {"pre_agent_downloadables", downloads},
  };
}

std::string basename_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

json upload_response_message(const std::string& filename, const std::string& filepath,
                             const std::string& presigned_url, const std::string& content_type) {
  return {{"message_type", "artifact_upload_response_message"},
          {"filename", filename},
          {"filepath", filepath},
          {"presigned_url", presigned_url},
          {"content_type", content_type}};
}

json control_message(const char* message_type) {
  return {{"message_type", message_type}};
}

std::string assistant_text(const json& frame) {
  std::string joined;
  if (auto it = frame.find("text_blocks"); it != frame.end() && it->is_array()) {
    for (const auto& block : *it) {
      if (!joined.empty()) joined += '\n';
      joined += block.is_string() ? block.get<std::string>() : dump(block);
    }
  }
  return joined;
}

ResultFrame read_result_message(const json& frame) {
  ResultFrame r;
  r.data = frame.value("data", json());
  const std::string type = r.data.is_object() ? string_field(r.data, "type") : "";
  if (type == "text") {
    r.result_type = "text";
    r.text = string_field(r.data, "text");
  } else if (type == "structured_output") {
    r.result_type = "structured_output";
    r.structured = r.data.value("structured_output", json());
  } else if (r.data.is_string()) {
    r.result_type = "text";
    r.text = r.data.get<std::string>();
  } else {
    r.result_type = "error";
    r.error = "the runtime answered with a result of an unknown type ('" + type +
              "'); expected text or structured_output";
  }
  return r;
}

}  // namespace runagents::platform::remote::runtimeuse
