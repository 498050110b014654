#include "platform/local/agents/schema_example.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

namespace runagents::platform::local {

namespace {

using json = nlohmann::json;

constexpr int kMaxDepth = 24;

// A non-negative integer keyword (minItems, maxLength, ...), parsed as signed or unsigned.
std::optional<std::size_t> count(const json& schema, const char* key) {
  if (!schema.contains(key) || !schema[key].is_number_integer()) return std::nullopt;
  const auto v = schema[key].get<long long>();
  if (v < 0) return std::nullopt;
  return static_cast<std::size_t>(v);
}

class Generator {
 public:
  explicit Generator(const json& root) : root_(root) {}

  json make(const json& schema, int depth) const {
    if (depth > kMaxDepth) return nullptr;
    if (schema.is_boolean()) return schema.get<bool>() ? json("example") : json(nullptr);
    if (!schema.is_object()) return nullptr;
    if (schema.contains("$ref") && schema["$ref"].is_string()) {
      if (const json* target = resolve(schema["$ref"].get<std::string>()))
        return make(*target, depth + 1);
    }
    if (schema.contains("const")) return schema["const"];
    if (schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty())
      return schema["enum"][0];
    if (schema.contains("default")) return schema["default"];
    if (schema.contains("examples") && schema["examples"].is_array() && !schema["examples"].empty())
      return schema["examples"][0];
    for (const char* key : {"oneOf", "anyOf"})
      if (schema.contains(key) && schema[key].is_array() && !schema[key].empty())
        return make(schema[key][0], depth + 1);
    if (schema.contains("allOf") && schema["allOf"].is_array()) return make(merged(schema), depth);

    std::string type = type_of(schema);
    if (type == "object") return object(schema, depth);
    if (type == "array") return array(schema, depth);
    if (type == "string") return string(schema);
    if (type == "integer") return number(schema, true);
    if (type == "number") return number(schema, false);
    if (type == "boolean") return true;
    if (type == "null") return nullptr;
    return "example";
  }

 private:
  const json* resolve(const std::string& ref) const {
    if (ref == "#") return &root_;
    if (ref.rfind("#/", 0) != 0) return nullptr;
    try {
      const json& target = root_.at(json::json_pointer(ref.substr(1)));
      return &target;
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  // The schema with its allOf parts folded in (properties and required merged; other keywords of
  // a part fill what the schema does not say).
  static json merged(const json& schema) {
    json out = schema;
    out.erase("allOf");
    for (const auto& part : schema["allOf"]) {
      if (!part.is_object()) continue;
      for (const auto& [key, value] : part.items()) {
        if (key == "properties" && value.is_object()) {
          for (const auto& [name, prop] : value.items())
            if (!out["properties"].contains(name)) out["properties"][name] = prop;
        } else if (key == "required" && value.is_array()) {
          for (const auto& r : value) out["required"].push_back(r);
        } else if (!out.contains(key)) {
          out[key] = value;
        }
      }
    }
    return out;
  }

  static std::string type_of(const json& schema) {
    if (schema.contains("type")) {
      const json& t = schema["type"];
      if (t.is_string()) return t.get<std::string>();
      if (t.is_array()) {
        for (const auto& v : t)
          if (v.is_string() && v != "null") return v.get<std::string>();
        if (!t.empty() && t[0].is_string()) return t[0].get<std::string>();
      }
    }
    if (schema.contains("properties") || schema.contains("required")) return "object";
    if (schema.contains("items") || schema.contains("prefixItems")) return "array";
    if (schema.contains("minimum") || schema.contains("maximum")) return "number";
    if (schema.contains("minLength") || schema.contains("format")) return "string";
    return "string";
  }

  json object(const json& schema, int depth) const {
    json out = json::object();
    if (schema.contains("properties") && schema["properties"].is_object())
      for (const auto& [name, prop] : schema["properties"].items())
        out[name] = make(prop, depth + 1);
    if (schema.contains("required") && schema["required"].is_array()) {
      for (const auto& r : schema["required"]) {
        if (!r.is_string() || out.contains(r.get<std::string>())) continue;
        const json& extra = schema.value("additionalProperties", json(true));
        out[r.get<std::string>()] = make(extra.is_object() ? extra : json(true), depth + 1);
      }
    }
    return out;
  }

  json array(const json& schema, int depth) const {
    json out = json::array();
    if (schema.contains("prefixItems") && schema["prefixItems"].is_array())
      for (const auto& item : schema["prefixItems"]) out.push_back(make(item, depth + 1));
    std::size_t want = std::max<std::size_t>(out.size(), 1);
    if (auto min = count(schema, "minItems")) want = std::max(want, *min);
    if (auto max = count(schema, "maxItems")) want = std::min(want, *max);
    want = std::min<std::size_t>(want, 64);
    const json items = schema.value("items", json(true));
    const bool unique = schema.value("uniqueItems", false);
    while (out.size() < want) {
      json v = make(items, depth + 1);
      if (unique && std::find(out.begin(), out.end(), v) != out.end()) {
        if (v.is_string())
          v = v.get<std::string>() + "-" + std::to_string(out.size());
        else if (v.is_number())
          v = v.get<double>() + static_cast<double>(out.size());
        else
          break;
      }
      out.push_back(std::move(v));
    }
    while (out.size() > want) out.erase(out.end() - 1);
    return out;
  }

  static json string(const json& schema) {
    const std::string format = schema.value("format", "");
    std::string s = "example";
    if (format == "date-time")
      s = "2026-01-01T00:00:00Z";
    else if (format == "date")
      s = "2026-01-01";
    else if (format == "time")
      s = "00:00:00Z";
    else if (format == "email")
      s = "user@example.com";
    else if (format == "uri" || format == "url")
      s = "https://example.com/";
    else if (format == "uuid")
      s = "00000000-0000-4000-8000-000000000000";
    else if (format == "ipv4")
      s = "192.0.2.1";
    else if (format == "hostname")
      s = "example.com";
    if (auto min = count(schema, "minLength"); min && s.size() < *min)
      s.append(*min - s.size(), 'x');
    if (auto max = count(schema, "maxLength"); max && s.size() > *max) s.resize(*max);
    return s;
  }

  static json number(const json& schema, bool integer) {
    auto bound = [&](const char* key) -> std::optional<double> {
      if (schema.contains(key) && schema[key].is_number()) return schema[key].get<double>();
      return std::nullopt;
    };
    double lo = -1e15, hi = 1e15;
    if (auto v = bound("minimum")) lo = *v;
    if (auto v = bound("exclusiveMinimum")) lo = integer ? std::floor(*v) + 1 : *v + 0.5;
    if (auto v = bound("maximum")) hi = *v;
    if (auto v = bound("exclusiveMaximum")) hi = integer ? std::ceil(*v) - 1 : *v - 0.5;
    double v = std::clamp(0.0, lo, std::max(lo, hi));
    if (integer) v = std::ceil(v);
    if (auto step = bound("multipleOf"); step && *step > 0) v = std::ceil(v / *step) * *step;
    if (integer) return static_cast<long long>(v);
    return v;
  }

  const json& root_;
};

}  // namespace

nlohmann::json example_for_schema(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) return nullptr;
  return Generator(schema).make(schema, 0);
}

}  // namespace runagents::platform::local
