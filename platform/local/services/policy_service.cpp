// PolicyService of the local platform, with its PolicyWriter (create, replace, delete).
#include "platform/local/agents/policy.hpp"
#include "platform/local/services/local_services.hpp"
#include "platform/local/services/policy_writer.hpp"
#include "platform/local/store/agent_store.hpp"
#include "platform/local/store/timestamps.hpp"
#include "platform/names.hpp"

namespace runagents::platform::local {

namespace {

[[noreturn]] void throw_policy_not_found(const std::string& ns, const std::string& name) {
  throw PlatformError(ErrorKind::not_found, "policy " + ns + "/" + name +
                                                " not found; export_context lists existing "
                                                "policies");
}

class LocalPolicies : public PolicyService, public PolicyWriter {
 public:
  explicit LocalPolicies(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}
  std::vector<Policy> list(const std::string& ns) override {
    return list_policies(*state_->db, ns);
  }

  Policy get(const std::string& ns_in, const std::string& name) override {
    const std::string ns = ns_or_default(ns_in);
    auto p = find_policy(*state_->db, ns, name);
    if (!p) throw_policy_not_found(ns, name);
    return *p;
  }

  PutResult put(const Policy& in, bool create) override {
    Policy p = in;
    p.ns = ns_or_default(p.ns);
    require_dns_label(p.name, "policy name");
    require_dns_label(p.ns, "namespace");
    for (std::size_t i = 0; i < p.rules.size(); ++i)
      validate_rule(p.rules[i], "spec.policies[" + std::to_string(i) + "]");
    Database& db = *state_->db;
    bool created = false;
    db.transaction([&] {
      created =
          db.query("SELECT 1 FROM policies WHERE ns = ?1 AND name = ?2", {p.ns, p.name}).empty();
      if (created && !create) throw_policy_not_found(p.ns, p.name);
      db.execute(
          "INSERT INTO policies (ns, name, rules, created_at, updated_at) VALUES (?1, ?2, ?3, "
          "?4, ?4) ON CONFLICT (ns, name) DO UPDATE SET rules = ?3, updated_at = ?4",
          {p.ns, p.name, rules_to_json(p.rules).dump(), now_timestamp()});
    });
    return {get(p.ns, p.name), created};
  }

  void remove(const std::string& ns_in, const std::string& name) override {
    const std::string ns = ns_or_default(ns_in);
    Database& db = *state_->db;
    db.transaction([&] {
      if (db.execute("DELETE FROM policies WHERE ns = ?1 AND name = ?2", {ns, name}) == 0)
        throw_policy_not_found(ns, name);
      db.execute("DELETE FROM policy_bindings WHERE ns = ?1 AND policy = ?2", {ns, name});
    });
  }

 private:
  std::string ns_or_default(const std::string& ns) const {
    return ns.empty() ? state_->options.ns : ns;
  }

  std::shared_ptr<LocalState> state_;
};

}  // namespace

std::shared_ptr<PolicyService> make_local_policies(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalPolicies>(std::move(state));
}
}  // namespace runagents::platform::local
