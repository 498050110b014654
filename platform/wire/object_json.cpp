#include "platform/wire/object_json.hpp"

namespace runagents::platform {

namespace {

[[noreturn]] void bad_object_field(const std::string& field, const std::string& want) {
  throw PlatformError(ErrorKind::invalid, field + " must be " + want);
}

}  // namespace

json object_to_wire(const ObjectView& o) {
  json metadata = json::object();
  for (const auto& [k, v] : o.metadata) metadata[k] = v;
  return {{"id", o.id},
          {"name", o.name},
          {"content_type", o.content_type},
          {"state", o.state},
          {"create_time_ms", o.create_time_ms},
          {"size_bytes", o.size_bytes ? json(*o.size_bytes) : json(nullptr)},
          {"metadata", std::move(metadata)},
          {"delete_after_time_ms",
           o.delete_after_time_ms ? json(*o.delete_after_time_ms) : json(nullptr)}};
}

ObjectView object_from_wire(const json& v) {
  ObjectView o;
  if (!v.is_object()) return o;
  o.id = v.value("id", "");
  o.name = v.value("name", "");
  o.content_type = v.value("content_type", "unspecified");
  o.state = v.value("state", "");
  if (auto it = v.find("create_time_ms"); it != v.end() && it->is_number_integer())
    o.create_time_ms = it->get<std::int64_t>();
  if (auto it = v.find("size_bytes"); it != v.end() && it->is_number_integer())
    o.size_bytes = it->get<std::int64_t>();
  if (auto it = v.find("delete_after_time_ms"); it != v.end() && it->is_number_integer())
    o.delete_after_time_ms = it->get<std::int64_t>();
  if (auto it = v.find("metadata"); it != v.end() && it->is_object()) {
    for (auto& [k, value] : it->items())
      if (value.is_string()) o.metadata[k] = value.get<std::string>();
  }
  return o;
}

ObjectCreateRequest object_create_from_wire(const json& body) {
  if (!body.is_object())
    throw PlatformError(ErrorKind::invalid,
                        "the body must be a JSON object {name, content_type, metadata?, ttl_ms?}");
  ObjectCreateRequest r;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) bad_object_field("name", "a string (required)");
  r.name = name->get<std::string>();
  auto type = body.find("content_type");
  if (type == body.end() || !type->is_string())
    bad_object_field("content_type",
                     "a string (required): unspecified, text, binary, gzip, tar or tgz");
  r.content_type = type->get<std::string>();
  if (auto m = body.find("metadata"); m != body.end() && !m->is_null()) {
    if (!m->is_object()) bad_object_field("metadata", "an object of strings");
    for (auto& [k, v] : m->items()) {
      if (!v.is_string()) bad_object_field("metadata." + k, "a string");
      r.metadata[k] = v.get<std::string>();
    }
  }
  if (auto t = body.find("ttl_ms"); t != body.end() && !t->is_null()) {
    if (!t->is_number_integer() && !t->is_number_unsigned())
      bad_object_field("ttl_ms", "an integer number of milliseconds");
    if (t->is_number_unsigned() && t->get<std::uint64_t>() > (1ull << 62))
      bad_object_field("ttl_ms", "at most 2^62");
    r.ttl_ms = t->get<std::int64_t>();
  }
  return r;
}

json object_page_to_wire(const ObjectListPage& page) {
  json objects = json::array();
  for (const auto& o : page.objects) objects.push_back(object_to_wire(o));
  json out = {{"objects", std::move(objects)}, {"has_more", page.has_more}};
  if (page.total_count) out["total_count"] = *page.total_count;
  return out;
}

}  // namespace runagents::platform
