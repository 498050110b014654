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

// Where a piece of a longer text was cut, so that a secret split by the cut is not shown in part.
struct TextCuts {
  bool start = false;  // the piece begins inside the text (a page read at an offset > 0)
  bool end = false;    // the piece ends inside the text (a page that stops before the end)
  // The piece is output still being written: a trailing part that may become a secret when more
  // arrives is left out (not masked), so each later, longer piece begins with this one.
  bool growing = false;
  // The piece holds lines "[... N bytes omitted ...]" where output was cut (a capped stream's
  // head and tail): each is a cut too.
  bool omitted_markers = false;
};

// redact_secrets, then at each cut: a leading part of 3 bytes or more that ends a secret, and a
// trailing part of 3 bytes or more that begins one, become "[REDACTED]" too (with `growing`, a
// trailing part of any length that begins a secret is dropped instead).
std::string redact_secrets_cut(std::string text, const std::vector<std::string>& secrets,
                               TextCuts cuts);

}  // namespace runagents::common
