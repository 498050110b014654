#include "server/prompt_registry.hpp"

#include <algorithm>

#include "server/pagination.hpp"

namespace runagents::mcp {

void PromptRegistry::add(Prompt prompt) {
  prompts_.push_back(std::move(prompt));
}

const Prompt* PromptRegistry::find(const std::string& name) const {
  for (const auto& p : prompts_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

json PromptRegistry::list_page(const json& params, size_t page_size) const {
  size_t offset = cursor_offset(params, "prompts/list");
  if (offset > prompts_.size()) {
    throw RpcError(error_code::invalid_params,
                   "Invalid cursor: it points past the end of the list");
  }
  json out = json::array();
  size_t end = std::min(prompts_.size(), offset + std::max<size_t>(page_size, 1));
  for (size_t i = offset; i < end; ++i) {
    const auto& p = prompts_[i];
    json j = {{"name", p.name}, {"description", p.description}};
    if (!p.title.empty()) j["title"] = p.title;
    json args = json::array();
    for (const auto& a : p.arguments) {
      args.push_back({{"name", a.name}, {"description", a.description}, {"required", a.required}});
    }
    j["arguments"] = std::move(args);
    out.push_back(std::move(j));
  }
  json result = {{"prompts", std::move(out)}};
  if (end < prompts_.size()) result["nextCursor"] = make_cursor("prompts/list", end);
  return result;
}

json PromptRegistry::get(const json& params, RequestContext* ctx) const {
  if (!params.contains("name") || !params["name"].is_string()) {
    throw RpcError(error_code::invalid_params, "prompts/get needs params.name (a string)");
  }
  const std::string name = params["name"];
  const Prompt* prompt = find(name);
  if (!prompt) {
    throw RpcError(error_code::invalid_params,
                   "Unknown prompt: " + name + " (prompts/list lists them)");
  }
  std::map<std::string, std::string> args;
  if (params.contains("arguments") && !params["arguments"].is_null()) {
    if (!params["arguments"].is_object()) {
      throw RpcError(error_code::invalid_params, "prompts/get: arguments must be an object");
    }
    for (auto& [k, v] : params["arguments"].items()) {
      if (!v.is_string()) {
        throw RpcError(error_code::invalid_params,
                       "prompts/get: argument '" + k + "' must be a string");
      }
      args[k] = v.get<std::string>();
    }
  }
  for (const auto& a : prompt->arguments) {
    if (a.required && !args.count(a.name)) {
      throw RpcError(error_code::invalid_params,
                     "Prompt " + name + " needs argument '" + a.name + "'");
    }
  }
  if (prompt->get_interactive) {
    if (!ctx) throw RpcError(error_code::internal_error, "Prompt " + name + " needs a request");
    return prompt->get_interactive(args, *ctx);
  }
  return prompt->get(args);
}

}  // namespace runagents::mcp
