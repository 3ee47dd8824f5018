#include "base/problem.hpp"

#include <boost/json/serialize.hpp>

namespace schwarm {

std::string type_uri(const problem_type& type) { return "tag:schwarm.dev,2026:problem:" + std::string(type.slug); }

problem field_problem(std::string field, std::string detail) {
    return problem(problems::validation, std::move(detail)).with("field", std::move(field));
}

std::string problem::extension(const std::string& key) const {
    auto found = extensions_.find(key);
    if (found == extensions_.end()) return "";
    if (const auto* text = found->second.if_string()) return std::string(*text);
    return boost::json::serialize(found->second);
}

} // namespace schwarm
