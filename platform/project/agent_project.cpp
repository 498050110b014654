#include "platform/project/agent_project.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "platform/project/project_file.hpp"

namespace runagents::platform {

namespace fs = std::filesystem;

namespace {

bool skipped_name(const std::string& name, bool is_dir) {
  if (name.empty() || name.front() == '.') return true;
  if (is_dir)
    return name == "__pycache__" || name == "venv" || name == "node_modules" ||
           name == "site-packages";
  const auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".pyc") || ends(".md");
}

bool inside(const fs::path& root, const fs::path& p) {
  auto rel = p.lexically_relative(root);
  return !rel.empty() && rel.native().rfind("..", 0) != 0;
}

// Reads the project's files, counting against the limits.
class Reader {
 public:
  Reader(fs::path root, const ProjectLimits& limits)
      : root_(std::move(root)), real_root_(fs::canonical(root_)), limits_(limits) {}

  void add(const std::string& rel, const fs::path& path) {
    // A file is read only when what it resolves to (through any link on its path) is inside
    // the project.
    std::error_code ec;
    const auto real = fs::weakly_canonical(path, ec);
    if (ec || !inside(real_root_, real)) {
      if (explicit_) throw std::invalid_argument(rel + " links outside " + root_.string());
      return;
    }
    if (files_.size() + 1 > limits_.max_files)
      throw std::invalid_argument(
          "more than " + std::to_string(limits_.max_files) + " files in " + root_.string() +
          ": name the files to deploy, or move what is not the agent's out of the directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read " + path.string());
    std::stringstream buf;
    buf << in.rdbuf();
    bytes_ += buf.str().size();
    if (bytes_ > limits_.max_bytes)
      throw std::invalid_argument("the project's files in " + root_.string() + " pass " +
                                  std::to_string(limits_.max_bytes >> 20) +
                                  " MiB: name the files to deploy, or leave large data out");
    files_[rel] = buf.str();
  }

  void walk() {
    fs::recursive_directory_iterator it(root_), end;  // does not follow directory links
    for (; it != end; ++it) {
      const auto& entry = *it;
      const bool is_dir = entry.is_directory() && !entry.is_symlink();
      if (skipped_name(entry.path().filename().string(), is_dir)) {
        if (is_dir) it.disable_recursion_pending();
        continue;
      }
      if (is_dir || !entry.is_regular_file()) continue;
      add(entry.path().lexically_relative(root_).generic_string(), entry.path());
    }
  }

  void named(const std::vector<std::string>& names) {
    explicit_ = true;
    for (const auto& f : names) {
      const fs::path p = f;
      const auto rel = (p.is_absolute() ? p.lexically_relative(root_) : p.lexically_normal());
      if (rel.empty() || rel.generic_string().rfind("..", 0) == 0)
        throw std::invalid_argument("file " + f + " is outside " + root_.string());
      add(rel.generic_string(), root_ / rel);
    }
  }

  std::map<std::string, std::string> take() { return std::move(files_); }

 private:
  fs::path root_;
  fs::path real_root_;
  ProjectLimits limits_;
  bool explicit_ = false;
  std::map<std::string, std::string> files_;
  std::size_t bytes_ = 0;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + path.string());
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

DeployRequest deploy_request_from_project(const fs::path& dir, const ProjectOverrides& overrides,
                                          const ProjectLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::invalid_argument(dir.string() + " is not a directory");
  ProjectFile project;
  const auto yaml = dir / "runagents.yaml";
  const bool has_yaml = fs::is_regular_file(yaml, ec);
  if (has_yaml) project = parse_project_file(read_text(yaml));
  DeployRequest req;
  req.agent_name = overrides.name.empty() ? project.name : overrides.name;
  if (req.agent_name.empty())
    throw std::invalid_argument(has_yaml ? "runagents.yaml names no agent: add 'name: my-agent' "
                                           "or give the agent's name"
                                         : "no runagents.yaml in " + dir.string() +
                                               ": use a project made by `runagents-mcp init`, "
                                               "or give the agent's name and its files");
  req.system_prompt =
      overrides.system_prompt.empty() ? project.system_prompt : overrides.system_prompt;
  req.required_tools = overrides.tools.empty() ? project.tools : overrides.tools;
  std::string provider = project.provider, model = project.model;
  if (!overrides.model.empty()) {
    auto slash = overrides.model.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == overrides.model.size())
      throw std::invalid_argument("model '" + overrides.model +
                                  "': give provider/model, e.g. openai/gpt-4o-mini");
    provider = overrides.model.substr(0, slash);
    model = overrides.model.substr(slash + 1);
  }
  if (!model.empty()) req.llm_configs.push_back({provider, model, "default"});
  req.entry_point = project.entry_point;
  req.vendored_paths = project.vendored;
  Reader reader(dir, limits);
  if (overrides.files.empty())
    reader.walk();
  else
    reader.named(overrides.files);
  req.source_files = reader.take();
  if (req.source_files.empty())
    throw std::invalid_argument("no files to deploy in " + dir.string());
  return req;
}

}  // namespace runagents::platform
