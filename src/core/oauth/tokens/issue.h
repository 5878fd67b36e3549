// Minting: access tokens (RFC 9068 JWTs), refresh tokens and the Redis state
// that makes them live (store/keys.h). Every grant ends here:
//
//   token::IssueRequest req{.client = client, .sub = user.sub,
//                           .username = user.username, .scope = granted,
//                           .refresh_token = client.allows_grant("refresh_token"),
//                           .now = request.now};
//   token::Issued issued = token::issue(server, req);
//   return Step::redis(issued.commands);           // alone in its step
//   ... on the replies:
//   if (!token::issue_ok(replies)) -> 503 temporarily_unavailable
//   json::Json body = issued.response();           // add id_token here if any
//   return Step::respond(token::token_response(body.get()));
//
// One EVALSHA persists the family, the access-token session and the refresh
// token (hashed) atomically, in the family's slot (store/keys.h); the
// client/sub index entries are plain commands before it in the same round
// trip (other slots). A client_credentials token (IssueRequest.family =
// false) has no family: one SET of a compact session, after its entry in
// its client's bucket (SADD, EXPIREAT NX: store/index.h). A token is answered only when every command succeeded, so one that
// was not indexed never leaves the server.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.h"
#include "json/json.h"
#include "store/records.h"

namespace oauth::token {

// 128 random bits, base64url: jti, family ids, subs, handles.
std::string new_id();

struct IssueRequest {
    const store::Client& client;
    std::string sub;       // the user's sub, or the client id (client_credentials)
    std::string username{};  // "" unless a user: travels as preferred_username
    std::string scope;     // granted, space-separated, already checked
    bool refresh_token = false;
    std::string family_id{}; // "" = a new random id; or one allocated earlier (a code's marker)
    // false: no grant family (client_credentials: nothing refreshes it and no
    // user's claims need keeping), the leanest session Redis can hold.
    bool family = true;
    // Extra fields stored in the family hash (e.g. auth_time), for later grants.
    std::vector<std::pair<std::string, std::string>> family_fields{};
    int64_t now = 0;
    // RFC 8707: the resources the token is for (its aud); none: the
    // server's oauth_audience. Kept in the family ("resource") for refresh.
    std::vector<std::string> resources{};
    // What the grant authorized, when more than `resources` (a token
    // request that narrowed a code's): later refreshes may ask for any.
    std::vector<std::string> granted_resources{};
    // RFC 9449 §6: the DPoP key's thumbprint the access token is bound to
    // (cnf.jkt); "" for a Bearer token.
    std::string jkt{};
};

struct Issued {
    std::string access_token;
    std::string jti;
    std::string family_id;      // empty for a family-less token
    std::string sub;            // for the audit event (flow/event.h)
    std::string refresh_token;  // empty when none was issued
    std::string scope;
    int64_t expires_in = 0;
    int64_t exp = 0;
    std::string jkt;            // "" for a Bearer token
    // The index entries, then the ISSUE script call (or the session's SET).
    std::vector<flow::Command> commands;

    // {"access_token","token_type":"Bearer"|"DPoP","expires_in","scope"[,"refresh_token"]}
    json::Json response() const;
};

Issued issue(const flow::ServerConfig& server, const IssueRequest& req);
// Every reply to Issued::commands meant success.
bool issue_ok(flow::Replies replies);

// One signed access token and its session record, without persisting them
// (used by issue() and by refresh-token rotation).
struct AccessToken {
    std::string token;
    std::string jti;      // "FID.R" for a family's token, one id for a family-less one
    std::string member;   // R: its entry in P fam:{FID}:at ("" when family-less)
    int64_t iat = 0;
    int64_t exp = 0;
    std::string session;  // store::AccessSession (compact JSON) for keys.access(jti)
};
AccessToken mint_access_token(const flow::ServerConfig& server, std::string_view client_id,
                              std::string_view sub, std::string_view username,
                              std::string_view scope, std::string_view family_id, int64_t now,
                              int64_t ttl, const std::vector<std::string>& resources = {},
                              std::string_view jkt = {});

// A new refresh token "FID.SECRET" (256 random bits of secret) and its
// record for P rt:{FID}:HASH.
struct RefreshToken {
    std::string token;
    std::string hash;    // store::secret_key_id(token): the HASH of its key
    std::string record;  // {"fam","iat","rid"}
};
RefreshToken mint_refresh_token(std::string_view family_id, int64_t now);

// 200 with the body, Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1).
http::Response token_response(const json_t* body);
// The answer once Issued::commands replied: the token response, or 503 when
// Redis answered an error (nothing usable was issued: the client never
// receives the token, whatever part of it was written).
flow::Step finish_issue(const Issued& issued, flow::Replies replies);

// Adds Pragma: no-cache to any response of the token endpoints.
http::Response no_cache(http::Response r);

}  // namespace oauth::token
