#include "platform/open/devbox_factory.hpp"

#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/open/lazy.hpp"
#include "platform/remote/runloop/runloop_client.hpp"

namespace runagents::platform {

std::shared_ptr<DevboxService> lazy_devboxes(std::function<std::shared_ptr<DevboxService>()> open) {
  return std::make_shared<Lazy<DevboxServiceWrapper>>(std::move(open));
}

std::shared_ptr<DevboxService> lazy_devbox_service(const Config& config,
                                                   std::size_t max_local_executions,
                                                   const EnvLookup& env) {
  if (devbox_face(config, env).kind == "remote") {
    auto options = remote::RunloopOptions::from_env(env);
    return lazy_devboxes([options] { return remote::open_runloop_devboxes(options); });
  }
  local::LocalDevboxOptions options;
  options.data_dir = config.data_dir;
  options.max_executions = max_local_executions;
  return lazy_devboxes([options] { return local::open_local_devboxes(options); });
}

}  // namespace runagents::platform
