#include "platform/local/secrets/secret_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

#include "platform/common/unique_fd.hpp"
#include "platform/error.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PlatformError store_error(const std::string& what, const fs::path& path, int err) {
  return PlatformError(ErrorKind::unavailable, "secret store: cannot " + what + " " +
                                                   path.string() + ": " + std::strerror(err));
}

// An flock held until destruction.
class FileLock {
 public:
  FileLock(const fs::path& path, int operation)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!fd_.ok()) throw store_error("open", path, errno);
    while (::flock(fd_.get(), operation) != 0)
      if (errno != EINTR) throw store_error("lock", path, errno);
  }

 private:
  UniqueFd fd_;
};

std::string read_whole(int fd, const fs::path& path) {
  std::string data;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw store_error("read", path, errno);
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

void write_whole(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw store_error("write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void check_secret_name(const std::string& name) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_.-]{0,127}");
  if (!std::regex_match(name, re))
    throw PlatformError(ErrorKind::invalid,
                        "secret name \"" + name.substr(0, 130) +
                            "\" is not valid: 1 to 128 letters, digits, _ . or -, starting with "
                            "a letter or _");
}

void check_secret_value(const std::string& value) {
  if (value.size() < 4)
    throw PlatformError(ErrorKind::invalid,
                        "a secret value must be at least 4 bytes: a shorter one would be masked "
                        "wherever those characters appear in output");
  if (value.size() > 64 * 1024)
    throw PlatformError(ErrorKind::invalid, "a secret value must be at most 64 KiB");
  if (value.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
    throw PlatformError(ErrorKind::invalid,
                        "a secret value must be one line without NUL bytes (output is redacted "
                        "line by line); base64-encode a multi-line value such as a PEM key and "
                        "decode it in the devbox");
}

std::string SecretStore::not_found_message(const std::string& name) {
  return "secret " + name + " not found; create it with `runagents-mcp secret set " + name +
         "` (the value on stdin), or POST /v1/secrets to `runagents-mcp platform serve`";
}

SecretStore::SecretStore(fs::path data_dir)
    : dir_(std::move(data_dir)), file_(dir_ / "secrets.json"), lock_file_(dir_ / "secrets.lock") {}

const SecretStore::Entries& SecretStore::current() {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) {
    if (errno != ENOENT) throw store_error("read", file_, errno);
    cache_.clear();
    cache_mtime_ns_ = -1;
    cache_size_ = 0;
    return cache_;
  }
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (mtime_ns == cache_mtime_ns_ && size == cache_size_ && st.st_ino == cache_ino_) return cache_;
  UniqueFd fd(::open(file_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.ok()) throw store_error("open", file_, errno);
  json doc = json::parse(read_whole(fd.get(), file_), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("secrets") ||
      !doc["secrets"].is_object())
    throw PlatformError(ErrorKind::unavailable,
                        "secret store: " + file_.string() +
                            " is not a secrets file this version can read; move it away to "
                            "start an empty store");
  Entries entries;
  for (const auto& [name, e] : doc["secrets"].items()) {
    if (!e.is_object() || !e.contains("value") || !e["value"].is_string()) continue;
    Entry entry;
    entry.view.id = e.value("id", "");
    entry.view.name = name;
    entry.view.create_time_ms = e.value("create_time_ms", std::int64_t{0});
    entry.view.update_time_ms = e.value("update_time_ms", std::int64_t{0});
    entry.value = e["value"].get<std::string>();
    entries.emplace(name, std::move(entry));
  }
  cache_ = std::move(entries);
  cache_mtime_ns_ = mtime_ns;
  cache_size_ = size;
  cache_ino_ = st.st_ino;
  return cache_;
}

template <typename Fn>
auto SecretStore::modify(Fn&& change) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw store_error("create", dir_, ec.value());
  FileLock file_lock(lock_file_, LOCK_EX);
  Entries entries = current();
  auto result = change(entries);
  json secrets = json::object();
  for (const auto& [name, e] : entries)
    secrets[name] = {{"id", e.view.id},
                     {"value", e.value},
                     {"create_time_ms", e.view.create_time_ms},
                     {"update_time_ms", e.view.update_time_ms}};
  const json doc = {{"version", 1}, {"secrets", secrets}};
  const fs::path tmp = file_.string() + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.ok()) throw store_error("create", tmp, errno);
    ::fchmod(fd.get(), 0600);  // a file left by an older umask
    write_whole(fd.get(), doc.dump(2) + "\n", tmp);
    if (::fsync(fd.get()) != 0) throw store_error("write", tmp, errno);
  }
  if (::rename(tmp.c_str(), file_.c_str()) != 0) throw store_error("replace", file_, errno);
  current();  // the cache follows the file just written
  return result;
}

