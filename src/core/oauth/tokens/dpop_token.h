// DPoP at the token endpoint (RFC 9449 §5): the proof is checked with the
// form, before the client authenticates (a bad proof costs no Redis); once
// the client has authenticated its jti is spent with one SET NX, and only
// then does the grant run, with the proof in its GrantContext.
#pragma once
#include <expected>
#include <optional>

#include "dpop/proof.h"
#include "flow/flow.h"

namespace oauth::token {

// nullopt: the request has no DPoP header (a Bearer token request). An
// error Step: 400 invalid_dpop_proof. htu is the token endpoint as the
// issuer publishes it: the issuer's origin and the request path.
std::expected<std::optional<dpop::Proof>, flow::Step> request_proof(const flow::ServerConfig& server,
                                                                    const flow::Request& request);

// oauth_dpop_nonce (RFC 9449 §8): with nonces on, a verified proof without
// the current (or the previous window's) nonce is answered 400
// use_dpop_nonce. *send gets the DPoP-Nonce every answer to this request
// carries ("" when the proof's nonce is current, or nonces are off).
std::optional<flow::Step> nonce_refusal(const flow::ServerConfig& server, const flow::Request& request,
                                        const dpop::Proof& proof, std::string* send);

// SET NX of the proof's jti (dpop/replay.h).
flow::Command spend_proof(const flow::ServerConfig& server, const flow::Request& request,
                          const dpop::Proof& proof);
// nullopt when the jti was fresh; else the answer (invalid_dpop_proof for a
// replay, 503 when Redis answered an error).
std::optional<flow::Step> proof_spent(const redisReply* reply);

// 400 invalid_dpop_proof (RFC 9449 §5), with the reason for the log.
flow::Step invalid_proof(std::string_view description, std::string_view reason);

}  // namespace oauth::token
