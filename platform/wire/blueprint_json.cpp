#include "platform/wire/blueprint_json.hpp"

#include <string>

#include "platform/wire/devbox_json.hpp"

namespace runagents::platform {

namespace {

// A string field of a create body: absent or null is "", anything but a string is refused.
std::string body_text(const json& b, const char* field) {
  auto it = b.find(field);
  if (it == b.end() || it->is_null()) return {};
  if (!it->is_string())
    throw PlatformError(ErrorKind::invalid, std::string(field) + " must be a string");
  return it->get<std::string>();
}

}  // namespace

json blueprint_parameters_to_wire(const BlueprintParameters& p, bool with_tokens) {
  json v = {{"name", p.name}};
  if (!p.dockerfile.empty()) v["dockerfile"] = p.dockerfile;
  if (!p.system_setup_commands.empty()) v["system_setup_commands"] = p.system_setup_commands;
  if (!p.file_mounts.empty()) v["file_mounts"] = p.file_mounts;
  if (!p.code_mounts.empty()) {
    v["code_mounts"] = json::array();
    for (const auto& m : p.code_mounts) {
      json cm = code_mount_to_wire(m);
      if (!with_tokens) cm.erase("token");
      v["code_mounts"].push_back(std::move(cm));
    }
  }
  if (p.launch_parameters) v["launch_parameters"] = launch_to_wire(*p.launch_parameters, false);
  if (!p.base_blueprint_id.empty()) v["base_blueprint_id"] = p.base_blueprint_id;
  if (!p.base_blueprint_name.empty()) v["base_blueprint_name"] = p.base_blueprint_name;
  if (!p.build_args.empty()) v["build_args"] = p.build_args;
  if (!p.build_context_object_id.empty())
    v["build_context"] = {{"object_id", p.build_context_object_id}, {"type", "object"}};
  if (!p.metadata.empty()) v["metadata"] = p.metadata;
  if (!p.secrets.empty()) v["secrets"] = p.secrets;
  return v;
}

BlueprintParameters blueprint_parameters_from_wire(const json& b) {
  if (!b.is_object()) throw PlatformError(ErrorKind::invalid, "the body must be a JSON object");
  BlueprintParameters p;
  p.name = body_text(b, "name");
  p.dockerfile = body_text(b, "dockerfile");
  if (auto it = b.find("system_setup_commands"); it != b.end() && !it->is_null()) {
    if (!it->is_array())
      throw PlatformError(ErrorKind::invalid, "system_setup_commands must be an array of strings");
    for (const auto& c : *it) {
      if (!c.is_string())
        throw PlatformError(ErrorKind::invalid,
                            "system_setup_commands must be an array of strings");
      p.system_setup_commands.push_back(c.get<std::string>());
    }
  }
  p.file_mounts = wire_string_map(b, "file_mounts");
  DevboxCreateRequest mounts;  // code_mounts and mounts, in the devbox create body's shapes
  mounts_from_wire(b, mounts);
  p.code_mounts = std::move(mounts.code_mounts);
  for (auto& [path, content] : mounts.file_mounts) p.file_mounts[path] = std::move(content);
  if (auto it = b.find("launch_parameters"); it != b.end() && !it->is_null()) {
    if (!it->is_object())
      throw PlatformError(ErrorKind::invalid, "launch_parameters must be an object");
    p.launch_parameters = launch_from_wire(*it, nullptr);
  }
  p.base_blueprint_id = body_text(b, "base_blueprint_id");
  p.base_blueprint_name = body_text(b, "base_blueprint_name");
  p.build_args = wire_string_map(b, "build_args");
  if (auto it = b.find("build_context"); it != b.end() && !it->is_null()) {
    if (!it->is_object() || wire_text(*it, "object_id").empty() ||
        (it->contains("type") && wire_text(*it, "type") != "object"))
      throw PlatformError(ErrorKind::invalid,
                          "build_context must be {object_id, type: \"object\"} naming a storage "
                          "object (a tar or tgz archive)");
    p.build_context_object_id = wire_text(*it, "object_id");
  }
  p.metadata = wire_string_map(b, "metadata");
  p.secrets = wire_string_map(b, "secrets");
  return p;
}

json blueprint_to_wire(const Blueprint& bp) {
  json v = {{"id", bp.id},
            {"name", bp.name},
            {"create_time_ms", bp.create_time_ms},
            {"parameters", blueprint_parameters_to_wire(bp.parameters, false)},
            {"state", bp.state},
            {"status", bp.status},
            {"metadata", bp.metadata},
            {"is_public", false}};
  v["failure_reason"] = bp.failure_reason.empty() ? json(nullptr) : json(bp.failure_reason);
  v["build_finish_time_ms"] =
      bp.build_finish_time_ms ? json(*bp.build_finish_time_ms) : json(nullptr);
  v["base_blueprint_id"] =
      bp.base_blueprint_id.empty() ? json(nullptr) : json(bp.base_blueprint_id);
  return v;
}

Blueprint blueprint_from_wire(const json& v) {
  Blueprint bp;
  if (!v.is_object()) return bp;
  bp.id = wire_text(v, "id");
  bp.name = wire_text(v, "name");
  if (auto it = v.find("create_time_ms"); it != v.end() && it->is_number())
    bp.create_time_ms = it->get<std::int64_t>();
  if (auto it = v.find("parameters"); it != v.end() && it->is_object()) {
    try {
      bp.parameters = blueprint_parameters_from_wire(*it);
    } catch (const PlatformError&) {
      bp.parameters.name = wire_text(*it, "name");  // a view is read tolerantly
    }
  }
  bp.state = wire_text(v, "state");
  bp.status = wire_text(v, "status");
  bp.failure_reason = wire_text(v, "failure_reason");
  if (auto it = v.find("build_finish_time_ms"); it != v.end() && it->is_number())
    bp.build_finish_time_ms = it->get<std::int64_t>();
  bp.base_blueprint_id = wire_text(v, "base_blueprint_id");
  if (auto it = v.find("metadata"); it != v.end() && it->is_object())
    for (const auto& [k, m] : it->items())
      if (m.is_string()) bp.metadata[k] = m.get<std::string>();
  return bp;
}

json blueprint_page_to_wire(const BlueprintPage& page) {
  json items = json::array();
  for (const auto& bp : page.blueprints) items.push_back(blueprint_to_wire(bp));
  return {{"blueprints", items}, {"has_more", page.has_more}};
}

BlueprintPage blueprint_page_from_wire(const json& v) {
  BlueprintPage page;
  if (!v.is_object()) return page;
  if (auto it = v.find("blueprints"); it != v.end() && it->is_array())
    for (const auto& bp : *it) page.blueprints.push_back(blueprint_from_wire(bp));
  if (auto it = v.find("has_more"); it != v.end() && it->is_boolean()) page.has_more = *it;
  return page;
}

json blueprint_logs_to_wire(const std::string& blueprint_id,
                            const std::vector<BlueprintLog>& logs) {
  json items = json::array();
  for (const auto& l : logs)
    items.push_back({{"level", l.level},
                     {"message", to_valid_utf8(l.message)},
                     {"timestamp_ms", l.timestamp_ms}});
  return {{"blueprint_id", blueprint_id}, {"logs", items}};
}

std::vector<BlueprintLog> blueprint_logs_from_wire(const json& v) {
  std::vector<BlueprintLog> out;
  if (!v.is_object() || !v.contains("logs") || !v["logs"].is_array()) return out;
  for (const auto& l : v["logs"]) {
    if (!l.is_object()) continue;
    BlueprintLog line;
    line.level = wire_text(l, "level");
    line.message = wire_text(l, "message");
    if (auto it = l.find("timestamp_ms"); it != l.end() && it->is_number())
      line.timestamp_ms = it->get<std::int64_t>();
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace runagents::platform
