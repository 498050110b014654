// Prompts (prompts/list, prompts/get). Added at start-up, read-only afterwards.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server/json_rpc.hpp"
#include "server/request_context.hpp"

namespace runagents::mcp {

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  // Returns the prompts/get result ({description?, messages}). Arguments are checked first.
  std::function<json(const std::map<std::string, std::string>& arguments)> get;
  // Instead of `get`, for a prompt that asks the client for input (RequestContext::ask).
  std::function<json(const std::map<std::string, std::string>& arguments, RequestContext& ctx)>
      get_interactive = nullptr;
};

class PromptRegistry {
 public:
  void add(Prompt prompt);
  bool empty() const { return prompts_.empty(); }
  const Prompt* find(const std::string& name) const;
  json list_page(const json& params, size_t page_size) const;
  // Throws RpcError(-32602) for an unknown prompt, a missing required or a non-string argument.
  // `ctx` is needed by interactive prompts (RpcError without one).
  json get(const json& params, RequestContext* ctx = nullptr) const;

 private:
  std::vector<Prompt> prompts_;
};

}  // namespace runagents::mcp
