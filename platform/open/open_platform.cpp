#include "platform/open/open_platform.hpp"

#include "platform/config/faces.hpp"
#include "platform/local/local_platform.hpp"
#include "platform/remote/runagents/runagents_client.hpp"

namespace runagents::platform {

Platform open_platform(const Config& config) {
  Platform p;
  if (runagents_face(config).kind == "remote") {
    p = remote::open_runagents_platform(remote::RunAgentsOptions::from_config(config));
  } else {
    local::LocalOptions options;
    options.data_dir = config.data_dir;
    options.ns = config.ns;
    options.llm_base_url = config.llm_base_url;
    options.llm_api_key = config.llm_api_key;
    p = local::open_local_platform(options);
  }
  p.faces = faces_for(config);
  return p;
}

}  // namespace runagents::platform
