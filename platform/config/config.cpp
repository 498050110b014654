#include "platform/config/config.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "platform/names.hpp"

namespace runagents::platform {

namespace {

namespace fs = std::filesystem;

struct KeyInfo {
  const char* key;
  const char* env;   // environment variable, or nullptr
  const char* flag;  // command-line flag, or nullptr
};

const KeyInfo kKeys[] = {
    {"endpoint", "RUNAGENTS_ENDPOINT", "--endpoint"},
    {"api_key", "RUNAGENTS_API_KEY", "--api-key"},
    {"namespace", "RUNAGENTS_NAMESPACE", "--namespace"},
    {"assistant_mode", "RUNAGENTS_ASSISTANT_MODE", "--assistant-mode"},
    {"data_dir", "RUNAGENTS_DATA_DIR", "--data-dir"},
    {"llm_base_url", "RUNAGENTS_LLM_BASE_URL", nullptr},
    {"llm_api_key", "RUNAGENTS_LLM_API_KEY", nullptr},
    {"runtimeuse_ws_url", "RUNTIMEUSE_WS_URL", nullptr},
};

const KeyInfo* find_key(const std::string& key) {
  for (const auto& k : kKeys)
    if (key == k.key) return &k;
  return nullptr;
}

fs::path home_dir(const EnvLookup& env) {
  if (auto home = env("HOME"); home && !home->empty()) return *home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/tmp";
}

std::string strip_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool is_http_url(const std::string& url) {
  for (const char* scheme : {"http://", "https://"}) {
    std::string s = scheme;
    if (url.rfind(s, 0) == 0 && url.size() > s.size()) return true;
  }
  return false;
}

// Throws invalid when `value` is not acceptable for `key`; `where` names its source.
void validate_value(const std::string& key, const std::string& value, const std::string& where) {
  auto bad = [&](const std::string& why) {
    throw PlatformError(ErrorKind::invalid, key + " from " + where + " is not valid: " + why);
  };
  if (key == "endpoint" || key == "llm_base_url") {
    if (!value.empty() && !is_http_url(value))
      bad("'" + value + "' is not an http(s) URL (e.g. https://acme.runagents.io)");
  } else if (key == "runtimeuse_ws_url") {
    if (!value.empty() && value.rfind("ws://", 0) != 0 && value.rfind("wss://", 0) != 0)
      bad("'" + value + "' is not a ws:// or wss:// URL (e.g. ws://127.0.0.1:8080)");
  } else if (key == "namespace") {
    if (!is_dns_label(value))
      bad("'" + value + "' is not a DNS label (lower-case letters, digits and '-')");
  } else if (key == "assistant_mode") {
    if (value != "external" && value != "runagents" && value != "off")
      bad("'" + value + "' must be external, runagents or off");
  } else if (key == "data_dir") {
    if (value.empty()) bad("the data dir is empty");
  }
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& k : kKeys) out.emplace_back(k.key);
    return out;
  }();
  return keys;
}

bool is_secret_key(const std::string& key) {
  return key == "api_key" || key == "llm_api_key";
}

json read_config_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT || !fs::exists(path)) return json::object();
    throw PlatformError(ErrorKind::invalid, "cannot read config file " + path.string() + ": " +
                                                std::strerror(errno) +
                                                "; fix its permissions or remove it");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (buf.str().find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json parsed = json::parse(buf.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    throw PlatformError(ErrorKind::invalid,
                        "config file " + path.string() +
                            " is not a JSON object; fix it or remove it (runagents-mcp config "
                            "set rewrites it)");
  for (const auto& [key, value] : parsed.items()) {
    if (find_key(key) && !value.is_string())
      throw PlatformError(ErrorKind::invalid,
                          "config file " + path.string() + ": key '" + key + "' must be a string");
  }
  return parsed;
}

fs::path config_file_path(const ConfigFlags& flags, const EnvLookup& env) {
  return flags.config_file ? fs::path(*flags.config_file)
                           : home_dir(env) / ".runagents" / "config.json";
}

Config load_config(const ConfigFlags& flags, const EnvLookup& env) {
  Config config;
  config.config_file = config_file_path(flags, env);
  const json file = read_config_file(config.config_file);

  auto flag_value = [&](const std::string& key) -> const std::optional<std::string>& {
    static const std::optional<std::string> none;
    if (key == "endpoint") return flags.endpoint;
    if (key == "api_key") return flags.api_key;
    if (key == "namespace") return flags.ns;
    if (key == "assistant_mode") return flags.assistant_mode;
    if (key == "data_dir") return flags.data_dir;
    return none;
  };
  auto resolve = [&](const KeyInfo& info, const std::string& fallback) {
    std::string key = info.key, value = fallback, source = "default";
    if (const auto& f = flag_value(key); f) {
      value = *f;
      source = std::string("flag ") + info.flag;
    } else if (auto e = info.env ? env(info.env) : std::nullopt; e && !e->empty()) {
      value = *e;
      source = std::string("env ") + info.env;
    } else if (file.contains(key) && !file[key].get<std::string>().empty()) {
      value = file[key].get<std::string>();
      source = "config file";
    }
    validate_value(key, value, source == "config file" ? config.config_file.string() : source);
    config.sources[key] = source;
    return value;
  };
  for (const auto& info : kKeys) {
    std::string key = info.key;
    if (key == "endpoint") config.endpoint = strip_trailing_slashes(resolve(info, ""));
    if (key == "api_key") config.api_key = resolve(info, "");
    if (key == "namespace") config.ns = resolve(info, "default");
    if (key == "assistant_mode") config.assistant_mode = resolve(info, "external");
    if (key == "data_dir")
      config.data_dir = resolve(info, (home_dir(env) / ".runagents" / "local").string());
    if (key == "llm_base_url") config.llm_base_url = strip_trailing_slashes(resolve(info, ""));
    if (key == "llm_api_key") config.llm_api_key = resolve(info, "");
    if (key == "runtimeuse_ws_url") config.runtimeuse_ws_url = resolve(info, "");
  }
  return config;
}

void set_config_value(const fs::path& path, const std::string& key, const std::string& value) {
  if (!find_key(key)) {
    std::string valid;
    for (const auto& k : config_keys()) valid += (valid.empty() ? "" : ", ") + k;
    throw PlatformError(ErrorKind::invalid,
                        "unknown config key '" + key + "'; valid keys: " + valid);
  }
  if (!value.empty()) validate_value(key, value, "the command line");
  json file = read_config_file(path);
  if (value.empty()) {
    file.erase(key);
  } else {
    file[key] = key == "endpoint" || key == "llm_base_url" ? strip_trailing_slashes(value) : value;
  }

  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw PlatformError(ErrorKind::unavailable,
                          "cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  // Written to a private temporary file and renamed, so a reader never sees half a file and the
  // secret is never readable by others, not even briefly.
  std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw PlatformError(ErrorKind::unavailable,
                        "cannot write " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  std::string text = file.dump(2) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw PlatformError(ErrorKind::unavailable,
                        "cannot write " + path.string() + ": " + std::strerror(err));
  }
}

}  // namespace runagents::platform
