// The Lua scripts behind every atomic step on tokens (key layout: keys.h).
// Redis Cluster (SPEC §7): each script touches the keys of one family only,
// all in the family's slot (hash tag {FID}); the keys are passed as KEYS so
// that a cluster client routes the call by KEYS[1]. Keys a script finds
// inside the family (its tokens) it builds from key prefixes that keys.h
// computes and family_call() passes, so the layout has one definition.
//
// Every family script gets KEYS[1] = P fam:{FID}, KEYS[2] = P fam:{FID}:at,
// ARGV[1] = P at:{FID}. and ARGV[2] = P rt:{FID}: (family_call() adds them);
// below, "KEYS+" and "ARGV+" list what follows those.
//
// Indexes (idx:client, idx:sub, idx:cc) live in other slots: no script
// writes them; issue() adds them with plain commands in the same round trip.
//
// Replies are documented per script; "status" values are bulk strings.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "store/keys.h"
#include "store/script.h"

namespace oauth::store {

// EVALSHA of a family script with the family's keys and prefixes first.
flow::Command family_call(const Script& script, const Keys& keys, std::string_view fid,
                          const std::vector<std::string>& more_keys,
                          const std::vector<std::string>& more_args);

// ISSUE: creates a grant family with its first access token, and optionally
// its refresh token — all or nothing.
// ARGV+: now fam_ttl R session_json at_ttl rt_hash rt_json
//        field value [field value ...]   (family hash fields: client_id, sub,
//        username, scope, exp, and whatever the grant adds)
// Reply: "ok", or an error reply when the family id is already taken.
const Script& issue_script();

// REFRESH_LOOKUP: what a refresh token stands for.
// KEYS+: P rt:{FID}:HASH    ARGV+: fid revoke_on_reuse("1"|"0")
// Reply: {"none"}                      unknown, expired, or family revoked;
//        {"reused", fid}               a rotated token: with revoke_on_reuse
//                                      the family is revoked (RFC 9700 §4.14.2);
//        {"ok", fid, rt_json, field, value, ...}  current token and its family.
const Script& refresh_lookup_script();

// ROTATE: compare-and-swap of the family's current refresh token, storing the
// new refresh token and the new access-token session.
// ARGV+: old_hash new_hash new_rt_json R session_json at_ttl now
// Reply: "ok"; "gone" (family ended); "reused" (old_hash was no longer current,
// e.g. a concurrent rotation won: the family is revoked).
const Script& rotate_script();

// REVOKE_FAMILY: deletes a family, every access-token session of it and its
// current refresh token.   ARGV+: owner_client_id ("" = any owner)
// Reply: 1 revoked, 0 unknown family or another client's.
const Script& revoke_family_script();

// REVOKE_REFRESH: RFC 7009 on a refresh token: revokes its family when the
// family belongs to the client.
// KEYS+: P rt:{FID}:HASH   ARGV+: fid client_id    Reply: 1 revoked, 0 nothing changed.
const Script& revoke_refresh_script();

// REVOKE_ACCESS: deletes one access-token session when it belongs to the
// client (not a family script: a family-less token has no family keys).
// KEYS: P at:... [P fam:{FID}:at]   ARGV: R client_id ("" = any)    Reply: 1 or 0.
const Script& revoke_access_script();
// The REVOKE_ACCESS call for a jti.
flow::Command revoke_access(const Keys& keys, std::string_view jti, std::string_view client_id);

// CONSUME: single use of a record (authorization codes, device codes).
// KEYS: the record    ARGV: marker keep_seconds
// The first call replaces the value by "used:" + marker (kept keep_seconds,
// or the record's remaining life when 0) and answers {"ok", value}; later
// calls answer {"used", marker}; a missing key answers {"none"}. The marker
// names what the first use issued (e.g. the family id) so a replay can
// revoke it (RFC 6749 §4.1.2).
const Script& consume_script();

}  // namespace oauth::store
