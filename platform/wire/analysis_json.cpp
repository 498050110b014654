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

Analysis analysis_from_json(const json& j) {
  Analysis a;
  if (!j.is_object()) return a;
  a.entry_point = j.value("entry_point", "");
  a.has_handler = j.value("has_handler", false);
  a.handler_signature = j.value("handler_signature", "");
  a.framework = j.value("framework", "");
  for (const auto& t : j.value("tools", json::array()))
    a.tools.push_back(
        {t.value("name", ""), t.value("base_url", ""), t.value("file", ""), t.value("line", 0)});
  for (const auto& m : j.value("model_providers", json::array()))
    a.models.push_back(
        {m.value("provider", ""), m.value("model", ""), m.value("file", ""), m.value("line", 0)});
  for (const auto& s : j.value("secrets", json::array()))
    a.secrets.push_back(
        {s.value("type", ""), s.value("file", ""), s.value("line", 0), s.value("severity", "")});
  a.llm_libraries = j.value("llm_libraries", std::vector<std::string>{});
  a.requirements = j.value("detected_requirements", std::vector<std::string>{});
  a.outbound_destinations = j.value("outbound_destinations", std::vector<std::string>{});
  return a;
}

}  // namespace runagents::platform
