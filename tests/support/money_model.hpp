#pragma once
// The platform's money as the specification says it moves (DESIGN.md 4.3,
// README's routes and problem types), written again in test code so that the
// server can be checked against it: wallets (balance, held, available),
// campaigns with their escrows and outcomes, pledges with their reflection
// periods, the platform's fees, the investor limits on loans, and the answer
// (status and problem type) every money request must get. Nothing here
// includes the product's code: where the two disagree, one of them is wrong.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::test::model {

// Platform time: seconds since the epoch, UTC.
using instant = std::int64_t;

// RFC 3339 with `Z` or an offset, fractions of a second dropped.
instant parse_time(const std::string& rfc3339);
// RFC 3339 UTC to the second, as the server answers times.
std::string format_time(instant t);
// The bank's time zone (Europe/Berlin, EU summer time rules): the offset
// from UTC in seconds at `t`.
int berlin_offset_s(instant t);
// `t` plus `days` calendar days on the bank's wall clock (the reflection
// period: 4 days, 95 or 97 hours across a change of summer time).
instant local_add_days(instant t, int days);
// Whether the wall-clock time `days` after `t` falls into the hour a change
// of summer time skips or repeats (where a calendar sum is ambiguous).
bool ambiguous_local_add(instant t, int days);

inline constexpr int reflection_days = 4;

// What a request is answered: a status and, for a problem, its type's slug.
struct answer {
    int status = 0;
    std::string slug; // empty for a success
    bool operator==(const answer&) const = default;
};
std::string to_string(const answer& a);
inline answer success(int status) { return {status, ""}; }

struct settings {
    int fee_bp = 200;
    std::int64_t owner_limit_minor = 500'000'000;
    std::int64_t project_limit_minor = 10'000'000;
    // The risk warning's threshold for the investors the tests register:
    // the higher of EUR 1,000 and 5 % of their declared net worth (EUR 100,000).
    std::int64_t warning_threshold_minor = 500'000;
};

enum class pledge_state { held, posted, voided, revoked, refunded };
const char* to_string(pledge_state s);

struct customer {
    bool investor_ready = true; // profile, loss simulation and knowledge test done
    bool sophisticated = false; // may not revoke, needs no warning
    std::int64_t id = 0;        // the server's user id: lenders are listed (and cents given) in its order
};

struct wallet {
    bool exists = false; // the ledger account is opened by its first booking
    std::int64_t balance = 0;
    std::int64_t held = 0;
    std::int64_t available() const { return balance - held; }
};

struct project {
    std::string owner;
    std::string kind = "donation"; // donation | reward | loan
    std::string mode = "all_or_nothing";
    std::string currency = "EUR";
    std::int64_t goal = 0;
    std::int64_t min_pledge = 1;
    bool overfunding = false;
    instant deadline = 0;
    // A loan's terms: the annual rate in basis points, the term in months,
    // annuity or equal_principal.
    int rate_bp = 500;
    int term_months = 12;
    std::string schedule = "annuity";
    std::string state = "funding";
    std::int64_t pledged = 0; // the public counter: held and posted pledges
    int backers = 0;
    instant reflection_end = 0; // the latest end of a reflection period begun here
    std::optional<std::string> outcome;
    std::int64_t fee = 0;
    std::int64_t escrow_posted = 0;
    std::int64_t escrow_held = 0;
    instant settles_at() const { return std::max(deadline, reflection_end); }
};

struct pledge {
    std::string backer;
    std::string project;
    std::int64_t amount = 0;
    std::string currency;
    bool acknowledged = false;
    pledge_state state = pledge_state::held;
    std::optional<instant> revocable_until;
    instant created = 0;
};

struct pledge_request {
    std::string name; // the pledge's name in the history, if it is made
    std::string backer;
    std::string project; // a project's name; unknown names are unknown projects
    std::int64_t amount = 0;
    std::string currency = "EUR";
    bool acknowledged = false;
};

