#pragma once
// Voting rounds: staff set a round up (budget, window, eligibility, ballot
// type, rule, limits) and add the projects with their costs; customers vote
// while it is open, replacing their ballot at will; after the close staff
// tally it with the round's rule, and the anonymised ballots, receipts and
// the full tally are public so anyone can recount and find their own ballot.
//
// Ballot secrecy (docs/SECURITY.md): the roll says who voted; while the round
// is open each voter's ballot lies sealed on the roll under a key that is not
// in the database; the close opens the envelopes into the box, which holds
// choices, receipts and their openings, and nothing that joins them to a voter.

#include "base/audit.hpp"
#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/users.hpp"

#include <boost/json/object.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::voting {

struct round_tag;
using round_id = id<round_tag>;

namespace problems {
inline constexpr problem_type round_state{409, "round-state", "The round is not in a state that allows this"};
inline constexpr problem_type voting_closed{409, "outside-voting-window", "The round does not take ballots now"};
inline constexpr problem_type not_eligible{403, "not-eligible", "This round is not open to you"};
inline constexpr problem_type ballot_limit{422, "ballot-limit", "The ballot breaks a limit of the round"};
inline constexpr problem_type ballot_project{422, "ballot-unknown-project",
                                             "The ballot names a project not in the round"};
inline constexpr problem_type project_key_taken{409, "round-project-exists", "The round has a project with this key"};
inline constexpr problem_type project_kind{422, "round-project-kind", "A round finances donations and loans only"};
inline constexpr problem_type voted_on_paper{409, "voted-on-paper", "The voter's ballot in this round is on paper"};
inline constexpr problem_type already_voted{409, "voter-already-voted",
                                            "A voter in the batch has a ballot in this round already"};
inline constexpr problem_type paper_batch_state{409, "paper-batch-state", "The batch has been decided already"};
inline constexpr problem_type paper_four_eyes{
    403, "paper-four-eyes", "A batch is confirmed or rejected by another staff member than its enterer"};
} // namespace problems

struct round_spec {
    std::string title;
    std::int64_t budget_minor = 0;
    std::string currency_code;
    std::string opens_at;                  // RFC 3339
    std::string closes_at;                 // RFC 3339
    std::string eligibility = "customers"; // or "members"
    std::string ballot = "approval";       // or "cumulative", "ranked"
    std::string rule = "greedy";           // any name voting::find_rule knows (platform names)
    std::string utility = "cost";          // cost | approval (MES with approval ballots)
    int min_projects = 1;
    std::optional<int> max_projects = std::nullopt;
    std::optional<std::int64_t> max_total_cost_minor = std::nullopt; // knapsack ballots
    std::optional<int> points = std::nullopt;                        // cumulative ballots
    // Ranked ballots: at most this many projects, best first; the one at
    // position i (from 0) scores max_ranks - i, as Kraków counts.
    std::optional<int> max_ranks = std::nullopt;
    // The rule's options (docs/voting.md, "Rounds"): {"completion": "add1e", ...}.
    boost::json::object options = {};
};

struct round_info {
    round_id id;
    round_spec spec;
    std::string state;
    bool imported = false;
    bool in_window = false; // the database clock is inside [opens_at, closes_at)
    std::int64_t projects = 0;
    std::int64_t ballots = 0;
};

struct round_project {
    std::string key;
    std::string name;
    std::int64_t cost_minor = 0;
};

struct choice {
    std::string project;
    std::int64_t points = 1; // always 1 on approval ballots; by position on ranked ones
};

struct receipt {
    std::string hash;   // published with the anonymised ballot after the close
    std::string secret; // the receipt's opening: the voter's alone until the close, then published with it
    bool replaced = false;
};

// The key ballots are sealed under while their round is open
// (SCHWARM_BALLOT_KEY): outside the database, so that reading the database
// reads no open round's ballots. Changing it while a round is open makes that
// round's envelopes unreadable and its close fails; change it between rounds.
inline constexpr std::size_t ballot_key_length_min = 32;
class ballot_key {
public:
    // std::invalid_argument for a secret shorter than ballot_key_length_min.
    explicit ballot_key(std::string_view secret);
    const std::string& envelope_key() const { return envelope_key_; } // 32 bytes, derived
private:
    std::string envelope_key_;
};

// Who moves a round: the kernel's one "who did it".
using actor = audit::origin;

inline constexpr std::size_t projects_per_round_max = 1000;
inline constexpr std::size_t choices_per_ballot_max = 1000;
inline constexpr std::size_t ranks_per_ballot_max = 1000;

// Staff. Each checks its state rule, writes the audit record, and throws a
// problem naming the rule on refusal.
round_info create_round(pqxx::work& tx, const round_spec& spec, const actor& by);
round_info find_round(pqxx::transaction_base& tx, round_id id);
void add_project(pqxx::work& tx, round_id id, const round_project& project, const actor& by);
std::vector<round_project> projects_of(pqxx::transaction_base& tx, round_id id);
round_info open_round(pqxx::work& tx, round_id id, const actor& by);
// The close also opens the envelopes into the ballot box (see above).
round_info close_round(pqxx::work& tx, round_id id, const ballot_key& key, const actor& by);

