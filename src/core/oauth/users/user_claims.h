// A user's claims as oauthctl stores them and the ID token and userinfo
// release them (OIDC Core §5.1). Most are strings, booleans or numbers;
// address (§5.1.1) is a JSON object.
#pragma once
#include <string_view>

#include "json/json.h"

namespace oauth::claims {

// The value `oauthctl user create --claim NAME=TEXT` stores: TEXT read as JSON
// when it is JSON (true, 42, "x", {...}, [...]), else TEXT as a string. An
// address given as plain text becomes {"formatted": TEXT}.
json::Json from_text(std::string_view name, std::string_view text);

// The value released for a stored claim (shared, or made): an address kept
// as a string (records written before the CLI took JSON) becomes the object
// it serializes, or {"formatted": text}. Null when the stored value cannot
// be released in the shape the claim has (an address that is a number).
json::Json for_release(std::string_view name, json_t* stored);

}  // namespace oauth::claims
