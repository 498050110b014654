#include "platform/local/store/data_dir.hpp"

#include <sys/stat.h>

#include <map>
#include <mutex>
#include <string>
#include <system_error>

#include "platform/error.hpp"

namespace runagents::platform::local {

void prepare_data_dir(const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec || !std::filesystem::is_directory(data_dir))
    throw PlatformError(ErrorKind::unavailable,
                        "cannot create the data dir " + data_dir.string() + ": " +
                            (ec ? ec.message() : "not a directory") +
                            "; choose another with --data-dir or RUNAGENTS_DATA_DIR");
  ::chmod(data_dir.c_str(), 0700);
}

std::shared_ptr<Database> open_platform_database(const std::filesystem::path& data_dir) {
  static std::mutex mu;
  static std::map<std::filesystem::path, std::weak_ptr<Database>> open;
  std::lock_guard lock(mu);
  std::erase_if(open, [](const auto& entry) { return entry.second.expired(); });
  prepare_data_dir(data_dir);
  std::error_code ec;
  std::filesystem::path key = std::filesystem::canonical(data_dir, ec);
  if (ec) key = std::filesystem::absolute(data_dir).lexically_normal();
  if (auto db = open[key].lock()) return db;
  auto db = std::make_shared<Database>(data_dir / "platform.db");
  open[key] = db;
  return db;
}

}  // namespace runagents::platform::local
