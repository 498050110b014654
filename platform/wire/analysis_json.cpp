#include "platform/wire/analysis_json.hpp"

namespace runagents::platform {

json analysis_to_json(const Analysis& a) {
  json tools = json::array(), models = json::array(), secrets = json::array();
  for (const auto& t : a.tools)
    tools.push_back(
        {{"name", t.name}, {"base_url", t.base_url}, {"file", t.file}, {"line", t.line}});
  for (const auto& m : a.models)
    models.push_back(
        {{"provider", m.provider}, {"model", m.model}, {"file", m.file}, {"line", m.line}});
  for (const auto& s : a.secrets)
    secrets.push_back(
        {{"type", s.type}, {"file", s.file}, {"line", s.line}, {"severity", s.severity}});
  return {{"entry_point", a.entry_point},
          {"has_handler", a.has_handler},
          {"handler_signature", a.handler_signature},
          {"framework", a.framework},
          {"tools", tools},
          {"llm_libraries", a.llm_libraries},
          {"model_providers", models},
          {"secrets", secrets},
          {"detected_requirements", a.requirements},
          {"outbound_destinations", a.outbound_destinations}};
}

}  // namespace runagents::platform
