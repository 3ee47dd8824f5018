// The project reader (api/resources/src/projects.cpp).
#include "resources/bodies.hpp"

#include "bodies.hpp"
#include "support.hpp"

namespace schwarm::fuzz {

void projects_bodies(api::context& ctx, unsigned) {
    projects::fields f = api::bodies::project_fields(ctx.json_body());
    require(f.goal_minor >= 1 && f.min_pledge_minor >= 1, "amounts read are positive");
    require(f.title.size() >= 3 && f.currency_code.size() == 3, "lengths as read");
}

} // namespace schwarm::fuzz
