// The remote face of storage objects: ObjectService (platform/objects.hpp) answered by Runloop's
// /v1/objects API, in the shapes of platform/wire/object_json.hpp:
//
//   POST /v1/objects {name, content_type, metadata?, ttl_ms?} -> ObjectView + upload_url
//   PUT  <upload_url> (the content; a presigned URL, sent without the API key)
//   POST /v1/objects/{id}/complete, POST /v1/objects/{id}/delete
//   GET  /v1/objects/{id}, GET /v1/objects?limit&starting_after&content_type&name&search&state
//   GET  /v1/objects/{id}/download?duration_seconds -> {download_url}; GET <download_url>
//
// The upload token of create()'s answer is the upload URL. An upload is kept in memory until
// commit() PUTs it (at most max_object_bytes, 256 MiB); a download is read whole. A download
// grant's signature is its URL. Errors are RemoteError / PlatformError as the devbox client's;
// the API key never appears in them.
//
// Thread safety: safe for concurrent use; an upload or reader by one thread.
#pragma once

#include <memory>

#include "platform/objects.hpp"
#include "platform/remote/runloop/runloop_client.hpp"

namespace runagents::platform::remote {

// Throws PlatformError(invalid) for a bad base URL, unauthorized when the key is empty.
std::shared_ptr<ObjectService> open_runloop_objects(const RunloopOptions& options);

}  // namespace runagents::platform::remote
