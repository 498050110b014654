#include "platform/serve/runagents_routes.hpp"

#include <algorithm>

#include "platform/http/http_client.hpp"
#include "platform/local/services/policy_writer.hpp"
#include "platform/remote/runagents/runagents_client.hpp"
#include "platform/serve/runtime_routes.hpp"
#include "platform/wire/runagents_json.hpp"

namespace runagents::platform::serve {

namespace {

using namespace runagents::platform::remote;

// The namespace of a request without one in its path.
std::string request_ns(const httplib::Request& req, const json& body, const Platform& p) {
  if (body.is_object()) {
    auto it = body.find("namespace");
    if (it != body.end() && it->is_string() && !it->get<std::string>().empty()) return *it;
  }
  std::string header = req.get_header_value("X-Workspace-Namespace");
  return header.empty() ? p.ns : header;
}

int int_param(const httplib::Request& req, const char* name, int fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return static_cast<int>(std::clamp<long long>(n, -1000000000LL, 1000000000LL));
  } catch (const std::exception&) {
    throw PlatformError(ErrorKind::invalid, "query parameter '" + std::string(name) +
                                                "' must be an integer, not '" + v + "'");
  }
}

std::string param(const httplib::Request& req, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (req.has_param(n)) return req.get_param_value(n);
  }
  return "";
}

json array_of(const auto& items, auto&& to_json) {
  json out = json::array();
  for (const auto& i : items) out.push_back(to_json(i));
  return out;
}

std::string object_string(const json& body, const char* key) {
  if (!body.is_object()) return "";
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return "";
  if (!it->is_string()) {
    throw PlatformError(ErrorKind::invalid, std::string("field '") + key + "' must be a string");
  }
  return it->get<std::string>();
}

// The Policies API body {"name", "spec": {"policies": [rules], "approvals": []}} as a Policy
// named `path_name` (PUT; a body name, when given, must match) or the body's name (POST).
Policy policy_from_body(const json& body, const std::string& path_name) {
  if (!body.is_object()) {
    throw PlatformError(ErrorKind::invalid,
                        "the body must be a JSON object {\"name\": \"...\", \"spec\": "
                        "{\"policies\": [{\"permission\", \"resource\", \"operations\"}]}}");
  }
  Policy p;
  p.name = object_string(body, "name");
  if (!path_name.empty()) {
    if (!p.name.empty() && p.name != path_name) {
      throw PlatformError(
          ErrorKind::invalid,
          "field 'name' ('" + p.name + "') does not match the path ('" + path_name + "')");
    }
    p.name = path_name;
  }
  if (p.name.empty()) throw PlatformError(ErrorKind::invalid, "field 'name' is required");
  const json* rules = nullptr;
  if (auto spec = body.find("spec"); spec != body.end() && !spec->is_null()) {
    if (!spec->is_object()) {
      throw PlatformError(ErrorKind::invalid,
                          "field 'spec' must be an object {policies, approvals}");
    }
    if (auto a = spec->find("approvals"); a != spec->end() && !a->is_null()) {
      if (!a->is_array())
        throw PlatformError(ErrorKind::invalid, "field 'spec.approvals' must be an array");
      if (!a->empty()) {
        throw PlatformError(
            ErrorKind::invalid,
            "spec.approvals (approval routing rules) is not supported by the local "
            "platform; use rules with permission approval_required in spec.policies");
      }
    }
    if (auto r = spec->find("policies"); r != spec->end() && !r->is_null()) rules = &*r;
  } else if (auto r = body.find("rules"); r != body.end() && !r->is_null()) {
    rules = &*r;
  }
  if (rules) {
    if (!rules->is_array()) {
      throw PlatformError(ErrorKind::invalid,
                          "field 'spec.policies' must be an array of {permission, resource, "
                          "operations}");
    }
    for (const auto& r : *rules) p.rules.push_back(policy_rule_from_json(r));
  }
  return p;
}

local::PolicyWriter& writer_of(const Platform& p) {
  local::PolicyWriter* w = local::policy_writer(p.policies.get());
  if (!w) {
    throw PlatformError(ErrorKind::unavailable, "this platform's policies cannot be written here");
  }
  return *w;
}

}  // namespace

