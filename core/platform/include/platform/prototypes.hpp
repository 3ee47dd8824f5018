#pragma once
// Prototype and test with the crowd (issue 14 §2). An accepted idea's owner
// makes its project draft (budget, kind, campaign terms; for loans the credit
// application as for any loan), linked to the idea, in the prototype phase,
// and may invite co-authors (customers) who, once they accept, edit the draft
// with them. Moving it to test opens a feedback window in which members say
// whether they would use it and would back it, with their concerns and free
// text; the owner or a co-author answers each once. Only after the window may
// the draft be submitted (core/platform/phases.hpp). Drafts made from an
// idea are public: they are worked on in the open.

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/ideas.hpp"
#include "platform/projects.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::prototypes {

inline constexpr std::size_t feedback_text_length_max = 2000;
inline constexpr int co_authors_max = 10;

namespace problems {
inline constexpr problem_type not_customer{422, "co-author-not-customer", "A co-author must be a customer"};
inline constexpr problem_type co_author_exists{409, "co-author-exists", "The user is an author of it already"};
inline constexpr problem_type co_authors_limit{409, "co-authors-limit", "The project has as many co-authors as it may"};
inline constexpr problem_type window_closed{409, "feedback-window-closed", "The project takes no feedback now"};
inline constexpr problem_type own_project{403, "feedback-own-project", "Authors do not give feedback on their project"};
inline constexpr problem_type answered{409, "feedback-answered", "The feedback has its answer already"};
} // namespace problems

// The owner of an idea in the prototype phase makes its draft (once:
// idea-has-project), with the fields of any project.
projects::project make_project(pqxx::work& tx, ideas::idea_id idea, const projects::fields& f,
                               const projects::actor& by);

// --- Co-authors ---------------------------------------------------------

struct co_author {
    user_id user;
    user_id invited_by;
    std::string invited_at;
    std::optional<std::string> accepted_at;
};
// The owner invites a customer to a draft made from an idea.
co_author invite(pqxx::work& tx, projects::project_id project, user_id invitee, const projects::actor& by);
// The invitee accepts; they follow the project from then on.
co_author accept(pqxx::work& tx, projects::project_id project, const projects::actor& by);
std::vector<co_author> co_authors(pqxx::transaction_base& tx, projects::project_id project);
// Whether `user` is an accepted co-author of the project.
bool is_co_author(pqxx::transaction_base& tx, projects::project_id project, user_id user);

// --- Feedback -----------------------------------------------------------

struct feedback_input {
    bool would_use = false;
    bool would_back = false;
    std::optional<std::string> concerns;
    std::optional<std::string> comment;
};
struct feedback {
    std::int64_t id = 0;
    projects::project_id project;
    user_id author;
    feedback_input f;
    std::string created_at;
    std::string updated_at;
    std::optional<std::string> answer;
    std::optional<user_id> answered_by;
    std::optional<std::string> answered_at;
    bool replaced = false;
};
// A member's feedback while the window is open: one each, replaced by a
// later one until it is answered. Authors give none.
feedback give(pqxx::work& tx, projects::project_id project, const feedback_input& in, const projects::actor& by);
// The owner or a co-author answers a feedback, once; the feedback's author
// is told.
feedback answer(pqxx::work& tx, projects::project_id project, std::int64_t feedback_id, const std::string& text,
                const projects::actor& by);
std::vector<feedback> feedback_of(pqxx::transaction_base& tx, projects::project_id project,
                                  std::optional<std::int64_t> before_id, int limit);

// What the project's page shows of its test phase.
struct summary {
    std::optional<std::string> opens_at;
    std::optional<std::string> closes_at;
    bool open = false;
    int count = 0;
    int would_use = 0;
    int would_back = 0;
    int with_concerns = 0;
    int answered = 0;
};
summary summary_of(pqxx::transaction_base& tx, projects::project_id project);

} // namespace schwarm::prototypes