SecretView SecretStore::create(const std::string& name, const std::string& value) {
  check_secret_name(name);
  check_secret_value(value);
  return modify([&](Entries& entries) {
    if (entries.count(name))
      throw PlatformError(ErrorKind::conflict,
                          "secret " + name + " exists; update it (`runagents-mcp secret set " +
                              name + "`, or POST /v1/secrets/" + name + ") or delete it first");
    Entry e;
    e.view.id = new_id("sec_");
    e.view.name = name;
    e.view.create_time_ms = e.view.update_time_ms = wall_ms();
    e.value = value;
    entries[name] = e;
    return e.view;
  });
}

SecretView SecretStore::update(const std::string& name, const std::string& value) {
  check_secret_name(name);
  check_secret_value(value);
  return modify([&](Entries& entries) {
    auto it = entries.find(name);
    if (it == entries.end()) throw PlatformError(ErrorKind::not_found, not_found_message(name));
    it->second.value = value;
    it->second.view.update_time_ms = wall_ms();
    return it->second.view;
  });
}

SecretView SecretStore::set(const std::string& name, const std::string& value, bool* created) {
  check_secret_name(name);
  check_secret_value(value);
  return modify([&](Entries& entries) {
    Entry& e = entries[name];
    const bool is_new = e.view.id.empty();
    if (created) *created = is_new;
    if (is_new) {
      e.view.id = new_id("sec_");
      e.view.name = name;
      e.view.create_time_ms = wall_ms();
    }
    e.view.update_time_ms = wall_ms();
    e.value = value;
    return e.view;
  });
}

SecretView SecretStore::get(const std::string& name) {
  std::lock_guard lock(mu_);
  const Entries& entries = current();
  auto it = entries.find(name);
  if (it == entries.end()) throw PlatformError(ErrorKind::not_found, not_found_message(name));
  return it->second.view;
}

std::vector<SecretView> SecretStore::list() {
  std::lock_guard lock(mu_);
  std::vector<SecretView> out;
  for (const auto& [_, e] : current()) out.push_back(e.view);
  return out;
}

SecretView SecretStore::remove(const std::string& name) {
  return modify([&](Entries& entries) {
    auto it = entries.find(name);
    if (it == entries.end()) throw PlatformError(ErrorKind::not_found, not_found_message(name));
    SecretView gone = it->second.view;
    entries.erase(it);
    return gone;
  });
}

std::map<std::string, std::string> SecretStore::resolve(
    const std::map<std::string, std::string>& env_to_name) {
  std::lock_guard lock(mu_);
  if (env_to_name.empty()) return {};
  const Entries& entries = current();
  std::map<std::string, std::string> out;
  for (const auto& [env, name] : env_to_name) {
    auto it = entries.find(name);
    if (it == entries.end()) throw PlatformError(ErrorKind::not_found, not_found_message(name));
    out[env] = it->second.value;
  }
  return out;
}

std::vector<std::string> SecretStore::values(const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  if (names.empty()) return {};
  const Entries& entries = current();
  std::vector<std::string> out;
  for (const auto& name : names)
    if (auto it = entries.find(name); it != entries.end()) out.push_back(it->second.value);
  return out;
}

}  // namespace runagents::platform::local
