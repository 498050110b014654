// Named policies that can be read, written and deleted one by one: an optional capability of a
// PolicyService, found with policy_writer() (the local platform's PolicyService has it), so that
// platform/platform.hpp keeps its read-only PolicyService. `platform serve` answers the Policies
// API (GET/POST /api/policies, GET/PUT/DELETE /api/policies/{name}) with it.
#pragma once

#include <string>

#include "platform/platform.hpp"

namespace runagents::platform::local {

class PolicyWriter {
 public:
  PolicyWriter() = default;
  PolicyWriter(const PolicyWriter&) = delete;
  PolicyWriter& operator=(const PolicyWriter&) = delete;
  virtual ~PolicyWriter() = default;

  // The policy `name` in `ns` (empty: the configured namespace), with the agents bound to it.
  // Throws not_found "policy <ns>/<name> not found; ...".
  virtual Policy get(const std::string& ns, const std::string& name) = 0;

  struct PutResult {
    Policy policy;
    bool created = false;  // false: an existing policy of that name was replaced
  };
  // Stores `policy.rules` as the policy `policy.name` in `policy.ns` (empty: configured),
  // replacing the rules of an existing one (its bindings stay). With `create` false, a missing
  // policy is not_found (PUT); with `create` true it is created (POST). Throws invalid naming the
  // field for a bad name or rule.
  virtual PutResult put(const Policy& policy, bool create) = 0;

  // Deletes the policy and its bindings. Throws not_found for an unknown policy.
  virtual void remove(const std::string& ns, const std::string& name) = 0;
};

// The writer behind `policies`, or nullptr when it has none (a remote or wrapped service).
inline PolicyWriter* policy_writer(PolicyService* policies) {
  return dynamic_cast<PolicyWriter*>(policies);
}

}  // namespace runagents::platform::local
