// Names the platform accepts for agents, tools, policies and namespaces: DNS labels, as the
// RunAgents platform (Kubernetes underneath) requires.
#pragma once

#include <string>
#include <string_view>

namespace runagents::platform {

// 1-63 characters of [a-z0-9-], starting and ending with a letter or digit.
bool is_dns_label(std::string_view name);

// Throws PlatformError(invalid) "<what> 'Foo_1' is not valid: ..." with the rule and a suggested
// valid spelling when `name` is not a DNS label.
void require_dns_label(std::string_view name, std::string_view what);

}  // namespace runagents::platform
