// HTML pieces the built-in pages share (login, consent, device verification):
// each escapes what it shows and keeps the class names of http/html.h stable.
#pragma once
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "oauth/browser/sso.h"

namespace oauth::pages {

// <form class="oauth-form" method="post" action=..>: the form posts to the
// endpoint's configured path, or to the request's own path when the endpoint
// has no location of its own.
std::string form_open(const flow::ServerConfig& server, const flow::Request& request,
                      oauth_endpoint_e endpoint);

// <p class="oauth-error" role="alert">message</p>, or "" without a message.
std::string alert(std::string_view message);

// <p class="oauth-user">Signed in as <strong>username or sub</strong></p>
std::string signed_in_as(const sso::Session& session);

// What the client will be able to do: the scopes (space-separated), each with
// words a person reads when the scope is a known one.
std::string scope_list(std::string_view scope);

// The Approve and Deny buttons: decision=approve|deny.
std::string decision_buttons();

}  // namespace oauth::pages
