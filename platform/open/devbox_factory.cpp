#include "platform/open/devbox_factory.hpp"

#include <mutex>

#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/remote/runloop_client.hpp"

namespace runagents::platform {

namespace {

class LazyDevboxes final : public DevboxService {
 public:
  explicit LazyDevboxes(std::function<std::shared_ptr<DevboxService>()> open)
      : open_(std::move(open)) {}

  Devbox create(const DevboxCreateRequest& r, const DevboxProgress& p) override {
    return s().create(r, p);
  }
  Devbox get(const std::string& id) override { return s().get(id); }
  DevboxPage list(const DevboxListRequest& r) override { return s().list(r); }
  Devbox wait_for_status(const std::string& id, const std::vector<std::string>& st,
                         std::chrono::milliseconds t) override {
    return s().wait_for_status(id, st, t);
  }
  DevboxExecution execute(const ExecRequest& r) override { return s().execute(r); }
  DevboxExecution execute_async(const ExecRequest& r) override { return s().execute_async(r); }
  DevboxExecution execution(const std::string& d, const std::string& e) override {
    return s().execution(d, e);
  }
  DevboxExecution wait_for_execution(const std::string& d, const std::string& e,
                                     const std::vector<std::string>& st,
                                     std::chrono::milliseconds t) override {
    return s().wait_for_execution(d, e, st, t);
  }
  DevboxExecution kill_execution(const std::string& d, const std::string& e) override {
    return s().kill_execution(d, e);
  }
  DevboxFile read_file(const std::string& d, const std::string& p, std::uint64_t o,
                       std::optional<std::uint64_t> l) override {
    return s().read_file(d, p, o, l);
  }
  void write_file(const std::string& d, const std::string& p, std::string_view data) override {
    s().write_file(d, p, data);
  }
  Devbox suspend(const std::string& id) override { return s().suspend(id); }
  Devbox resume(const std::string& id) override { return s().resume(id); }
  void keep_alive(const std::string& id) override { s().keep_alive(id); }
  Devbox shutdown(const std::string& id) override { return s().shutdown(id); }
  DevboxSnapshot snapshot(const std::string& d, const SnapshotRequest& r) override {
    return s().snapshot(d, r);
  }
  DevboxSnapshot snapshot_status(const std::string& id) override { return s().snapshot_status(id); }
  SnapshotPage list_snapshots(const SnapshotListRequest& r) override {
    return s().list_snapshots(r);
  }

 private:
  DevboxService& s() {
    std::lock_guard lock(mu_);
    if (!service_) service_ = open_();
    return *service_;
  }

  std::mutex mu_;
  std::function<std::shared_ptr<DevboxService>()> open_;
  std::shared_ptr<DevboxService> service_;
};

}  // namespace

std::shared_ptr<DevboxService> lazy_devboxes(std::function<std::shared_ptr<DevboxService>()> open) {
  return std::make_shared<LazyDevboxes>(std::move(open));
}

std::shared_ptr<DevboxService> lazy_devbox_service(const Config& config, const EnvLookup& env) {
  if (devbox_face(config, env).kind == "remote") {
    auto options = remote::RunloopOptions::from_env(env);
    return lazy_devboxes([options] { return remote::open_runloop_devboxes(options); });
  }
  local::LocalDevboxOptions options;
  options.data_dir = config.data_dir;
  return lazy_devboxes([options] { return local::open_local_devboxes(options); });
}

}  // namespace runagents::platform
