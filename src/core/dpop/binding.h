// What binds a grant to a DPoP key (RFC 9449 §5, §6), in one place: the
// access token's cnf.jkt, and a public client's refresh token, remembered as
// the "jkt" field of its grant family (store/keys.h) so that a refresh needs
// a proof by the same key.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <jansson.h>

#include "dpop/proof.h"
#include "store/family.h"
#include "store/records.h"

namespace oauth::dpop {

inline constexpr std::string_view kFamilyField = "jkt";

// RFC 9449 §6.1: {"cnf":{"jkt":"..."}} in the access token's claims.
void add_confirmation(json_t* claims, std::string_view jkt);
// The token's cnf.jkt, if it has one (empty when cnf is not an object with
// a string jkt).
std::optional<std::string_view> confirmation(const json_t* claims);

// RFC 9449 §5: a refresh token of a public client is bound to the key;
// a confidential client's is already sender-constrained by its credentials.
bool binds_refresh_token(const store::Client& client, std::string_view jkt, bool refresh_token);

// RFC 9449 §10: dpop_jkt at authorize is a JWK SHA-256 thumbprint, the
// base64url (no padding) of 32 bytes: 43 characters of that alphabet.
bool well_formed_jkt(std::string_view jkt);
// RFC 9449 §10.1: a code minted with dpop_jkt is exchanged only with a proof
// by that key; bound is the code's dpop_jkt ("" when unbound), jkt the
// thumbprint of the exchange's proof ("" without one).
bool code_binding_holds(std::string_view bound, std::string_view jkt);

// The key a grant family's refresh token is bound to, if any.
std::optional<std::string_view> family_key(const store::Family& family);

// Why a refresh of that family may not go on with this proof (null: none
// was sent), or nullopt when it may.
std::optional<std::string_view> refresh_refusal(const store::Family& family, const Proof* proof);

}  // namespace oauth::dpop
