#include "oauth/grants/user_tokens.h"

#include "oauth/tokens/id_token.h"

namespace oauth::token {

json::Json UserTokens::response() const {
    json::Json body = issued.response();
    if (id_token) json::set(body.get(), "id_token", *id_token);
    return body;
}

UserTokens issue_for_user(const GrantContext& ctx, const UserApproval& approval,
                          std::string family_id) {
    json::Json no_claims(json_object());
    const json_t* claims = approval.claims ? approval.claims : no_claims.get();
    UserTokens out{
        .issued = issue(ctx.server,
                        IssueRequest{.client = ctx.client,
                                     .sub = std::string(approval.sub),
                                     .username = std::string(approval.username),
                                     .scope = std::string(approval.scope),
                                     .refresh_token = ctx.client.allows_grant(store::kGrantRefreshToken),
                                     .family_id = std::move(family_id),
                                     .family_fields = {
                                         {std::string(id_token::kFieldAuthTime),
                                          std::to_string(approval.auth_time)},
                                         {std::string(id_token::kFieldClaims), json::dump(claims)},
                                     },
                                     .now = ctx.request.now,
                                     .resources = approval.resources,
                                     .granted_resources = approval.granted_resources,
                                     .jkt = bound_key(ctx)}),
        .id_token = std::nullopt,
    };
    if (id_token::wanted(approval.scope))
        out.id_token = id_token::mint(ctx.server,
                                      id_token::Request{.client_id = ctx.client.id,
                                                        .sub = approval.sub,
                                                        .username = approval.username,
                                                        .scope = approval.scope,
                                                        .user_claims = claims,
                                                        .auth_time = approval.auth_time,
                                                        .nonce = approval.nonce,
                                                        .access_token = out.issued.access_token,
                                                        .now = ctx.request.now});
    return out;
}

}  // namespace oauth::token
