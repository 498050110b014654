#include "server/schema_validator.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace runagents::mcp {

SchemaValidator::SchemaValidator(const json& schema) : schema_(std::make_unique<valijson::Schema>()) {
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, *schema_);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("invalid JSON Schema: ") + e.what());
  }
}

SchemaValidator::~SchemaValidator() = default;

std::string field_path(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string inner = part;
    if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') {
      inner = inner.substr(1, inner.size() - 2);
    }
    bool numeric = !inner.empty() && std::all_of(inner.begin(), inner.end(), [](unsigned char c) {
      return std::isdigit(c);
    });
    if (numeric) {
      out += "[" + inner + "]";
    } else {
      if (!out.empty()) out += ".";
      out += inner;
    }
  }
  return out;
}

std::vector<std::string> SchemaValidator::validate(const json& value) const {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  if (validator.validate(*schema_, target, &results)) return {};

  // valijson reports a chain per failure (the property, then the rule inside it). The deepest
  // entries name the rule that actually failed; keep those first.
  struct Item {
    size_t depth;
    std::string line;
  };
  std::vector<Item> items;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string path = field_path(error.context);
    std::string line = (path.empty() ? std::string("(top level)") : path) + ": " + error.description;
    items.push_back({error.context.size(), std::move(line)});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.depth > b.depth; });
  std::vector<std::string> lines;
  for (auto& item : items) {
    // Drop valijson's summary lines ("Failed to validate against schema associated with
    // property name 'x'.") when a more specific line for the same field exists.
    if (item.line.find("Failed to validate against schema associated with") != std::string::npos &&
        !lines.empty()) {
      continue;
    }
    if (std::find(lines.begin(), lines.end(), item.line) == lines.end()) lines.push_back(item.line);
  }
  return lines;
}

}  // namespace runagents::mcp
