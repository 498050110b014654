#include "platform/local/devboxes/devbox_secrets.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "platform/error.hpp"

namespace runagents::platform::local {

namespace fs = std::filesystem;

void check_variable_name(const char* field, const std::string& name) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(name, re))
    throw PlatformError(ErrorKind::invalid,
                        std::string(field) + ": \"" + name +
                            "\" is not a valid environment variable name (letters, digits and _, "
                            "not starting with a digit)");
}

DevboxSecrets::DevboxSecrets(const fs::path& data_dir)
    : store_(data_dir), dir_(data_dir / "devbox_secrets") {}

std::map<std::string, std::string> DevboxSecrets::resolve(
    const std::map<std::string, std::string>& env_to_name) {
  for (const auto& [env, name] : env_to_name) {
    check_variable_name("secrets", env);
    check_secret_name(name);
  }
  return store_.resolve(env_to_name);
}

void DevboxSecrets::record(const std::string& devbox_id,
                           const std::map<std::string, std::string>& env_to_name) {
  if (env_to_name.empty()) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  ::chmod(dir_.c_str(), 0700);
  const fs::path file = dir_ / (devbox_id + ".json");
  {
    std::ofstream out(file, std::ios::trunc);
    out << nlohmann::json(env_to_name).dump() << "\n";
    if (!out)
      throw PlatformError(ErrorKind::unavailable, "cannot record the secrets of devbox " +
                                                      devbox_id + " in " + file.string());
  }
  ::chmod(file.c_str(), 0600);
  std::lock_guard lock(mu_);
  mappings_[devbox_id] = env_to_name;
}

std::map<std::string, std::string> DevboxSecrets::mapping(const std::string& devbox_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = mappings_.find(devbox_id); it != mappings_.end()) return it->second;
  }
  static const std::regex id_re("[A-Za-z0-9_-]{1,64}");
  if (!std::regex_match(devbox_id, id_re)) return {};  // not an id: it names no file
  std::ifstream in(dir_ / (devbox_id + ".json"));
  if (!in) return {};  // created without secrets (or not a devbox id)
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  std::map<std::string, std::string> found;
  if (doc.is_object())
    for (const auto& [env, name] : doc.items())
      if (name.is_string()) found[env] = name.get<std::string>();
  std::lock_guard lock(mu_);
  mappings_[devbox_id] = found;
  return found;
}

std::map<std::string, std::string> DevboxSecrets::environment(const std::string& devbox_id) {
  const auto names = mapping(devbox_id);
  try {
    return store_.resolve(names);
  } catch (const PlatformError& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    throw PlatformError(ErrorKind::conflict,
                        "devbox " + devbox_id + " cannot start its sandbox: " + e.what());
  }
}

std::vector<std::string> DevboxSecrets::values(const std::string& devbox_id) {
  const auto names = mapping(devbox_id);
  if (names.empty()) return {};
  std::vector<std::string> wanted;
  for (const auto& [_, name] : names) wanted.push_back(name);
  return store_.values(wanted);
}

}  // namespace runagents::platform::local
