// The one place that hides secrets before they are shown or logged: one loop (redact_all) with
// the two masks the callers need.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace runagents::common {

// How redact_all shows a secret in its place.
enum class SecretMask {
  // redact_secret(secret), so a person can tell which configured credential it was. Secrets
  // shorter than 4 characters are left alone (they would mask ordinary words).
  kept_ends,
  // "[REDACTED]", for secrets a caller listed (run_query's secrets_to_redact). Every non-empty
  // secret is masked, however short.
  redacted,
};

// A secret as it may be shown: its well-known prefix (ra_ws_, sk-, ...) and its last four
// characters, e.g. "ra_ws_…abcd"; "…" alone for a secret of 12 characters or fewer; "" for "".
std::string redact_secret(std::string_view secret);

// `text` with every occurrence of each of `secrets` replaced by its mask. The longest secrets go
// first, so a secret that contains another is masked whole.
std::string redact_all(std::string text, const std::vector<std::string>& secrets, SecretMask mask);

// redact_all(text, {secret}, SecretMask::kept_ends).
std::string redact_in(std::string text, std::string_view secret);

// redact_all(text, secrets, SecretMask::redacted). (The JSON form is in platform/queries.hpp.)
std::string redact_secrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace runagents::common
