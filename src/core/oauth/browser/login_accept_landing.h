// The browser's return from an external login application (SPEC §4.3).
//
// oauth_login_accept records the app's decision in the pending request with
// the hash of a one-time login_verifier and answers redirect_to =
//   AUTHORIZE?login_challenge=H&login_verifier=V   (or LOGIN?... when the
//   server has no oauth_authorize location, e.g. device flow only).
// When the browser arrives there, this flow checks the verifier (constant
// time) and that it is the browser that started the request (its CSRF
// cookie, csrf::binding), creates the SSO session (Set-Cookie) and sends the
// browser 303 to where the pending request continues. A verifier works once.
#pragma once
#include <memory>

#include "flow/flow.h"
#include "http/form.h"

namespace oauth::endpoints {

std::unique_ptr<flow::Flow> make_login_landing(const flow::ServerConfig& server,
                                               flow::Request request, http::Form form);

}  // namespace oauth::endpoints
