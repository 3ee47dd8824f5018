#pragma once
// Followers hear what happens (DESIGN.md 4.1, issue 14 §3). A change worth
// telling writes an event in the same transaction as the change (a
// transactional outbox), and the same statement fans it out: a feed item for
// every follower of the event's idea or project (a project made from an idea
// tells the idea's followers too), and a webhook delivery for each of their
// webhooks (core/platform/webhooks.hpp). The one who caused the event is not
// told of it. Events and feed items are append-only.

#include "base/audit.hpp"
#include "base/ids.hpp"

#include <boost/json/object.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::events {

// What happened, as `kind`: the names clients switch on (README, glossary).
namespace kinds {
inline constexpr const char* idea_phase_changed = "idea.phase_changed";
inline constexpr const char* project_drafted = "project.drafted"; // an accepted idea's prototype draft
inline constexpr const char* draft_changed = "project.draft_changed";
inline constexpr const char* co_author_invited = "project.co_author_invited";
inline constexpr const char* co_author_joined = "project.co_author_joined";
inline constexpr const char* feedback_answered = "project.feedback_answered";
inline constexpr const char* project_phase_changed = "project.phase_changed";
inline constexpr const char* project_state_changed = "project.state_changed";
inline constexpr const char* update_posted = "project.update_posted";
inline constexpr const char* round_opened = "round.opened";
inline constexpr const char* round_tallied = "round.tallied";
inline constexpr const char* campaign_settled = "campaign.settled";
inline constexpr const char* loan_repayment = "loan.repayment";
} // namespace kinds

// What an event is about: an idea, a project (its idea, if it was made from
// one, is found by the statement), or both.
struct subject {
    std::optional<std::int64_t> idea;
    std::optional<std::int64_t> project;
    static subject of_idea(std::int64_t id) { return {id, std::nullopt}; }
    static subject of_project(std::int64_t id) { return {std::nullopt, id}; }
};

// Who hears it beyond the followers: e.g. the user invited as a co-author,
// who follows nothing yet. `followers = false`: only them.
struct audience {
    std::vector<user_id> also;
    bool followers = true;
};

// Writes the event and its fan-out; returns its id.
std::int64_t publish(pqxx::work& tx, const char* kind, const subject& about, const boost::json::object& data,
                     const audit::origin& by, const audience& to = {});

// A round's event, one per platform project in it (rounds.cpp): told to each
// project's followers, with the project's key in the round and, when
// `selected_keys` is given (a tally), whether it was selected.
int publish_round(pqxx::work& tx, const char* kind, std::int64_t round_id, const boost::json::object& data,
                  const std::optional<std::vector<std::string>>& selected_keys, const audit::origin& by);

// Following. Reasons: owner, supporter, backer, co_author (set by the
// platform), chosen (the user's own choice).
bool follow(pqxx::work& tx, user_id who, const subject& what, const char* reason);
// Backers of a pledge batch follow its projects: one statement, whatever the
// batch's size (core/platform/src/pledges.cpp, the hot money path).
void follow_projects(pqxx::work& tx, const std::vector<std::int64_t>& users, const std::vector<std::int64_t>& projects,
                     const char* reason);
// Every follower of one idea also follows another (a merged duplicate's).
// Supporters of a support batch follow its ideas: one statement.
void follow_ideas(pqxx::work& tx, const std::vector<std::int64_t>& users, const std::vector<std::int64_t>& ideas,
                  const char* reason);
int copy_idea_followers(pqxx::work& tx, std::int64_t from_idea, std::int64_t to_idea);
bool unfollow(pqxx::work& tx, user_id who, const subject& what);

struct follow_view {
    std::int64_t id = 0;
    std::optional<std::int64_t> idea;
    std::optional<std::int64_t> project;
    std::string reason;
    std::string created_at;
};
// Newest first, keyset on the follow's id.
std::vector<follow_view> follows_of(pqxx::transaction_base& tx, user_id who, std::optional<std::int64_t> before_id,
                                    int limit);

struct event {
    std::int64_t id = 0;
    std::string kind;
    std::optional<std::int64_t> idea;
    std::optional<std::int64_t> project;
    std::optional<std::int64_t> round;
    std::string data_json;
    std::string at; // RFC 3339, UTC
    bool read = false;
};
// The event as feeds and webhooks show it.
boost::json::object to_json(const event& e);

// A user's feed, newest first, keyset on the event id.
std::vector<event> feed(pqxx::transaction_base& tx, user_id who, std::optional<std::int64_t> before_id, int limit);
// Events newer than what the user has read, counted up to `cap`.
int unread(pqxx::transaction_base& tx, user_id who, int cap);
// Marks the feed read up to `up_to` (default: its newest event); the marker
// never moves back. Returns where it stands.
std::int64_t mark_read(pqxx::work& tx, user_id who, std::optional<std::int64_t> up_to, const std::string& request_id);

} // namespace schwarm::events
