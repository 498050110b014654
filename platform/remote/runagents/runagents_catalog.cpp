// The RunAgents tools, model providers and policies services (runagents_client.hpp has the wire
// contract).
#include <algorithm>

#include "platform/remote/runagents/runagents_calls.hpp"

namespace runagents::platform::remote {

namespace {

class RunAgentsTools final : public ToolService {
 public:
  explicit RunAgentsTools(Conn c) : c_(std::move(c)) {}

  std::vector<Tool> list() override {
    return by_name(get_list(*c_, "/api/tools", {"tools"}, "list tools", tool_from_json));
  }

  Tool get(const std::string& name) override {
    try {
      return tool_from_json(c_->http().send_json(HttpRequest::get("/api/tools/" + seg(name))));
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "tool \"" + name + "\" not found; list_tools lists registered tools");
    }
  }

  UpsertResult upsert(const ToolRegistration& tool) override {
    HttpResponse res =
        c_->http().send(HttpRequest::post("/api/tools", tool_registration_to_json(tool)));
    json body = res.json_body();
    if (body.is_object() && body.contains("tool") && body["tool"].is_object()) {
      bool created = body.value("created", res.status == 201);
      return {tool_from_json(body["tool"]), created};
    }
    UpsertResult r;
    r.tool = tool_from_json(body.is_object() ? body : json::object());
    if (r.tool.name.empty()) r.tool.name = tool.name;
    r.created = body.is_object() && body.contains("created") && body["created"].is_boolean()
                    ? body["created"].get<bool>()
                    : res.status == 201;
    return r;
  }

 private:
  Conn c_;
};

class RunAgentsModels final : public ModelProviderService {
 public:
  explicit RunAgentsModels(Conn c) : c_(std::move(c)) {}
  std::vector<ModelProvider> list() override {
    return by_name(get_list(*c_, "/api/model-providers", {"model_providers", "providers"},
                            "list model providers", model_provider_from_json));
  }

 private:
  Conn c_;
};

class RunAgentsPolicies final : public PolicyService {
 public:
  explicit RunAgentsPolicies(Conn c) : c_(std::move(c)) {}
  std::vector<Policy> list(const std::string& ns) override {
    return in_namespace(
        get_list(*c_, "/api/policies", {"policies"}, "list policies", policy_from_json), ns);
  }

 private:
  Conn c_;
};

}  // namespace

std::shared_ptr<ToolService> make_runagents_tools(Conn c) {
  return std::make_shared<RunAgentsTools>(std::move(c));
}
std::shared_ptr<ModelProviderService> make_runagents_models(Conn c) {
  return std::make_shared<RunAgentsModels>(std::move(c));
}
std::shared_ptr<PolicyService> make_runagents_policies(Conn c) {
  return std::make_shared<RunAgentsPolicies>(std::move(c));
}

}  // namespace runagents::platform::remote
