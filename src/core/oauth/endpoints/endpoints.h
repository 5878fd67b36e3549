// Factories of the endpoint flows, one per endpoint (see flow/registry.cpp).
#pragma once
#include <memory>

#include "flow/flow.h"

namespace oauth::endpoints {

using flow::Flow;
using flow::Request;
using flow::ServerConfig;

std::unique_ptr<Flow> make_discovery(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_jwks(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_token(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_introspect(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_revoke(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_userinfo(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_logout(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_device_authorization(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_device_verification(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_authorize(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_login(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_consent(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_login_accept(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_registration(const ServerConfig& server, Request request);
std::unique_ptr<Flow> make_resource_metadata(const ServerConfig& server, Request request);

}  // namespace oauth::endpoints
