// Policy evaluation (deny > approval_required > allow > default deny; required tools allowed
// unless a policy says otherwise), rule validation, durations and timestamps.
#include "platform/local/agents/policy.hpp"
#include "platform/local/store/timestamps.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using namespace runagents::platform::local;

namespace {

Policy policy(std::string name, std::vector<PolicyRule> rules) {
  Policy p;
  p.name = std::move(name);
  p.rules = std::move(rules);
  return p;
}

const ToolCall kPost{"echo-tool", "http://echo.runagents.local/echo", "POST"};
const ToolCall kGet{"echo-tool", "http://echo.runagents.local/echo", "GET"};

}  // namespace

TEST_SUITE("platform") {
  TEST_CASE("policy: default deny, required tools allowed") {
    CHECK(evaluate_policy({}, {}, kPost).permission == Permission::deny);
    CHECK(evaluate_policy({}, {"other"}, kPost).permission == Permission::deny);
    auto d = evaluate_policy({}, {"echo-tool"}, kPost);
    CHECK(d.permission == Permission::allow);
    CHECK(d.reason.find("required tool") != std::string::npos);
  }

  TEST_CASE("policy: deny > approval_required > allow, across policies") {
    auto allow = policy("a", {{"allow", "echo-tool", {}}});
    auto approve = policy("b", {{"approval_required", "*", {"POST"}}});
    auto deny = policy("c", {{"deny", "http://echo.runagents.local/*", {}}});
    CHECK(evaluate_policy({allow}, {}, kPost).permission == Permission::allow);
    CHECK(evaluate_policy({allow, approve}, {}, kPost).permission == Permission::approval_required);
    CHECK(evaluate_policy({approve, allow}, {}, kPost).permission == Permission::approval_required);
    CHECK(evaluate_policy({allow, approve, deny}, {}, kPost).permission == Permission::deny);
    // Operations narrow a rule: GET is not held by the POST-only approval rule.
    CHECK(evaluate_policy({allow, approve}, {}, kGet).permission == Permission::allow);
    // A policy overrides the required-tools default.
    auto d = evaluate_policy({approve}, {"echo-tool"}, kPost);
    CHECK(d.permission == Permission::approval_required);
    CHECK(d.reason.find("policy b") != std::string::npos);
    CHECK(evaluate_policy({deny}, {"echo-tool"}, kGet).permission == Permission::deny);
  }

  TEST_CASE("policy: resources match names, '*' and URL prefixes") {
    CHECK(rule_matches({"allow", "echo-tool", {}}, kPost));
    CHECK_FALSE(rule_matches({"allow", "other-tool", {}}, kPost));
    CHECK(rule_matches({"allow", "*", {}}, kPost));
    CHECK(rule_matches({"allow", "http://echo.runagents.local/*", {}}, kPost));
    CHECK_FALSE(rule_matches({"allow", "https://api.example.com/*", {}}, kPost));
    CHECK(rule_matches({"allow", "http://echo.runagents.local/echo", {"post"}}, kPost));
    CHECK_FALSE(rule_matches({"allow", "echo-tool", {"GET", "DELETE"}}, kPost));
  }

  TEST_CASE("policy: rule validation names the field") {
    PolicyRule bad{"maybe", "echo-tool", {}};
    try {
      validate_rule(bad, "policies[2]");
      FAIL("expected an error");
    } catch (const PlatformError& e) {
      CHECK(std::string(e.what()).find("policies[2].permission") != std::string::npos);
    }
    PolicyRule empty{"allow", "", {}};
    CHECK_THROWS_AS(validate_rule(empty, "p"), PlatformError);
    PolicyRule verb{"allow", "x", {"FETCH"}};
    CHECK_THROWS_AS(validate_rule(verb, "p"), PlatformError);
    PolicyRule ok{"deny", "x", {"get", "post"}};
    validate_rule(ok, "p");
    CHECK(ok.operations == std::vector<std::string>{"GET", "POST"});
  }

  TEST_CASE("durations and timestamps") {
    CHECK(parse_duration("30m") == std::chrono::seconds(1800));
    CHECK(parse_duration("4h") == std::chrono::seconds(4 * 3600));
    CHECK(parse_duration("1h30m") == std::chrono::seconds(5400));
    CHECK(parse_duration("90s") == std::chrono::seconds(90));
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("4"));
    CHECK_FALSE(parse_duration("h"));
    CHECK_FALSE(parse_duration("30m1h"));
    CHECK_FALSE(parse_duration("0m"));
    CHECK_FALSE(parse_duration("-1h"));
    auto now = SystemClock::now();
    auto text = format_timestamp(now);
    CHECK(text.size() == 24);
    CHECK(text.back() == 'Z');
    auto back = parse_timestamp(text);
    REQUIRE(back);
    CHECK(std::chrono::abs(*back - now) < std::chrono::milliseconds(2));
    CHECK(parse_timestamp("2026-02-23T10:00:00Z"));
    CHECK_FALSE(parse_timestamp("yesterday"));
    CHECK(format_timestamp(now) < format_timestamp(now + std::chrono::seconds(1)));
  }
}
