// runagents.yaml, the project file `runagents-mcp init` writes and `runagents-mcp deploy` reads:
//   name: my-agent
//   system_prompt: You are a helpful assistant.     (or a | / > block)
//   tools: [echo-tool]                              (or one "- name" per line)
//   model: {provider: playground, model: playground-llm}   (or indented provider:/model:)
//   entry_point: agent.py
//   vendored: [lib/]                                (optional: paths of third-party code)
// Read with a small reader for exactly this subset of YAML (no anchors, no nesting beyond the
// model mapping); anything else is an error that names the line.
#pragma once

#include <string>
#include <vector>

namespace runagents::platform {

struct ProjectFile {
  std::string name;
  std::string system_prompt;
  std::vector<std::string> tools;
  std::string provider;
  std::string model;
  std::string entry_point;
  std::vector<std::string> vendored;
};

// Throws std::invalid_argument("runagents.yaml line N: ...") on text outside the subset.
ProjectFile parse_project_file(const std::string& text);

}  // namespace runagents::platform
