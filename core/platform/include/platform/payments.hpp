#pragma once
// A customer's own money in and out (docs/payments.md). Deposits: the
// customer starts a payment intent, the payment provider's signed callback
// confirms it, and only then is money booked, once. Payouts: the customer asks
// for one to their bank account, the amount is held in the wallet at once,
// staff approve (two different staff members above a configured amount) and
// the hold is posted, or reject and it is voided.

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "ledger/ledger.hpp"
#include "platform/wallets.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::payments {

namespace problems {
inline constexpr problem_type intent_unknown{404, "payment-intent-unknown", "There is no such payment intent"};
inline constexpr problem_type intent_expired{409, "payment-intent-expired", "The payment intent has expired"};
inline constexpr problem_type intent_mismatch{422, "payment-intent-mismatch", "The payment does not match its intent"};
inline constexpr problem_type intent_confirmed{409, "payment-intent-confirmed",
                                               "The payment intent was confirmed by another payment"};
inline constexpr problem_type payout_state{409, "payout-state", "The payout is no longer waiting for a decision"};
inline constexpr problem_type payout_own{403, "payout-own-request", "Nobody decides their own payout"};
inline constexpr problem_type payout_same_approver{409, "payout-second-approval-same-person",
                                                   "A second approval must come from another staff member"};
inline constexpr problem_type iban_missing{422, "payout-iban-missing",
                                           "There is no bank account on file and none was given"};
} // namespace problems

// ISO 13616: country, two check digits, the national part; spaces allowed
// in `text` and letters in any case. The IBAN in its electronic form (upper
// case, no spaces), or nullopt when the length for its country or the
// mod-97 check fails.
std::optional<std::string> normalise_iban(std::string_view text);

struct intent {
    std::int64_t id = 0;
    user_id owner;
    std::string reference; // what the provider quotes back: pi_ and 32 hex digits
    std::int64_t amount_minor = 0;
    std::string currency_code;
    std::string state; // pending | confirmed | expired (pending past expires_at)
    std::string created_at;
    std::string expires_at;
    std::optional<std::string> confirmed_at;
    std::optional<std::int64_t> entry_id;
};

// A new intent of the customer `owner`, expiring `ttl_s` seconds from now
// on the platform clock; audited.
intent start_deposit(pqxx::work& tx, user_id owner, std::int64_t amount_minor, const std::string& currency_code,
                     std::int64_t ttl_s, const std::string& request_id);
intent find_intent(pqxx::transaction_base& tx, std::int64_t id); // 404 payment-intent-unknown
std::vector<intent> intents_of(pqxx::transaction_base& tx, user_id owner, std::optional<std::int64_t> before,
                               int limit);

// What the signed callback says was paid for intent `reference`.
struct confirmation {
    std::string reference;
    std::string event_id;
    std::int64_t amount_minor = 0;
    std::string currency_code;
    std::string request_id;
};
struct confirmed {
    intent paid;
    wallets::booked booking;
};
// Books the deposit once: the same event again replays the booking; an
// unknown, expired or already otherwise confirmed intent, or another amount
// or currency, is refused and books nothing.
confirmed confirm_deposit(pqxx::work& tx, const confirmation& c);

// The customer's bank account on file.
void set_bank_account(pqxx::work& tx, user_id owner, const std::string& iban, const std::string& request_id);
std::optional<std::string> bank_account(pqxx::transaction_base& tx, user_id owner);

struct payout {
    std::int64_t id = 0;
    user_id owner;
    std::int64_t amount_minor = 0;
    std::string currency_code;
    std::string iban;
    std::string state; // requested | paid | rejected
    int approvals_needed = 1;
    std::vector<user_id> approved_by;
    std::optional<std::string> reason;
    std::optional<user_id> decided_by;
    std::string created_at;
    std::optional<std::string> decided_at;
    std::int64_t hold_entry_id = 0;
    std::optional<std::int64_t> resolve_entry_id;
};

struct payout_ask {
    user_id owner;
    std::int64_t amount_minor = 0;
    std::string currency_code;
    std::optional<std::string> iban; // normalised; none: the one on file
    std::string idempotency_key;     // the platform's, unique per customer and request
    std::int64_t four_eyes_above_minor = 0;
    std::string request_id;
};
// Holds the amount in the wallet (insufficient-funds beyond the available
// balance) and records the request; audited.
payout request_payout(pqxx::work& tx, const payout_ask& ask);
payout find_payout(pqxx::transaction_base& tx, std::int64_t id); // 404
// Staff: every payout (state filter optional); a customer: `owner`'s own.
std::vector<payout> payouts(pqxx::transaction_base& tx, std::optional<user_id> owner,
                            const std::optional<std::string>& state, std::optional<std::int64_t> before, int limit);
// A staff member approves; the last approval needed posts the hold.
payout approve_payout(pqxx::work& tx, std::int64_t id, user_id staff, const std::string& request_id);
// A staff member rejects with a reason; the hold is voided.
payout reject_payout(pqxx::work& tx, std::int64_t id, user_id staff, const std::string& reason,
                     const std::string& request_id);

} // namespace schwarm::payments
