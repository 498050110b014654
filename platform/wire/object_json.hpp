// The Runloop wire shapes of storage objects (shared/reference/runloop-and-runtimeuse.md,
// "Objects"; Runloop's src/resources/objects.ts): ObjectView, ObjectCreateParams and
// ObjectListView. `platform serve` writes them; a remote client would read them with the same
// functions. Parsing is tolerant of unknown fields and strict about the types of known ones.
#pragma once

#include <nlohmann/json.hpp>

#include "platform/objects.hpp"

namespace runagents::platform {

using json = nlohmann::json;

// ObjectView: size_bytes and delete_after_time_ms are null when unset; no upload_url (the
// caller adds it to create's answer).
json object_to_wire(const ObjectView& object);
ObjectView object_from_wire(const json& view);

// The POST /v1/objects body. Throws PlatformError(invalid) naming the field for a missing
// required field or a value of the wrong type.
ObjectCreateRequest object_create_from_wire(const json& body);

// ObjectListView: {objects, has_more, total_count (when counted)}.
json object_page_to_wire(const ObjectListPage& page);

}  // namespace runagents::platform
