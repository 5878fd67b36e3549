#include "http/response.h"

namespace oauth::http {

Response json_response(unsigned status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

}  // namespace oauth::http
