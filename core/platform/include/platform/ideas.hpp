#pragma once
// Ideas before projects (DESIGN.md 4.1, issue 14 §1). A customer posts an
// idea: the problem it solves and for whom (understand). Others support it,
// once each, with an optional line on why (empathise), and discuss it. At a
// configurable number of supports it enters the idea phase, where staff triage
// it: accept it for prototyping, merge it into a duplicate, or decline it with
// a reason. An accepted idea's owner turns it into a project draft (the
// prototype, core/platform/prototypes.hpp). Phases move only through
// core/platform/phases.hpp.
//
// Momentum is the number of supports of the last 7 calendar days, kept in a
// column that each support and withdrawal moves and that a background step
// decays as supports age out (decay_momentum), so listings sort 100,000 ideas
// by an index rather than counting.

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/projects.hpp"
#include "platform/users.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace schwarm::ideas {

struct idea_tag;
using idea_id = id<idea_tag>;

inline constexpr int momentum_days = 7;
inline constexpr std::size_t reason_length_max = 280;

namespace problems {
inline constexpr problem_type own_idea{403, "support-own-idea", "Nobody supports their own idea"};
inline constexpr problem_type support_exists{409, "support-exists", "You support this idea already"};
inline constexpr problem_type closed{409, "idea-closed", "The idea was declined or merged"};
inline constexpr problem_type merge_target{422, "idea-merge-target", "The idea cannot be merged into that one"};
inline constexpr problem_type has_project{409, "idea-has-project", "The idea has its project draft already"};
} // namespace problems

struct fields {
    std::string title;       // 3–200 characters
    std::string problem;     // the problem it solves, 1–2000
    std::string audience;    // for whom, 1–500
    std::string description; // up to 20000
    std::string category;    // a slug, as projects'
};

struct idea {
    idea_id id;
    user_id owner;
    fields f;
    std::string phase;
    int supports = 0;
    int momentum = 0;
    std::optional<std::int64_t> merged_into;
    std::optional<std::string> decline_reason;
    std::optional<std::int64_t> project; // the prototype draft, once made
    std::string created_at;
    std::string updated_at;
    std::string phase_changed_at;
};

// Checks the fields (a validation problem naming the field) and posts the
// idea in the understand phase; its owner follows it.
idea create(pqxx::work& tx, const fields& f, const projects::actor& by);
idea find(pqxx::transaction_base& tx, idea_id id);

enum class listing_order { newest, support, momentum };
struct listing_query {
    std::optional<std::string> phase; // none: every phase but declined and merged
    std::optional<std::string> category;
    std::optional<std::string> text; // full text, German and English
    listing_order order = listing_order::newest;
    std::optional<std::string> cursor;
    int limit = 50;
};
// Keysets on (key, id), most first; ties by id. A cursor of another order is
// a field problem.
std::vector<idea> list(pqxx::transaction_base& tx, const listing_query& q);
std::string next_cursor(const idea& last, listing_order order);
std::vector<idea> list_own(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before_id, int limit);
// Whether `phase` is a phase name.
bool is_phase(const std::string& phase);

// --- Supports -----------------------------------------------------------

struct support_request {
    std::int64_t idea = 0;
    user_id supporter;
    std::optional<std::string> reason;
    std::string request_id;
};
struct support {
    idea_id idea;
    user_id supporter;
    std::optional<std::string> reason;
    std::string created_at;
    std::int64_t key = 0; // the page's cursor
    // The idea after this support (the batch's).
    int supports = 0;
    int momentum = 0;
    std::string phase;
};
using support_result = std::variant<support, problem>;

struct settings {
    int support_threshold = 50;
};

// Supports from many callers in one transaction (the batcher): each idea's
// row is locked once, in id order, each request accepted or refused on its own
// (support-own-idea, support-exists, idea-closed, not-found); supporters
// follow the idea; an idea that got its first support moves to empathise, one
// that reached the threshold to the idea phase.
std::vector<support_result> support_many(pqxx::work& tx, std::span<const support_request> requests, const settings& s);
// The supporter withdraws: the counters and momentum move back.
idea withdraw_support(pqxx::work& tx, idea_id id, const projects::actor& by);
std::vector<support> supports_of(pqxx::transaction_base& tx, idea_id id, std::optional<std::int64_t> before_key,
                                 int limit);

// Supports that left the 7-day window since the last run leave the momentum
// of their ideas, at most `limit` supports a call (a background step, every
// server process; ideas locked in id order). How many left.
int decay_momentum(pqxx::work& tx, int limit, const std::string& request_id);

// --- Triage (staff) -----------------------------------------------------

idea accept(pqxx::work& tx, idea_id id, const projects::actor& by);
idea decline(pqxx::work& tx, idea_id id, const std::string& reason, const projects::actor& by);
// The duplicate's supporters (but the target's owner) support the target,
// its followers follow it; the duplicate ends merged.
// The target may reach the threshold by it.
idea merge(pqxx::work& tx, idea_id duplicate, idea_id into, const std::string& reason, const projects::actor& by,
           const settings& s);

// --- What the phase table needs (core/platform/src/phases.cpp) -----------

struct phase_row {
    user_id owner;
    std::string phase;
};
std::optional<phase_row> lock_phase(pqxx::work& tx, idea_id id);
// What a move to declined or merged records with the phase (one statement,
// as the table's checks require).
struct phase_extra {
    std::optional<std::int64_t> merged_into;
    std::optional<std::string> decline_reason;
};
void set_phase(pqxx::work& tx, idea_id id, const std::string& phase, const phase_extra& extra = {});

// --- Discussion: comments as on projects -------------------------------

struct comment {
    std::int64_t id = 0;
    idea_id idea;
    user_id author;
    std::optional<std::string> text; // empty when hidden for this reader
    std::string created_at;
    std::optional<std::string> hidden_at;
    std::optional<user_id> hidden_by;         // moderators only
    std::optional<std::string> hidden_reason; // moderators only
};
comment add_comment(pqxx::work& tx, idea_id id, const std::string& text, const projects::actor& by);
comment hide_comment(pqxx::work& tx, idea_id id, std::int64_t comment, const std::string& reason,
                     const projects::actor& by);
std::vector<comment> comments(pqxx::transaction_base& tx, idea_id id, std::optional<std::int64_t> before_id, int limit);
// The idea's owner and staff: every comment in full (else 403).
std::vector<comment> comments_for_moderation(pqxx::transaction_base& tx, idea_id id, const users::principal& viewer,
                                             std::optional<std::int64_t> before_id, int limit);

} // namespace schwarm::ideas
