#pragma once
// Projects and their lifecycle (DESIGN.md 4.1). Every transition is in one
// table (core/projects.cpp): who may take it, from which states, to which;
// each is checked under a row lock and audited, and an illegal one is a 409
// problem naming the current state.

#include "core/ids.hpp"
#include "core/problem.hpp"
#include "core/users.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::projects {

struct project_tag;
using project_id = id<project_tag>;

namespace problems {
inline constexpr problem_type illegal_transition{409, "project-state", "The project's state does not allow this"};
} // namespace problems

struct fields {
    std::string title;
    std::string summary;
    std::string description;
    std::string category;
    std::string kind;          // donation | reward | loan
    std::int64_t goal_minor = 0;
    std::string currency_code;
    std::string campaign_mode; // all_or_nothing | keep_it_all
    std::string deadline;      // RFC 3339, in the future
    // Loans only: the goal is the principal.
    std::optional<int> loan_rate_bp = std::nullopt; // annual rate, basis points
    std::optional<int> loan_term_months = std::nullopt;
    std::optional<std::string> loan_schedule = std::nullopt; // annuity | equal_principal
};

struct project {
    project_id id;
    user_id owner;
    fields f;
    std::string state;
    std::string created_at;
    std::string updated_at;
};

struct actor {
    users::principal who;
    std::string request_id;
};

// Customers create drafts and edit them while they are drafts.
project create(pqxx::work& tx, const fields& f, const actor& by);
project update(pqxx::work& tx, project_id id, const fields& f, const actor& by);

// Drafts are seen only by their owner and staff; everything else is public.
project find(pqxx::transaction_base& tx, project_id id, const std::optional<users::principal>& viewer);

// The lifecycle: `action` is one of the names in transitions() (submit,
// withdraw, start_review, approve, reject, open_funding).
project transition(pqxx::work& tx, project_id id, const std::string& action, const std::string& reason,
                   const actor& by);

struct transition_rule {
    const char* action;
    std::vector<const char*> from;
    const char* to;
    bool by_owner; // else by staff
};
const std::vector<transition_rule>& transitions();

struct listing_query {
    std::vector<std::string> states; // empty: every public state
    std::optional<std::string> kind;
    std::optional<std::string> category;
    std::optional<std::string> text; // full-text search, German and English
    std::optional<std::int64_t> before_id; // keyset cursor: newest first
    int limit = 50;
};
std::vector<project> list(pqxx::transaction_base& tx, const listing_query& q);
// A customer's own projects, drafts included, newest first.
std::vector<project> list_own(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before_id, int limit);

} // namespace schwarm::projects
