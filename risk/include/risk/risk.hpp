#pragma once
// Risk (DESIGN.md 4.5): credit checks by providers behind one interface,
// staff reviews of loan applications with four eyes, and investor
// protection (EU crowdfunding regulation 2020/1503). api's main() binds the
// gate (risk_port) and runs the check worker; api/risk.cpp's handlers call
// the functions below. Read models are JSON documents (boost::json), since
// what a check asked and was answered is JSON anyway.

#include "base/config.hpp"
#include "base/db.hpp"
#include "base/problem.hpp"
#include "platform/projects.hpp"
#include "platform/risk_port.hpp"
#include "risk/circuit.hpp"
#include "risk/transport.hpp"

#include <boost/json/object.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace schwarm::risk {

namespace problems {
// Credit applications and reviews.
inline constexpr problem_type not_a_loan{422, "risk-not-a-loan", "Credit checks and reviews are for loans"};
inline constexpr problem_type application_closed{409, "risk-application-closed",
                                                 "The application can no longer be changed"};
inline constexpr problem_type review_state{409, "risk-review-state", "The review's state does not allow this"};
inline constexpr problem_type review_incomplete{409, "risk-review-incomplete",
                                                "The loan needs its staff approvals first"};
inline constexpr problem_type check_outstanding{409, "risk-check-outstanding",
                                                "A credit check is missing, failed or still running"};
inline constexpr problem_type check_declined{409, "risk-check-declined", "A credit check declined the loan"};
inline constexpr problem_type conflict_of_interest{403, "risk-conflict-of-interest",
                                                   "Staff may not review a project they own, back or are related to"};
inline constexpr problem_type already_approved{409, "risk-second-approval-same-person",
                                               "Four eyes are two people: this reviewer has already approved"};
// Callbacks from a bureau.
inline constexpr problem_type callback_signature{401, "risk-callback-signature", "The callback's signature is invalid"};
inline constexpr problem_type callback_stale{401, "risk-callback-stale",
                                             "The callback's timestamp is outside the window"};
inline constexpr problem_type callback_replayed{409, "risk-callback-replayed", "The callback was already received"};
// Investor protection: every refusal names the rule and the numbers.
inline constexpr problem_type knowledge_test_required{403, "risk-knowledge-test-required",
                                                      "A passed entry knowledge test is required first"};
inline constexpr problem_type loss_simulation_required{403, "risk-loss-simulation-required",
                                                       "The loss simulation is required first"};
inline constexpr problem_type acknowledgement_required{422, "risk-acknowledgement-required",
                                                       "The risk warning must be acknowledged for this amount"};
inline constexpr problem_type investor_project_limit{422, "risk-investor-project-limit",
                                                     "The pledge exceeds the limit per investor per project"};
inline constexpr problem_type owner_limit{422, "risk-owner-limit",
                                          "The project owner's 12-month fundraising limit would be exceeded"};
inline constexpr problem_type profile_required{409, "risk-profile-required", "Declare an investor profile first"};
} // namespace problems

// --- settings ---------------------------------------------------------------

