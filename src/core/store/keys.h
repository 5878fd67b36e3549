// Every Redis key of the product, in one place. All keys start with the
// configured prefix (oauth_redis prefix=, default "oauth:"); "P" below.
//
// Identifiers minted here (jti, family id, sub, sid, handles) are base64url
// random strings, so they never contain ':' and no two key families collide.
// Secrets presented by clients (refresh tokens, codes, device codes) are never
// part of a key: their SHA-256 in lowercase hex is (secret_key_id()).
//
// Registry (records.h has the JSON formats):
//   P client:{client_id}        STRING  Client JSON (secret only as scrypt hash)
//   P clients                   SET     every client_id (for `oauthctl client list`)
//   P user:{username}           STRING  User JSON (password only as scrypt hash)
//   P sub:{sub}                 STRING  username owning that sub (sub -> user index)
//
// Tokens and grants (see oauth/issue.h and store/scripts.h). Redis Cluster
// (SPEC §7): every atomic step touches one slot, so a grant family and
// everything that belongs to it share the hash tag {FID} (Redis hashes only
// what is between the first '{' and '}'). An access token of a family has
// jti "FID.R" and a refresh token is "FID.SECRET", so the key of either is
// found from the token alone, in the family's slot. A client_credentials
// token has no family (leaner sessions): its jti is one id without '.', its
// key has no tag, and it is listed in one of its client's idx:ccb buckets.
//   P at:{FID}.R                STRING  access-token session of a family's token,
//   P at:JTI                    STRING  ... or of a family-less (client_credentials)
//                                       token; TTL = the token's life. oauth_require
//                                       does EXISTS on it. Value (records.h): compact
//                                       JSON {"c":client_id[,"s":sub][,"f":fid]}
//                                       ("s" left out when it is the client id).
//   P fam:{FID}                 HASH    grant family: client_id sub username scope
//                                       (granted at the original grant) iat exp
//                                       (absolute end = iat + oauth_refresh_token_ttl,
//                                       or the access token's exp when no refresh
//                                       token was issued) rt (hash of the current
//                                       refresh token, "" when none) plus optional
//                                       fields a grant adds (auth_time, ...).
//                                       TTL = exp - now.
//   P fam:{FID}:at              ZSET    R -> exp of every access token of the family
//   P rt:{FID}:HASH             STRING  refresh token (HASH = sha256hex of the whole
//                                       token): JSON {"fam","iat","rid"}; kept after
//                                       rotation until the family ends, so that a
//                                       rotated token is recognised (reuse detection,
//                                       RFC 9700 §4.14.2). "rid" is its public id.
// Indexes, each one key (so one slot), written in the same round trip as the
// family but not atomically with it (a family is in another slot): they are
// written first, and an entry whose family is gone reads as nothing to revoke.
//   P idx:client:{client_id}    ZSET    fid -> family exp: families of a client
//   P idx:sub:{sub}             ZSET    fid -> family exp: families of a subject
//   P idx:ccb:{client_id}:{W}:{N} SET   jti of the client's family-less tokens
//                                       whose exp / W is N (W, the bucket width in
//                                       seconds, a power of two, follows the token's
//                                       life: store/index.h bucket_width). Never
//                                       pruned: EXPIREAT (N + 1) x W + 60 s, so it
//                                       ends whole after its last token. Issuing is
//                                       SADD + EXPIREAT NX + the SET of at:JTI, three
//                                       O(1) commands (a sorted set of every live
//                                       token cost O(log n) and a prune per token).
//                                       `session revoke --client` finds the buckets
//                                       without SCAN and without a record of what was
//                                       issued: for each width the buckets a live
//                                       token can be in are a fixed window after now
//                                       (store/index.h live_buckets, ~350 keys read
//                                       in one round trip, most absent). The client
//                                       id comes before W:N, which hold no ':', so the
//                                       name reads from the right.
//   P idx:cc:{client_id}        ZSET    jti -> exp: the same before the buckets;
//                                       written no more, still read and deleted by
//                                       revoke so tokens of an older version go too.
// `oauthctl session revoke --client/--sub` walks these, one family / token at
// a time (store/revoke_all.h).
// (Above, {client_id} and {sub} are notation, not hash tags: index keys have
// no braces, as before; only FID tags are literal braces.)
//
// Browser and device flows (owned by those flows; documented here so that the
// whole layout is in one file):
//   P code:{sha256hex(code)}    STRING  authorization code record (JSON), TTL
//                                       oauth_code_ttl; consumed with the CONSUME
//                                       script, which leaves a "used" marker naming
//                                       the family issued so a replay revokes it.
//   P authz:{handle}            STRING  pending authorize request (JSON), the handle is
//                                       what the browser carries through login/consent.
//   P sso:{sid}                 STRING  browser single-sign-on session (JSON with sub),
//                                       TTL oauth_session_ttl; sid is the cookie value's
//                                       identifier (store a hash if the cookie is secret).
//   P idx:sso:{sub}             ZSET    sid -> exp: SSO sessions of a subject (so
//                                       `session revoke --sub` can end them).
//   P consent:{sub}:{client_id} STRING  remembered consent: space-separated scopes
//                                       (oauthctl consent list/revoke find them by SCAN).
//   P dc:{sha256hex(device_code)} STRING device authorization record (JSON), TTL
//                                       oauth_device_code_ttl.
//   P uc:{USERCODE}             STRING  sha256hex(device_code) for a normalised user
//                                       code (8 letters, no dash, upper case).
//
// Brute-force limits (oauth/login_limit.h, oauth_login_limit):
//   P limit:user:{sha256hex(username)} STRING failed password checks for that user
//                                       name (known or not) in the current window;
//                                       TTL the window. Hashed: people type their
//                                       password in the username field.
//   P limit:addr:{address}      STRING  the same per client address (an IPv6 client
//                                       counts by its /64).
//
// Dynamic client registration (SPEC §9, oauth/registration.cpp):
//   P client:{client_id}        the registered client, as above, with "dynamic":true,
//                               its metadata, and the SHA-256 (hex) of its RFC 7592
//                               registration access token (never the token); its
//                               client secret as a scrypt hash like any client's.
//   P clients                   it is listed there too (oauthctl client list).
//   P limit:reg:{address}       STRING  registrations from that client address in the
//                               current window (oauth_registration_limit); TTL the
//                               window. Each step on these keys is single-key.
// DPoP (RFC 9449 §11.1, dpop/replay.h):
//   P dpop:{sha256hex(jkt " " jti)} STRING a proof's jti seen (SET NX), TTL the proof
//                                       window (2 x oauth_leeway + 1 s); scoped by the
//                                       proof key's thumbprint, so one client cannot
//                                       spend another's jti. A single-key command.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/crypto.h"

