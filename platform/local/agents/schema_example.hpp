// A JSON value that satisfies a JSON Schema, made up from the schema alone: what the deterministic
// playground model answers when a query asks for structured output. Covers the keywords agents'
// answer schemas use (type, properties/required, items/minItems/maxItems, enum/const,
// anyOf/oneOf/allOf, $ref into $defs/definitions, string length and common formats, numeric
// bounds and multipleOf). For a schema it cannot satisfy (a pattern, contradictory bounds) the
// value may not validate; the caller checks it and reports the mismatch.
#pragma once

#include <nlohmann/json.hpp>

namespace runagents::platform::local {

// Throws nothing; an unusable schema (not an object or boolean) gives null.
nlohmann::json example_for_schema(const nlohmann::json& schema);

}  // namespace runagents::platform::local
