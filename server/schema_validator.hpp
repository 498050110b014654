// JSON Schema validation (valijson, draft-7 keywords; a 2020-12 `$schema` is accepted and
// `$ref` into `$defs` resolves; 2020-12-only keywords such as prefixItems are ignored, so our own
// schemas stay in the common subset). Compiled once; validate() is const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/json_rpc.hpp"

namespace valijson {
class Schema;
}

namespace runagents::mcp {

class SchemaValidator {
 public:
  // Throws std::invalid_argument when `schema` cannot be compiled.
  explicit SchemaValidator(const json& schema);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // Empty when `value` is valid; otherwise one line per problem, most specific first, each
  // naming the field: "limit: Expected number less than or equal to 200".
  std::vector<std::string> validate(const json& value) const;

 private:
  std::unique_ptr<valijson::Schema> schema_;
};

// "<root>[a][0][b]" -> "a[0].b"; "" for the root itself.
std::string field_path(const std::vector<std::string>& context);

}  // namespace runagents::mcp
