#include "platform/open/object_factory.hpp"

#include "platform/local/objects/local_object_service.hpp"
#include "platform/open/lazy.hpp"

namespace runagents::platform {

std::shared_ptr<ObjectService> lazy_object_service(const Config& config, const EnvLookup& env) {
  if (devbox_face(config, env).kind == "remote") {
    return std::make_shared<Lazy<ObjectServiceWrapper>>([]() -> std::shared_ptr<ObjectService> {
      throw PlatformError(ErrorKind::unavailable,
                          "storage objects through this server are local, and devboxes are on "
                          "Runloop (RUNLOOP_API_KEY): upload with Runloop's SDK "
                          "(client.objects) and pass its id in create_devbox mounts");
    });
  }
  local::LocalObjectOptions options;
  options.data_dir = config.data_dir;
  return std::make_shared<Lazy<ObjectServiceWrapper>>(
      [options] { return local::open_local_objects(options); });
}

}  // namespace runagents::platform
