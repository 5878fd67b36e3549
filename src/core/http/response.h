// An HTTP answer as the core writes it: status, content type, headers,
// body. A flow's last step carries one (flow/flow.h); the glue sends it.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace oauth::http {

struct Response {
    unsigned status = 200;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    Response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

// A JSON body with its content type.
Response json_response(unsigned status, std::string body);

}  // namespace oauth::http