void register_runagents_routes(RestServer& server, const Platform& platform) {
  // The routes share one copy of the bundle, which keeps the services alive.
  auto p = std::make_shared<const Platform>(platform);

  // ----- agents
  server.get("/api/agents", [p](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200,
               array_of(p->agents->list(req.get_param_value("namespace")), agent_to_json));
  });
  server.get("/api/agents/([^/]+)/([^/]+)",
             [p](const httplib::Request& req, httplib::Response& res) {
               reply_json(res, 200, agent_to_json(p->agents->get(req.matches[1], req.matches[2])));
             });
  server.get("/api/agents/([^/]*)", [](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 400, {{"error", "path must be /api/agents/{namespace}/{name}"}});
  });
  server.post("/api/agents/([^/]+)/([^/]+)/invoke",
              [p, &server](const httplib::Request& req, httplib::Response& res) {
                json body = body_json(req);
                if (!body.is_object()) {
                  throw PlatformError(ErrorKind::invalid,
                                      "the body must be a JSON object {\"message\": \"...\"}");
                }
                InvokeRequest in;
                in.ns = req.matches[1];
                in.agent = req.matches[2];
                in.message = object_string(body, "message");
                if (in.message.empty()) {
                  throw PlatformError(ErrorKind::invalid, "message is required");
                }
                if (auto h = body.find("history"); h != body.end() && !h->is_null()) {
                  if (!h->is_array()) {
                    throw PlatformError(ErrorKind::invalid,
                                        "field 'history' must be an array of {role, content}");
                  }
                  in.history = *h;
                }
                in.user_id = object_string(body, "user_id");
                if (in.user_id.empty()) in.user_id = req.get_header_value("X-End-User-Id");
                // A run made with POST /runs: the header wins over the body (reference §3).
                in.run_id = req.get_header_value("X-Run-ID");
                if (in.run_id.empty()) in.run_id = object_string(body, "run_id");
                // SIGTERM stops the run (FAILED, "server stopped") instead of waiting for it.
                auto stop = server.stop_link();
                in.cancel = stop->cancel;
                InvokeResult r = p->agents->invoke(in);
                json out = r.response.is_object() ? r.response : json{{"response", r.response}};
                out["run_id"] = r.run_id;
                out["run_status"] = r.status;
                res.set_header("X-Run-ID", r.run_id);
                res.set_header("X-Run-Status", r.status);
                reply_json(res, 200, out);
              });
  // The runtime's streaming and resume paths for a deployed agent (runtime_routes.hpp).
  register_runtime_routes(server, platform,
                          {"/api/agents/([^/]+)/([^/]+)",
                           [](const httplib::Request& req) {
                             return RuntimeAgent{req.matches[1], req.matches[2]};
                           },
                           false});
  server.post("/api/deploy", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    DeployRequest d = deploy_request_from_json(body);
    if (d.agent_name.empty()) throw PlatformError(ErrorKind::invalid, "agent_name is required");
    d.ns = request_ns(req, body, *p);
    DeployResult r = p->agents->deploy(d);
    reply_json(res, r.status == "created" ? 201 : 200, deploy_result_to_json(r));
  });
  server.post("/ingestion/analyze", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    if (!body.is_object() || !body.contains("files") || !body["files"].is_object()) {
      throw PlatformError(ErrorKind::invalid,
                          "the body must be {\"files\": {\"agent.py\": \"...source...\"}}");
    }
    DeployRequest d;
    d.agent_name = "analysis";
    d.ns = request_ns(req, body, *p);
    d.dry_run = true;
    for (const auto& [file, text] : body["files"].items()) {
      if (!text.is_string()) {
        throw PlatformError(ErrorKind::invalid, "files." + file + " must be a string");
      }
      d.source_files[file] = text.get<std::string>();
    }
    DeployResult r = p->agents->deploy(d);
    json out = analysis_to_wire(r.analysis);
    out["id"] = "analysis-" + random_uuid().substr(0, 8);
    out["warnings"] = r.warnings;
    reply_json(res, 201, out);
  });

  // ----- tools, model providers, policies, starter kit, context
  server.get("/api/tools", [p](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, array_of(p->tools->list(), tool_to_json));
  });
  server.get("/api/tools/([^/]+)", [p](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200, tool_to_json(p->tools->get(req.matches[1])));
  });
  server.post("/api/tools", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    ToolRegistration t = tool_registration_from_json(body);
    if (t.name.empty()) throw PlatformError(ErrorKind::invalid, "field 'name' is required");
    auto r = p->tools->upsert(t);
    json out = tool_to_json(r.tool);
    out["created"] = r.created;
    reply_json(res, r.created ? 201 : 200, out);
  });
  server.get("/api/model-providers", [p](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, array_of(p->models->list(), model_provider_to_json));
  });
  server.get("/api/policies", [p](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200,
               array_of(p->policies->list(req.get_param_value("namespace")), policy_to_json));
  });
  // The Policies API. PUT replaces an existing policy (404 when there is none: create it with
  // POST); POST creates one, or replaces the rules of an existing one of that name (201 / 200).
  // Bindings are made by deploy's `policies` names and survive a PUT.
  server.post("/api/policies", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    Policy policy = policy_from_body(body, "");
    policy.ns = request_ns(req, body, *p);
    auto r = writer_of(*p).put(policy, true);
    reply_json(res, r.created ? 201 : 200, policy_to_json(r.policy));
  });
  server.get("/api/policies/([^/]+)", [p](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200,
               policy_to_json(writer_of(*p).get(request_ns(req, json(), *p), req.matches[1])));
  });
  server.put("/api/policies/([^/]+)", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    Policy policy = policy_from_body(body, req.matches[1]);
    policy.ns = request_ns(req, body, *p);
    reply_json(res, 200, policy_to_json(writer_of(*p).put(policy, false).policy));
  });
  server.del("/api/policies/([^/]+)", [p](const httplib::Request& req, httplib::Response& res) {
    writer_of(*p).remove(request_ns(req, json(), *p), req.matches[1]);
    reply_json(res, 200, {{"status", "deleted"}});
  });
  server.post("/api/starter-kit", [p](const httplib::Request&, httplib::Response& res) {
    // The local platform seeds both on first start; report what is there.
    json out = json::object();
    for (const auto& t : p->tools->list()) {
      if (t.name == "echo-tool") out["tool_created"] = t.name;
    }
    for (const auto& m : p->models->list()) {
      if (m.name == "playground-llm") out["model_provider_created"] = m.name;
    }
    reply_json(res, 201, out);
  });
  server.get("/api/context/export", [p](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, workspace_context_to_json(p->context->export_context()));
  });

  // ----- runs
  server.get("/runs", [p](const httplib::Request& req, httplib::Response& res) {
    RunFilter f;
    f.agent = param(req, {"agent_id", "agent"});
    f.status = param(req, {"status"});
    f.limit = int_param(req, "limit", 20);
    reply_json(res, 200, array_of(p->runs->list(f), run_to_json));
  });
  server.get("/runs/([^/]+)", [p](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200, run_to_json(p->runs->get(req.matches[1])));
  });
  server.get("/runs/([^/]+)/events", [p](const httplib::Request& req, httplib::Response& res) {
    EventPage page = p->runs->events(req.matches[1], int_param(req, "after_seq", 0),
                                     int_param(req, "limit", 500));
    if (page.more) res.set_header("X-Next-After-Seq", std::to_string(page.next_after_seq));
    reply_json(res, 200, array_of(page.events, run_event_to_json));
  });
  // A run made before its invocation: 201 with the run (invoke it with X-Run-ID).
  server.post("/runs", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    if (!body.is_object()) {
      throw PlatformError(ErrorKind::invalid,
                          "the body must be a JSON object {\"agent_id\": \"...\", \"user_id\": "
                          "\"...\"}");
    }
    RunCreateRequest r;
    r.agent = object_string(body, "agent_id");
    if (r.agent.empty()) r.agent = object_string(body, "agent");
    r.ns = request_ns(req, body, *p);
    r.user_id = object_string(body, "user_id");
    r.conversation_id = object_string(body, "conversation_id");
    reply_json(res, 201, run_to_json(p->runs->create(r)));
  });
  // Status moves (409 for one the lifecycle does not allow); FAILED stops the run's handler.
  server.patch("/runs/([^/]+)", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    const std::string status = object_string(body, "status");
    if (status.empty()) {
      throw PlatformError(ErrorKind::invalid,
                          "the body must be {\"status\": \"RUNNING|PAUSED_APPROVAL|COMPLETED|"
                          "FAILED\"}");
    }
    reply_json(res, 200, run_to_json(p->runs->set_status(req.matches[1], status)));
  });
  server.post("/runs/([^/]+)/events", [p](const httplib::Request& req, httplib::Response& res) {
    json body = body_json(req);
    const std::string type = object_string(body, "type");
    if (type.empty()) {
      throw PlatformError(ErrorKind::invalid,
                          "the body must be {\"type\": \"...\", \"actor\": \"...\"}");
    }
    json data = body.value("data", json::object());
    if (!data.is_object())
      throw PlatformError(ErrorKind::invalid, "field 'data' must be an object");
    const std::string run_id = req.matches[1];
    const std::string actor = object_string(body, "actor");
    p->runs->add_event(run_id, type, actor, data);
    reply_json(res, 201, {{"run_id", run_id}, {"type", type}, {"actor", actor}});
  });

  // ----- approvals
  server.get("/governance/requests", [p](const httplib::Request& req, httplib::Response& res) {
    ApprovalFilter f;
    f.status = param(req, {"status"});
    f.agent = param(req, {"agent_id", "agent"});
    f.limit = int_param(req, "limit", 200);
    reply_json(res, 200, array_of(p->approvals->list(f), access_request_to_json));
  });
  server.get("/governance/requests/([^/]+)",
             [p](const httplib::Request& req, httplib::Response& res) {
               reply_json(res, 200, access_request_to_json(p->approvals->get(req.matches[1])));
             });
  auto decide = [p, &server](bool approve) {
    return [p, approve, &server](const httplib::Request& req, httplib::Response& res) {
      json body = body_json(req);
      if (!body.is_null() && !body.is_object()) {
        throw PlatformError(ErrorKind::invalid, "the body, when given, must be a JSON object");
      }
      ApprovalDecision d;
      d.request_id = req.matches[1];
      d.approve = approve;
      d.scope = object_string(body, "scope");
      d.duration = object_string(body, "duration");
      d.reason = object_string(body, "reason");
      d.approver = object_string(body, "approver_id");
      auto stop = server.stop_link();  // the resumed run stops with the server
      d.cancel = stop->cancel;
      DecisionResult r = p->approvals->decide(d);
      json out = access_request_to_json(r.request);
      out["run_status"] = r.run_status;
      out["agent_response"] = r.response;
      reply_json(res, 200, out);
    };
  };
  server.post("/governance/requests/([^/]+)/approve", decide(true));
  server.post("/governance/requests/([^/]+)/reject", decide(false));
}

}  // namespace runagents::platform::serve
