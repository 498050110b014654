#include "platform/open/object_factory.hpp"

#include "platform/local/objects/local_object_service.hpp"
#include "platform/open/lazy.hpp"
#include "platform/remote/runloop/runloop_objects.hpp"

namespace runagents::platform {

std::shared_ptr<ObjectService> lazy_object_service(const Config& config, const EnvLookup& env) {
  if (devbox_face(config, env).kind == "remote") {
    auto options = remote::RunloopOptions::from_env(env);
    return std::make_shared<Lazy<ObjectServiceWrapper>>(
        [options] { return remote::open_runloop_objects(options); });
  }
  local::LocalObjectOptions options;
  options.data_dir = config.data_dir;
  return std::make_shared<Lazy<ObjectServiceWrapper>>(
      [options] { return local::open_local_objects(options); });
}

}  // namespace runagents::platform
