// The Lua scripts behind every atomic step on tokens (key layout: keys.h).
// Every script takes the key prefix as ARGV[1] and builds its keys from it:
// the keys it touches depend on what it reads (a family's tokens), which a
// single Redis server allows; the store is not meant for Redis Cluster.
//
// Replies are documented per script; "status" values are bulk strings.
#pragma once
#include <string>
#include <vector>

#include "store/script.h"

namespace oauth::store {

// ISSUE: creates a grant family with its first access token, and optionally
// its refresh token, plus the client/sub indexes — all or nothing.
// ARGV: prefix fid now fam_ttl jti session_json at_ttl rt_hash rt_json
//       field value [field value ...]   (family hash fields: client_id, sub,
//       username, scope, exp, and whatever the grant adds)
// Reply: "ok", or an error reply when the family id is already taken.
const Script& issue_script();

// REFRESH_LOOKUP: what a refresh token (by hash) stands for.
// ARGV: prefix rt_hash revoke_on_reuse("1"|"0")
// Reply: {"none"}                      unknown, expired, or family revoked;
//        {"reused", fid}               a rotated token: with revoke_on_reuse
//                                      the family is revoked (RFC 9700 §4.14.2);
//        {"ok", fid, rt_json, field, value, ...}  current token and its family.
const Script& refresh_lookup_script();

// ROTATE: compare-and-swap of the family's current refresh token, storing the
// new refresh token and the new access-token session.
// ARGV: prefix fid old_hash new_hash new_rt_json jti session_json at_ttl now
// Reply: "ok"; "gone" (family ended); "reused" (old_hash was no longer current,
// e.g. a concurrent rotation won: the family is revoked).
const Script& rotate_script();

// REVOKE_FAMILY: deletes a family, every access-token session of it, its
// current refresh token and its index entries.
// ARGV: prefix fid owner_client_id ("" = any owner)
// Reply: 1 revoked, 0 unknown family or another client's.
const Script& revoke_family_script();

// REVOKE_REFRESH: RFC 7009 on a refresh token: revokes its family when the
// family belongs to the client.
// ARGV: prefix rt_hash client_id        Reply: 1 revoked, 0 nothing changed.
const Script& revoke_refresh_script();

// REVOKE_ACCESS: deletes one access-token session when it belongs to the
// client. ARGV: prefix jti client_id ("" = any)    Reply: 1 or 0.
const Script& revoke_access_script();

// REVOKE_ALL: every family of a client or a subject (and, for a subject, its
// SSO sessions). ARGV: prefix "client"|"sub" id     Reply: families revoked.
const Script& revoke_all_script();

// CONSUME: single use of a record (authorization codes, device codes).
// ARGV: key marker keep_seconds
// The first call replaces the value by "used:" + marker (kept keep_seconds,
// or the record's remaining life when 0) and answers {"ok", value}; later
// calls answer {"used", marker}; a missing key answers {"none"}. The marker
// names what the first use issued (e.g. the family id) so a replay can
// revoke it (RFC 6749 §4.1.2).
const Script& consume_script();

}  // namespace oauth::store
