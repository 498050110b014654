// The Runloop `/v1/secrets` paths over the local secret store
// (platform/local/secrets/secret_store.hpp), with Runloop's shapes, so Runloop's SDKs pointed at
// `platform serve` manage the secrets local devboxes get (DevboxCreateRequest::secrets):
//
//   POST /v1/secrets                  {name, value} -> SecretView {id, name, create_time_ms,
//                                     update_time_ms}; 409 when the name exists
//   GET  /v1/secrets?limit            {secrets: [SecretView], has_more, total_count}, by name
//   GET  /v1/secrets/{name}           SecretView
//   POST /v1/secrets/{name}           {value} -> SecretView (a new value)
//   POST /v1/secrets/{name}/delete    SecretView of the deleted secret
//
// No answer ever carries a value. Errors as every route of RestServer.
#pragma once

#include <memory>

#include "platform/local/secrets/secret_store.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::platform::serve {

// Registers the routes above on `server`; `secrets` is kept alive by them.
void register_secret_routes(RestServer& server, std::shared_ptr<local::SecretStore> secrets);

}  // namespace runagents::platform::serve
