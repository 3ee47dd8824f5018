// api/projects.cpp's project reader.
#include "api/projects.cpp"

#include "bodies.hpp"
#include "support.hpp"

namespace schwarm::fuzz {

void projects_bodies(api::context& ctx, unsigned) {
    projects::fields f = api::read_fields(ctx.json_body());
    require(f.goal_minor >= 1 && f.min_pledge_minor >= 1, "amounts read are positive");
    require(f.title.size() >= 3 && f.currency_code.size() == 3, "lengths as read");
}

} // namespace schwarm::fuzz
