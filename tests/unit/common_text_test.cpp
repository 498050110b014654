// platform/common/: the one redaction loop, the UTF-8 sequence rules and the cuts of clip.
#include <doctest/doctest.h>

#include "platform/common/clip.hpp"
#include "platform/common/redact.hpp"
#include "platform/common/utf8.hpp"

using namespace runagents;

TEST_SUITE("common") {
  TEST_CASE("redact_all masks the longest secret first, with either mask") {
    using common::SecretMask;
    const std::vector<std::string> secrets = {"abcd", "abcdef", ""};
    CHECK(common::redact_all("x abcdef y abcd", secrets, SecretMask::redacted) ==
          "x [REDACTED] y [REDACTED]");
    CHECK(common::redact_all("x abcdef y abc", secrets, SecretMask::kept_ends) == "x … y abc");
    CHECK(common::redact_all("a b", {"a"}, SecretMask::redacted) == "[REDACTED] b");
    CHECK(common::redact_all("a b", {"a"}, SecretMask::kept_ends) == "a b");
  }

  TEST_CASE("utf8_sequence refuses what JSON serialisers refuse") {
    CHECK(common::is_valid_utf8("plain \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK_FALSE(common::is_valid_utf8("\xC0\xAF"));          // overlong
    CHECK_FALSE(common::is_valid_utf8("\xED\xA0\x80"));      // a UTF-16 surrogate
    CHECK_FALSE(common::is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(common::is_valid_utf8("\xE2\x82"));          // cut short
    CHECK(common::to_valid_utf8("a\xE2\x82z") == "a\xEF\xBF\xBD\xEF\xBF\xBDz");
  }

  TEST_CASE("the cuts keep whole UTF-8 sequences and say how much they cut") {
    const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC";  // three 3-byte characters
    CHECK(common::utf8_head(euros, 4) == "\xE2\x82\xAC");
    CHECK(common::utf8_head(euros, 9) == euros);
    CHECK(common::utf8_tail(euros, 4) == "\xE2\x82\xAC");
    CHECK(common::clip_head(euros, 4, "…[{n} more]") == "\xE2\x82\xAC…[6 more]");
    CHECK(common::clip_head(euros, 9, "…") == euros);
    CHECK(common::clip_tail(euros, 5, "[{n} cut]") == "[6 cut]\xE2\x82\xAC");
    CHECK(common::clip_middle("0123456789", 2, 3, "|{n}|") == "01|5|789");
    CHECK(common::clip_middle("01234", 2, 3, "|{n}|") == "01234");
    CHECK(common::cut_marker("no count", 7) == "no count");
  }
}