// A loan after its disbursement: its schedule (loan_schedule), each lender's
// share and what came back.
struct instalment {
    int no = 0;
    std::int64_t principal = 0, interest = 0;
    std::int64_t principal_paid = 0, interest_paid = 0;
};
struct lender {
    std::string who;
    std::int64_t share = 0;
    std::int64_t principal_received = 0, interest_received = 0;
};
struct loan {
    std::string borrower;
    std::int64_t principal = 0;
    std::vector<instalment> schedule;
    std::vector<lender> lenders; // in the order of their user ids
    std::string state = "repaying";
    std::int64_t owed() const;
};

// A loan's schedule by the rules of docs/decisions.md ("Loan arithmetic"),
// written here from them: the monthly rate is rate_bp / 120000; a month's
// interest is the balance times it, rounded half up; an annuity's payment is
// P·r / (1 − (1 + r)^−n) computed exactly and rounded half up, each
// instalment's principal the payment less its interest; equal principal (and
// an interest-free annuity) repays floor(P / n) a month, the first P mod n
// instalments a cent more; the last instalment takes whatever principal
// remains.
std::vector<instalment> loan_schedule(std::int64_t principal, int rate_bp, int months, const std::string& kind);

// `amount` split by `weights`: the floor of each part, then one unit each by
// largest remainder, ties to the lower index.
std::vector<std::int64_t> split_largest_remainder(std::int64_t amount, const std::vector<std::int64_t>& weights);

// The first successful answer of a request under (caller, Idempotency-Key),
// which a retry gets again.
struct kept_answer {
    std::string request; // method, path and body
    int status = 0;
    std::string body;
};

class platform {
public:
    explicit platform(settings s = {}) : settings_(s) {}

    settings settings_;
    instant now = 0;
    std::map<std::string, customer> customers;
    std::map<std::string, project> projects;
    std::map<std::string, pledge> pledges;
    std::map<std::pair<std::string, std::string>, wallet> wallets;   // (customer, currency)
    std::map<std::string, std::int64_t> fees;                        // fee income per currency
    std::map<std::pair<std::string, std::string>, kept_answer> kept; // (caller, key)
    std::map<std::string, loan> loans;                               // by project

    wallet& wallet_of(const std::string& who, const std::string& currency);
    const wallet* find_wallet(const std::string& who, const std::string& currency) const;

    // Staff move money in from and out to a customer's bank account.
    answer deposit(const std::string& who, std::int64_t amount, const std::string& currency);
    answer payout(const std::string& who, std::int64_t amount, const std::string& currency);
    // A pledge made at `created` (the platform time of its transaction).
    answer place(const pledge_request& r, instant created);
    answer revoke(const std::string& who, const std::string& pledge_name);
    // Staff settle a campaign now (it must be due).
    answer settle(const std::string& project_name);
    // The settlement job: every campaign due now; the names it settled.
    std::vector<std::string> settle_due();
    // Staff stop a campaign; its owner withdraws it.
    answer cancel(const std::string& project_name);
    answer withdraw(const std::string& who, const std::string& project_name);
    // Loans: staff disburse a funded loan (its schedule by loan_schedule),
    // the borrower (or staff) repays, staff mark it defaulted.
    answer disburse(const std::string& project_name);
    answer repay(const std::string& caller, const std::string& project_name, std::int64_t amount);
    answer mark_defaulted(const std::string& project_name);

    // The pledges counted for the per-owner limit: held or posted, to any
    // of the owner's projects, within 12 months.
    std::int64_t raised_by_owner(const std::string& owner) const;
    // Every instant at which a rule changes its answer: deadlines and the
    // ends of reflection periods of what is still open.
    std::vector<instant> boundaries() const;
    // Campaigns in funding that are due now.
    std::vector<std::string> due() const;

private:
    void settle_project(project& p, const std::string& name);
    void unwind(project& p, const std::string& name);
    void pay_lenders(loan& l, const std::string& currency, std::int64_t principal, std::int64_t interest);
    std::int64_t pledged_by(const std::string& backer, const std::string& project_name) const;
    bool has_active(const std::string& backer, const std::string& project_name, const std::string& except) const;
};

} // namespace schwarm::test::model