namespace oauth::store {

// What a secret the client holds becomes in a key: SHA-256, lowercase hex.
inline std::string secret_key_id(std::string_view secret) { return util::sha256_hex(secret); }

class Keys {
public:
    explicit Keys(std::string prefix) : p_(std::move(prefix)) {}
    const std::string& prefix() const { return p_; }

    std::string client(std::string_view id) const { return cat("client:", id); }
    std::string clients() const { return p_ + "clients"; }
    std::string user(std::string_view username) const { return cat("user:", username); }
    std::string sub(std::string_view sub) const { return cat("sub:", sub); }

    // The family a token names: FID of a jti "FID.R" or a refresh token
    // "FID.SECRET"; nullopt for a family-less jti (or anything malformed).
    static std::optional<std::string_view> family_of(std::string_view token);
    // A new family token's jti / refresh token: FID "." random.
    static std::string family_member(std::string_view fid, std::string_view random);

    std::string access(std::string_view jti) const;
    // The jti whose session key this is (the inverse of access()); nullopt
    // for any other key. Redis names keys, not tokens, in the invalidation
    // messages of the edge session cache (require/invalidation.h).
    std::optional<std::string> jti_of_access(std::string_view key) const;
    std::string family(std::string_view fid) const { return tagged("fam:", fid, ""); }
    std::string family_tokens(std::string_view fid) const { return tagged("fam:", fid, ":at"); }
    // What a family's token keys start with: + R gives P at:{FID}.R, + HASH
    // gives P rt:{FID}:HASH (the scripts build the keys they find in the
    // family from these, so the rule stays here).
    std::string family_access_prefix(std::string_view fid) const { return tagged("at:", fid, "."); }
    std::string family_refresh_prefix(std::string_view fid) const { return tagged("rt:", fid, ":"); }
    // The key of a presented refresh token; nullopt when it names no family
    // (such a token was never issued here).
    std::optional<std::string> refresh(std::string_view token) const;
    std::string client_index(std::string_view client_id) const { return cat("idx:client:", client_id); }
    std::string sub_index(std::string_view sub) const { return cat("idx:sub:", sub); }
    std::string client_token_index(std::string_view client_id) const { return cat("idx:cc:", client_id); }
    std::string client_token_bucket(std::string_view client_id, int64_t width, int64_t number) const {
        return cat("idx:ccb:", client_id) + ":" + std::to_string(width) + ":" + std::to_string(number);
    }

    std::string code(std::string_view hash) const { return cat("code:", hash); }
    std::string pending(std::string_view handle) const { return cat("authz:", handle); }
    std::string sso(std::string_view sid) const { return cat("sso:", sid); }
    std::string sso_index(std::string_view sub) const { return cat("idx:sso:", sub); }
    std::string consent(std::string_view sub, std::string_view client_id) const {
        return cat("consent:", sub) + ":" + std::string(client_id);
    }
    std::string device_code(std::string_view hash) const { return cat("dc:", hash); }
    std::string user_code(std::string_view normalised) const { return cat("uc:", normalised); }
    std::string login_failures_user(std::string_view username) const {
        return cat("limit:user:", util::sha256_hex(username));
    }
    std::string login_failures_address(std::string_view address) const { return cat("limit:addr:", address); }
    std::string registrations_address(std::string_view address) const { return cat("limit:reg:", address); }
    std::string dpop_jti(std::string_view jkt, std::string_view jti) const {
        std::string id;
        id.reserve(jkt.size() + 1 + jti.size());
        id.append(jkt).append(" ").append(jti);
        return cat("dpop:", util::sha256_hex(id));
    }

private:
    std::string tagged(std::string_view kind, std::string_view fid, std::string_view tail) const {
        std::string k;
        k.reserve(p_.size() + kind.size() + fid.size() + tail.size() + 2);
        k.append(p_).append(kind).append("{").append(fid).append("}").append(tail);
        return k;
    }
    std::string cat(std::string_view kind, std::string_view id) const {
        std::string k;
        k.reserve(p_.size() + kind.size() + id.size());
        k.append(p_).append(kind).append(id);
        return k;
    }
    std::string p_;
};

}  // namespace oauth::store
