#include "server/tool_registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <set>
#include <stdexcept>

#include "server/pagination.hpp"

namespace runagents::mcp {

namespace {

// One text content block. A structured result carries one too, its serialize()d content or a
// summary: clients that predate structured output read it (spec: SHOULD include it).
json text_block(std::string text) {
  return {{"type", "text"}, {"text", std::move(text)}};
}

}  // namespace

ToolResult ToolResult::text(std::string text) {
  ToolResult r;
  r.content.push_back(text_block(std::move(text)));
  return r;
}

ToolResult ToolResult::error(std::string message) {
  ToolResult r = text(std::move(message));
  r.is_error = true;
  return r;
}

ToolResult ToolResult::structured(json value, std::string summary) {
  ToolResult r;
  if (!summary.empty()) r.content.push_back(text_block(std::move(summary)));
  r.structured_content = std::move(value);
  return r;
}

json ToolResult::to_json() const& {
  json out = {{"content", content}};
  if (structured_content) {
    out["structuredContent"] = *structured_content;
    if (content.empty()) out["content"].push_back(text_block(serialize(*structured_content)));
  }
  if (is_error) out["isError"] = true;
  return out;
}

json ToolResult::to_json() && {
  json out = json::object();
  json& blocks = out["content"] = std::move(content);
  if (structured_content) {
    if (blocks.empty()) blocks.push_back(text_block(serialize(*structured_content)));
    out["structuredContent"] = std::move(*structured_content);
  }
  if (is_error) out["isError"] = true;
  return out;
}

ToolResult ToolResult::from_json(const json& value) {
  if (!value.is_object()) return error("the stored result is missing or malformed");
  ToolResult out;
  if (auto c = value.find("content"); c != value.end() && c->is_array()) out.content = *c;
  if (auto s = value.find("structuredContent"); s != value.end()) out.structured_content = *s;
  out.is_error = value.value("isError", false);
  return out;
}

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

void index_header_params(ToolDefinition& tool) {
  tool.header_params.clear();
  auto props = tool.input_schema.find("properties");
  if (props == tool.input_schema.end() || !props->is_object()) return;
  for (const auto& [param, schema] : props->items()) {
    if (!schema.is_object()) continue;
    auto header = schema.find("x-mcp-header");
    if (header != schema.end() && header->is_string()) {
      tool.header_params.emplace_back(param, "Mcp-Param-" + header->get<std::string>());
    }
  }
}

void ToolRegistry::add(ToolDefinition tool) {
  static const std::regex kName("^[A-Za-z0-9_.-]{1,64}$");
  if (!std::regex_match(tool.name, kName)) {
    throw std::invalid_argument("tool name '" + tool.name +
                                "' must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  if (tools_.count(tool.name)) throw std::invalid_argument("duplicate tool " + tool.name);
  if (!tool.input_schema.is_object() || tool.input_schema.value("type", "") != "object") {
    throw std::invalid_argument("tool " + tool.name + ": inputSchema must be an object schema");
  }
  auto entry = std::make_unique<Entry>();
  index_header_params(tool);
  order_.push_back(tool.name);
  std::string name = tool.name;
  entry->tool = std::move(tool);
  tools_.emplace(std::move(name), std::move(entry));
}

std::vector<std::string> ToolRegistry::toolsets() const {
  std::vector<std::string> out;
  for (const auto& name : order_) {
    const auto& ts = tools_.at(name)->tool.toolset;
    if (!ts.empty() && std::find(out.begin(), out.end(), ts) == out.end()) out.push_back(ts);
  }
  return out;
}

void ToolRegistry::select(const ToolSelection& selection) {
  const auto known_sets = toolsets();
  for (const auto& ts : selection.toolsets) {
    if (ts != "all" && std::find(known_sets.begin(), known_sets.end(), ts) == known_sets.end()) {
      throw std::invalid_argument("unknown toolset '" + ts + "'; valid toolsets: all, " +
                                  join(known_sets));
    }
  }
  for (const auto* names : {&selection.tools, &selection.exclude_tools}) {
    for (const auto& name : *names) {
      if (!tools_.count(name)) {
        throw std::invalid_argument("unknown tool '" + name + "'; valid tools: " + join(order_));
      }
    }
  }
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const bool all_sets =
      (selection.toolsets.empty() && selection.tools.empty()) || has(selection.toolsets, "all");
  std::vector<std::string> kept;
  for (const auto& name : order_) {
    const auto& tool = tools_.at(name)->tool;
    bool keep = all_sets || has(selection.toolsets, tool.toolset) || has(selection.tools, name);
    if (has(selection.exclude_tools, name)) keep = false;
    if (selection.read_only && !tool.annotations.read_only) keep = false;
    if (keep) kept.push_back(name);
  }
  for (const auto& name : order_) {
    if (!has(kept, name)) tools_.erase(name);
  }
  order_ = std::move(kept);
}

const ToolDefinition* ToolRegistry::find(const std::string& name) const {
  auto it = tools_.find(name);
  return it == tools_.end() ? nullptr : &it->second->tool;
}

std::vector<const ToolDefinition*> ToolRegistry::list() const {
  std::vector<const ToolDefinition*> out;
  for (const auto& name : order_) out.push_back(&tools_.at(name)->tool);
  return out;
}

json ToolRegistry::describe(const ToolDefinition& tool, bool task_support) {
  json entry = {
      {"name", tool.name}, {"description", tool.description}, {"inputSchema", tool.input_schema}};
  if (!tool.title.empty()) entry["title"] = tool.title;
  if (tool.output_schema) entry["outputSchema"] = *tool.output_schema;
  json annotations = {{"readOnlyHint", tool.annotations.read_only},
                      {"destructiveHint", tool.annotations.destructive},
                      {"idempotentHint", tool.annotations.idempotent},
                      {"openWorldHint", tool.annotations.open_world}};
  if (!tool.title.empty()) annotations["title"] = tool.title;
  entry["annotations"] = std::move(annotations);
  for (auto& [k, v] : tool.extra.items()) entry[k] = v;
  if (task_support && tool.task_support != TaskSupport::forbidden) {
    entry["execution"] = {
        {"taskSupport", tool.task_support == TaskSupport::required ? "required" : "optional"}};
  }
  return entry;
}

json ToolRegistry::list_page(const json& params, size_t page_size, bool task_support) const {
  size_t offset = cursor_offset(params, "tools/list");
  if (offset > order_.size()) {
    throw RpcError(error_code::invalid_params,
                   "Invalid cursor: it points past the end of the list");
  }
  json tools = json::array();
  size_t end = std::min(order_.size(), offset + std::max<size_t>(page_size, 1));
  for (size_t i = offset; i < end; ++i)
    tools.push_back(describe(tools_.at(order_[i])->tool, task_support));
  json result = {{"tools", std::move(tools)}};
  if (end < order_.size()) result["nextCursor"] = make_cursor("tools/list", end);
  return result;
}

const ToolRegistry::Entry& ToolRegistry::Entry::validators() const {
  if (compiled.load(std::memory_order_acquire)) return *this;
  std::lock_guard lock(compile_mu);
  if (compiled.load(std::memory_order_relaxed)) return *this;
  try {
    auto in = std::make_unique<SchemaValidator>(tool.input_schema);
    std::unique_ptr<SchemaValidator> out;
    if (tool.output_schema) out = std::make_unique<SchemaValidator>(*tool.output_schema);
    input = std::move(in);
    output = std::move(out);
  } catch (const std::exception& e) {
    throw std::invalid_argument("tool " + tool.name + ": " + e.what());  // tried again next call
  }
  compiled.store(true, std::memory_order_release);
  return *this;
}

void ToolRegistry::compile_schemas() const {
  for (const auto& name : order_) tools_.at(name)->validators();
}

std::vector<std::string> ToolRegistry::validate_arguments(const std::string& name,
                                                          const json& arguments) const {
  return tools_.at(name)->validators().input->validate(arguments);
}

std::vector<std::string> ToolRegistry::validate_output(const std::string& name,
                                                       const json& structured,
                                                       std::string_view text) const {
  // Larger outputs are validated every time rather than kept in memory.
  constexpr size_t kRememberedBytes = 64 * 1024;
  const auto& entry = tools_.at(name)->validators();
  if (!entry.output) return {};
  // The text is what goes on the wire: the same text is the same value, valid as before.
  const bool remember = !text.empty() && text.size() <= kRememberedBytes;
  if (remember) {
    std::lock_guard lock(entry.output_mu);
    if (entry.last_valid_output == text) return {};
  }
  auto problems = entry.output->validate(structured);
  if (remember && problems.empty()) {
    std::lock_guard lock(entry.output_mu);
    entry.last_valid_output.assign(text);
  }
  return problems;
}

ToolResult call_tool(const ToolRegistry& registry, const std::string& name, const json& arguments,
                     RequestContext& ctx, bool run_prepare) {
  const ToolDefinition* tool = registry.find(name);
  if (!tool) {
    throw RpcError(error_code::invalid_params, "Unknown tool: " + name + " (tools/list lists them)",
                   {{"tool", name}});
  }
  auto problems = registry.validate_arguments(name, arguments);
  if (!problems.empty()) {
    std::string message = "Invalid arguments for tool " + name + ":";
    for (const auto& p : problems) message += "\n- " + p;
    message += "\nCheck the tool's inputSchema (tools/list) and call again.";
    return ToolResult::error(std::move(message));
  }
  ToolResult result;
  try {
    if (run_prepare && tool->prepare) {
      result = tool->handler(tool->prepare(arguments, ctx), ctx);
    } else {
      result = tool->handler(arguments, ctx);
    }
  } catch (const RpcError&) {
    throw;
  } catch (const InputRequired&) {
    throw;
  } catch (const std::exception& e) {
    return ToolResult::error(e.what());
  }
  if (result.structured_content && !result.is_error) {
    // A result without a text block gets the serialized structured content as one; made here,
    // once, it is also what validate_output compares with the last output that passed.
    std::string text = result.content.empty() ? serialize(*result.structured_content) : "";
    auto bad = registry.validate_output(name, *result.structured_content, text);
    if (!bad.empty()) {
      spdlog::error("tool {} produced output that does not match its outputSchema: {}", name,
                    bad.front());
      return ToolResult::error("Internal error: tool " + name +
                               " produced a result that does not match its outputSchema (" +
                               bad.front() + "). Please report this.");
    }
    if (!text.empty()) result.content.push_back(text_block(std::move(text)));
  }
  return result;
}

}  // namespace runagents::mcp
