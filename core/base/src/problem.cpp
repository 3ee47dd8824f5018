#include "base/problem.hpp"

namespace schwarm {

std::string type_uri(const problem_type& type) { return "tag:schwarm.dev,2026:problem:" + std::string(type.slug); }

problem field_problem(std::string field, std::string detail) {
    return problem(problems::validation, std::move(detail)).with("field", std::move(field));
}

} // namespace schwarm
