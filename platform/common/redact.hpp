// The one place that hides secrets before they are shown or logged.
#pragma once

#include <string>
#include <string_view>

namespace runagents::platform {

// A secret as it may be shown: its well-known prefix (ra_ws_, sk-, ...) and its last four
// characters, e.g. "ra_ws_…abcd"; "…" alone for a secret of 12 characters or fewer; "" for "".
std::string redact_secret(std::string_view secret);

// `text` with every occurrence of `secret` replaced by redact_secret(secret). Secrets shorter
// than 4 characters are left alone (they would mask ordinary words).
std::string redact_in(std::string text, std::string_view secret);

}  // namespace runagents::platform