struct settings {
    std::vector<std::string> providers; // scorecard, webhook
    std::string bureau_key;
    std::chrono::milliseconds bureau_timeout{2000};
    int retries_max = 2;
    std::chrono::milliseconds backoff{100};
    int breaker_failures = 5;
    std::chrono::milliseconds breaker_cooldown{30'000};
    int calls_max = 64;
    std::int64_t replay_window_s = 300;
    std::int64_t callback_wait_s = 86'400;
    std::chrono::milliseconds poll{50};
    std::int64_t four_eyes_above_minor = 2'500'000;
    std::int64_t pledge_limit_per_project_minor = 10'000'000;
    std::int64_t owner_limit_minor = 500'000'000;
};
settings from_config(const config& c);

// Regulation constants (EU 2020/1503 art. 21 and delegated act).
inline constexpr std::int64_t warning_floor_minor = 100'000; // EUR 1,000
inline constexpr int warning_net_worth_bp = 500;             // 5 %
inline constexpr int loss_simulation_bp = 1000;              // 10 %
inline constexpr int knowledge_test_valid_years = 2;

// The signature of a request or callback: HMAC-SHA256 over "<timestamp>.<body>", hex.
std::string sign(const std::string& key, const std::string& timestamp, const std::string& body);
inline constexpr const char* timestamp_header = "X-Schwarm-Timestamp";
inline constexpr const char* signature_header = "X-Schwarm-Signature";

// --- the gate core asks (risk_port) -------------------------------------------

class gate final : public risk_port::gate {
public:
    explicit gate(settings s) : settings_(std::move(s)) {}
    std::vector<std::optional<problem>>
    pledges_allowed(pqxx::work& tx, std::span<const risk_port::pledge_request> requests) const override;
    std::vector<bool> may_revoke(pqxx::transaction_base& tx, std::span<const user_id> backers) const override;
    std::optional<problem> transition_allowed(pqxx::work& tx, const risk_port::transition_request& move) const override;
    void transitioned(pqxx::work& tx, const risk_port::transition_request& move) const override;

private:
    settings settings_;
};

// --- loan applications and staff reviews --------------------------------------

struct application_input {
    std::string applicant_type; // person | company
    std::int64_t monthly_income_minor = 0;
    std::int64_t monthly_expenses_minor = 0;
    std::int64_t existing_debt_minor = 0;
    std::string purpose;
    std::optional<int> years_in_business;
};

// The owner declares (or corrects) the credit inputs of their loan. After a
// request for information this starts a new review round and new checks.
boost::json::object put_application(pqxx::work& tx, const settings& s, projects::project_id project,
                                    const application_input& in, const projects::actor& by);
boost::json::object read_application(pqxx::transaction_base& tx, projects::project_id project,
                                     const users::principal& viewer);

struct review_filter {
    std::optional<std::string> state;             // waiting | info_requested | approved | rejected | withdrawn
    std::optional<std::string> decision;          // the latest completed check's decision: approve | refer | decline
    std::optional<std::int64_t> after_project_id; // keyset: oldest first
    int limit = 50;
};
boost::json::array list_reviews(pqxx::transaction_base& tx, const review_filter& f);
boost::json::object read_review(pqxx::transaction_base& tx, projects::project_id project);

// Staff decisions. An approval that completes the review (one, or two by
// different people above the four-eyes principal) approves the project.
boost::json::object approve(pqxx::work& tx, const settings& s, projects::project_id project, const projects::actor& by);
boost::json::object reject(pqxx::work& tx, projects::project_id project, const std::string& reason,
                           const projects::actor& by);
boost::json::object request_info(pqxx::work& tx, projects::project_id project, const std::string& message,
                                 const projects::actor& by);
// Queues a new check by every configured provider (after a failure, say).
boost::json::object rerun_checks(pqxx::work& tx, const settings& s, projects::project_id project,
                                 const projects::actor& by);
// Records that a staff member is related to a customer.
void record_relationship(pqxx::work& tx, user_id staff, user_id customer, const std::string& kind,
                         const projects::actor& by);

// --- callbacks from the bureau ------------------------------------------------

struct callback {
    std::string provider;
    std::string timestamp; // header, Unix seconds
    std::string signature; // header, hex
    std::string body;
    std::string request_id; // of the callback's request, for the audit record
};
// Checks signature, window and replay, then records the answer.
boost::json::object accept_callback(pqxx::work& tx, const settings& s, const callback& c);

// --- the check worker ---------------------------------------------------------

// Claims queued checks (FOR UPDATE SKIP LOCKED, so several server processes
// share the queue), commits, runs the providers outside any transaction on
// threads of its own (at most calls_max outbound calls at once), and
// records each answer in a new transaction.
class check_worker {
public:
    // `bureau` may be null when the webhook provider is not configured.
    check_worker(settings s, std::string database_url, std::shared_ptr<transport> bureau);
    ~check_worker();
    check_worker(const check_worker&) = delete;
    check_worker& operator=(const check_worker&) = delete;

    void start();
    // Stops claiming, lets calls under way finish (each has its deadline),
    // records them, joins.
    void stop();

private:
    struct job;
    struct outcome;
    void run_dispatcher();
    void run_caller();
    outcome call_bureau(const job& j);
    // The circuit's reads and writes share one connection of their own.
    std::optional<std::string> circuit_refuses(); // why no call may go out
    void circuit_reports(bool ok);

    settings settings_;
    std::string database_url_;
    std::shared_ptr<transport> bureau_;
    circuit circuit_;
    std::mutex circuit_mutex_;
    db::worker_context circuit_db_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable jobs_ready_;     // callers wait here
    std::condition_variable outcomes_ready_; // the dispatcher waits here
    std::condition_variable stopped_;        // backoff sleeps wait here
    std::deque<job> jobs_;
    std::deque<outcome> outcomes_;
    int in_flight_ = 0;
    std::thread dispatcher_;
    std::vector<std::thread> callers_;
};

// --- investor protection ------------------------------------------------------

struct profile_input {
    std::int64_t annual_income_minor = 0;
    std::int64_t liquid_assets_minor = 0;
    std::int64_t annual_commitments_minor = 0;
};
boost::json::object read_investor(pqxx::transaction_base& tx, user_id who);
boost::json::object put_profile(pqxx::work& tx, user_id who, const profile_input& in, const std::string& request_id);
// Shows the loss the investor could bear (10 % of net worth) and records
// that they have seen it.
boost::json::object run_loss_simulation(pqxx::work& tx, user_id who, const std::string& request_id);
boost::json::array knowledge_questions(pqxx::transaction_base& tx);
struct answer {
    std::string question_id;
    int option = 0;
};
boost::json::object take_knowledge_test(pqxx::work& tx, user_id who, const std::vector<answer>& answers,
                                        const std::string& request_id);
boost::json::object request_sophistication(pqxx::work& tx, user_id who, const std::string& evidence,
                                           const std::string& request_id);
boost::json::array list_sophistication_requests(pqxx::transaction_base& tx, std::optional<std::string> state,
                                                std::optional<std::int64_t> after_id, int limit);
boost::json::object decide_sophistication(pqxx::work& tx, std::int64_t request_id_, bool approved,
                                          const std::string& reason, const projects::actor& by);

// Everything risk holds about `who`, for their data export: investor
// profile, knowledge tests, sophistication requests, relationships recorded
// with staff, and the credit applications and checks of their loans.
boost::json::object personal_data(pqxx::transaction_base& tx, user_id who);

} // namespace schwarm::risk