// A round's rule as staff configure it: a name, the utility (MES), options.
struct round_rule {
    std::string name;
    std::string utility;
    boost::json::object options;
};

// A draft round's rule, utility and options; refused once the round is open
// (they are published with it, before the vote).
round_info configure_round(pqxx::work& tx, round_id id, const round_rule& rule, const actor& by);
// The tally under another rule, stored nowhere: for a round that has closed.
// The official result is untouched.
boost::json::object what_if(pqxx::transaction_base& tx, round_id id, const round_rule& rule);

// Staff: an approved platform project enters a draft round (it moves to
// in_vote) with its goal as the cost unless one is given; its key is
// "project-<id>".
round_project add_platform_project(pqxx::work& tx, round_id id, std::int64_t project_id,
                                   std::optional<std::int64_t> cost_minor, const users::principal& staff,
                                   const std::string& request_id);

struct allocation {
    std::vector<std::pair<std::int64_t, std::int64_t>> funded; // project id, amount from the fund
    std::vector<std::int64_t> returned;                        // back to approved
    std::vector<std::int64_t> rejected;
};
// Staff confirm a tallied round: each selected platform project moves to
// selected and receives its cost from the community fund's account into its
// escrow, all in one linked ledger batch (a fund too small refuses it whole);
// the other platform projects return to approved, or are rejected when named
// in `reject` (with `reason`). The round becomes allocated.
allocation allocate(pqxx::work& tx, round_id id, const std::vector<std::int64_t>& reject, const std::string& reason,
                    const users::principal& staff, const std::string& request_id);

// Customers. Replaces the caller's earlier ballot in this round, if any; the
// ballot is sealed on the roll until the close.
receipt cast_ballot(pqxx::work& tx, round_id id, const users::principal& voter, std::vector<choice> choices,
                    const ballot_key& key, const std::string& request_id);

// Runs the round's rule over its ballots and stores the result with its
// trace (state tallied). Returns the stored result.
boost::json::object tally_round(pqxx::work& tx, round_id id, const actor& by);
// The stored result; problem(round_state) before the tally.
boost::json::object result_of(pqxx::transaction_base& tx, round_id id);

struct published_ballot {
    std::string receipt;
    std::optional<std::string> secret; // the receipt's opening (none for ballots cast before it was kept)
    std::vector<choice> choices;
};
// After the close: ballots without voters, ordered by receipt, after `cursor`.
// Every opening is public, so that showing one proves nothing about whose it is.
std::vector<published_ballot> published_ballots(pqxx::transaction_base& tx, round_id id, const std::string& cursor,
                                                int limit);

// Paper ballots (docs/voting.md, "Paper ballots"): staff enter them in a batch,
// each with its voter; another staff member confirms the batch (then its
// ballots are on the roll, counted like online ones) or rejects it. A voter
// has one ballot per round, online or on paper: an online cast after a paper
// one is refused (voted_on_paper), a batch naming a voter who has a ballot is
// refused whole (already_voted), and a race between the two keeps exactly one.
struct paper_ballot {
    user_id voter;
    std::vector<choice> choices; // as cast online: best first on ranked ballots
};
struct paper_batch {
    std::int64_t id = 0;
    round_id round;
    std::string state; // pending | confirmed | rejected
    std::int64_t ballots = 0;
    user_id entered_by;
    std::string entered_at;
    std::optional<user_id> decided_by = std::nullopt;
    std::optional<std::string> decided_at = std::nullopt;
    std::optional<std::string> reason = std::nullopt;
};
inline constexpr std::size_t paper_ballots_per_batch_max = 1000;
// While the round is open (its window may have passed: paper is counted
// after the polls close). Each ballot is checked as an online one would be.
paper_batch enter_paper_batch(pqxx::work& tx, round_id id, std::vector<paper_ballot> ballots, const ballot_key& key,
                              const users::principal& staff, const std::string& request_id);
paper_batch confirm_paper_batch(pqxx::work& tx, round_id id, std::int64_t batch, const users::principal& staff,
                                const std::string& request_id);
paper_batch reject_paper_batch(pqxx::work& tx, round_id id, std::int64_t batch, const std::string& reason,
                               const users::principal& staff, const std::string& request_id);
std::vector<paper_batch> paper_batches_of(pqxx::transaction_base& tx, round_id id);

// pabulib: a closed round out, and a finished election in (as a closed,
// imported round ready for the tally).
std::string export_pabulib(pqxx::transaction_base& tx, round_id id);
// The imported round keeps the file's rule and what its META says (docs/voting.md)
// unless `rule` is given, which replaces them; `utility` replaces the file's.
round_info import_pabulib(pqxx::work& tx, std::string_view text, const std::optional<std::string>& rule,
                          const std::optional<std::string>& utility, const std::string& currency_code, const actor& by);

} // namespace schwarm::voting
