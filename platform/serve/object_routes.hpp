// The Runloop `/v1/objects` REST paths over an ObjectService (normally the local object store),
// with Runloop's JSON shapes (platform/wire/object_json.hpp), so Runloop's SDKs with
// RUNLOOP_BASE_URL pointed here store and read objects on this machine:
//
//   POST /v1/objects                      {name, content_type, metadata?, ttl_ms?} -> ObjectView
//                                         + upload_url (UPLOADING)
//   GET  /v1/objects?limit&starting_after&content_type&name&search&state&include_total_count
//                                         {objects, has_more, total_count}, newest first; DELETED
//                                         objects only with state=DELETED
//   GET  /v1/objects/list_public          the same shape, always empty: local objects are private
//   GET  /v1/objects/{id}                 ObjectView (a deleted one says DELETED)
//   POST /v1/objects/{id}/complete        UPLOADING -> READ_ONLY; 409 otherwise or before any
//                                         content was PUT
//   POST /v1/objects/{id}/delete          -> ObjectView, state DELETED; the content is removed
//   GET  /v1/objects/{id}/download?duration_seconds (1..604800, default 3600)  {download_url}
//
// and the two URLs those hand out, which carry their own credential instead of the server's
// token (as Runloop's presigned URLs do), on this same server:
//
//   PUT  /v1/objects/{id}/upload?token=T  the body becomes the content (streamed to disk; a
//                                         later PUT replaces it) -> ObjectView; only while
//                                         UPLOADING (409), with the object's token (403); past the
//                                         size cap 413
//   GET  /v1/objects/{id}/content?expires_ms=E&signature=S   the content; 403 for a signature
//                                         that does not match, 410 once expired, 404 once deleted,
//                                         409 before complete
//
// URLs are built from the request's Host header, so they reach this server the way the client
// did. Errors are answered as every route of RestServer: {"error": message} with the kind's
// status (413 and 410 as above).
#pragma once

#include <memory>

#include "platform/objects.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::platform::serve {

// Registers the routes above on `server` (and opens the upload and content paths to requests
// without the token); `objects` is kept alive by them.
void register_object_routes(RestServer& server, std::shared_ptr<ObjectService> objects);

}  // namespace runagents::platform::serve
