#include "ledger/ledger.hpp"

#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/db.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

namespace schwarm::ledger {

namespace {

constexpr std::array<std::string_view, 5> account_type_names{"asset", "liability", "equity", "income", "expense"};
constexpr std::array<std::string_view, 2> side_names{"debit", "credit"};
constexpr std::array<std::string_view, 4> kind_names{"posted", "pending", "post_pending", "void_pending"};

const db::query insert_account{
    "ledger.insert_account",
    "INSERT INTO ledger_accounts (code, name, type, currency, owner_user_id, owner_project_id, "
    "debits_must_not_exceed_credits, credits_must_not_exceed_debits) "
    "VALUES ($1, $2, $3::account_type, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING RETURNING id"};

const db::query select_accounts_of_user{"ledger.select_accounts_of_user",
                                        "SELECT id FROM ledger_accounts WHERE owner_user_id = $1 ORDER BY id"};

const db::query select_account{
    "ledger.select_account",
    "SELECT id, code, name, type::text, currency, owner_user_id, owner_project_id, "
    "debits_must_not_exceed_credits, credits_must_not_exceed_debits, closed_at IS NOT NULL, "
    "debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts WHERE id = $1"};

const db::query select_account_by_code{"ledger.select_account_by_code",
                                       "SELECT id FROM ledger_accounts WHERE code = $1"};

const db::query select_accounts_by_code{"ledger.select_accounts_by_code",
                                        "SELECT code, id FROM ledger_accounts WHERE code = ANY($1::text[])"};

const db::query close_account_query{
    "ledger.close_account", "UPDATE ledger_accounts SET closed_at = schwarm_now() WHERE id = $1 AND closed_at IS NULL"};

// Serialises requests that carry the same idempotency key, in a fixed order
// so that two batches never wait for each other crosswise.
const db::query lock_keys{"ledger.lock_keys",
                          "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 5501) AS h "
                          "FROM unnest($1::text[]) AS k) AS keys ORDER BY h"};

const db::query find_keys{
    "ledger.find_keys",
    "SELECT idempotency_key, id, request_hash FROM ledger_entries WHERE idempotency_key = ANY($1::text[])"};

const db::query lock_accounts{
    "ledger.lock_accounts",
    "SELECT id, currency, closed_at IS NOT NULL, debits_must_not_exceed_credits, credits_must_not_exceed_debits, "
    "debits_posted, credits_posted, debits_pending, credits_pending "
    "FROM ledger_accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE"};

// Holds are locked first and read after, in a second statement: under READ
// COMMITTED that statement sees a resolution committed by whoever held the
// lock before us (the locking statement's own snapshot would not).
const db::query lock_holds{"ledger.lock_holds",
                           "SELECT id FROM ledger_entries WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE"};

const db::query read_holds{"ledger.read_holds",
                           "SELECT e.id, e.kind::text, e.expires_at IS NOT NULL AND e.expires_at <= schwarm_now(), "
                           "EXISTS (SELECT 1 FROM ledger_entries r WHERE r.pending_id = e.id) "
                           "FROM ledger_entries e WHERE e.id = ANY($1::bigint[])"};

const db::query select_postings{"ledger.select_postings",
                                "SELECT entry_id, account_id, side::text, amount_minor, currency FROM ledger_postings "
                                "WHERE entry_id = ANY($1::bigint[]) ORDER BY entry_id, seq"};

const db::query next_entry_ids{"ledger.next_entry_ids",
                               "SELECT nextval('ledger_entries_id_seq') FROM generate_series(1, $1)"};

const db::query insert_entries{
    "ledger.insert_entries",
    "INSERT INTO ledger_entries (id, idempotency_key, request_hash, kind, pending_id, expires_at, description, "
    "created_by, request_id) "
    "SELECT id, key, hash, kind, pending, CASE WHEN expires_s IS NULL THEN NULL "
    "ELSE schwarm_now() + make_interval(secs => expires_s) END, description, created_by, request_id "
    "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::entry_kind[], $5::bigint[], $6::bigint[], $7::text[], "
    "$8::bigint[], $9::text[]) AS t(id, key, hash, kind, pending, expires_s, description, created_by, request_id) "
    "RETURNING id, " SCHWARM_SQL_UTC_MICROS("created_at") ", " SCHWARM_SQL_UTC_MICROS("expires_at")};

const db::query insert_postings{
    "ledger.insert_postings",
    "INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount_minor, currency) "
    "SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bigint[], $4::posting_side[], $5::bigint[], $6::text[])"};

const db::query update_balances{
    "ledger.update_balances",
    "UPDATE ledger_accounts AS a SET debits_posted = a.debits_posted + d.dp, "
    "credits_posted = a.credits_posted + d.cp, debits_pending = a.debits_pending + d.dq, "
    "credits_pending = a.credits_pending + d.cq "
    "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(id, dp, cp, dq, cq) "
    "WHERE a.id = d.id RETURNING a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending"};
// The entries just written, as the database holds them: any that does not
// balance per currency (the read-back half of the pair assertion).
const db::query select_unbalanced{
    "ledger.unbalanced",
    "SELECT entry_id FROM ledger_postings WHERE entry_id = ANY($1::bigint[]) GROUP BY entry_id, currency "
    "HAVING sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0 LIMIT 1"};

const db::query select_entries{
    "ledger.select_entries",
    "SELECT id, kind::text, pending_id, " SCHWARM_SQL_UTC_MICROS("expires_at") ", description, " SCHWARM_SQL_UTC_MICROS(
        "created_at") " FROM ledger_entries WHERE id = ANY($1::bigint[])"};

const db::query claim_expired{
    "ledger.claim_expired",
    "SELECT e.id FROM ledger_entries e WHERE e.kind = 'pending' AND e.expires_at <= schwarm_now() "
    "AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.pending_id = e.id) "
    "ORDER BY e.expires_at LIMIT $1 FOR UPDATE SKIP LOCKED"};

const db::query select_statement{
    "ledger.statement",
    "SELECT p.entry_id, p.seq, " SCHWARM_SQL_UTC_MICROS(
        "e.created_at") ", e.kind::text, p.side::text, p.amount_minor, "
                        "e.description FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
                        "WHERE p.account_id = $1 AND p.entry_id <= $2 AND (p.entry_id, p.seq) < ($2, $3) "
                        "ORDER BY p.entry_id DESC, p.seq DESC LIMIT $4"};

const db::query select_trial_balance{
    "ledger.trial_balance",
    "SELECT a.id, a.code, a.name, a.type::text, a.currency, "
    "COALESCE(sum(p.amount_minor) FILTER (WHERE p.side = 'debit'), 0)::bigint, "
    "COALESCE(sum(p.amount_minor) FILTER (WHERE p.side = 'credit'), 0)::bigint "
    "FROM ledger_accounts a LEFT JOIN (ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
    "AND e.kind IN ('posted', 'post_pending') AND e.created_at <= $1::timestamptz) ON p.account_id = a.id "
    "GROUP BY a.id ORDER BY a.code"};

const db::query verify_entries{
    "ledger.verify_entries",
    "SELECT e.id, e.kind::text, count(p.*), "
    "COALESCE(bool_and(true), true) FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id "
    "GROUP BY e.id HAVING (e.kind IN ('posted', 'pending', 'post_pending') AND count(p.*) < 2) "
    "OR (e.kind = 'void_pending' AND count(p.*) > 0) ORDER BY e.id LIMIT 1"};

const db::query verify_balanced{
    "ledger.verify_balanced",
    "SELECT entry_id, currency FROM ledger_postings GROUP BY entry_id, currency "
    "HAVING sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0 ORDER BY entry_id LIMIT 1"};

const db::query verify_accounts{
    "ledger.verify_accounts",
    "WITH sums AS ("
    " SELECT p.account_id, "
    "  sum(p.amount_minor) FILTER (WHERE p.side = 'debit' AND e.kind IN ('posted', 'post_pending')) AS dp, "
    "  sum(p.amount_minor) FILTER (WHERE p.side = 'credit' AND e.kind IN ('posted', 'post_pending')) AS cp, "
    "  sum(p.amount_minor) FILTER (WHERE p.side = 'debit' AND e.kind = 'pending' AND r.id IS NULL) AS dq, "
    "  sum(p.amount_minor) FILTER (WHERE p.side = 'credit' AND e.kind = 'pending' AND r.id IS NULL) AS cq "
    " FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
    " LEFT JOIN ledger_entries r ON r.pending_id = e.id "
    " GROUP BY p.account_id) "
    "SELECT a.id, a.code, a.debits_posted, COALESCE(s.dp, 0), a.credits_posted, COALESCE(s.cp, 0), "
    " a.debits_pending, COALESCE(s.dq, 0), a.credits_pending, COALESCE(s.cq, 0), (SELECT count(*) FROM "
    "ledger_accounts) "
    "FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id "
    "WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending) IS DISTINCT FROM "
    " (COALESCE(s.dp, 0), COALESCE(s.cp, 0), COALESCE(s.dq, 0), COALESCE(s.cq, 0)) ORDER BY a.id LIMIT 1"};

const db::query count_ledger{"ledger.count",
                             "SELECT (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM ledger_accounts)"};

template <std::size_t N>
std::optional<std::size_t> index_of(const std::array<std::string_view, N>& names, std::string_view text) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == text) return i;
    }
    return std::nullopt;
}

entry_kind parse_kind(std::string_view text) { return static_cast<entry_kind>(index_of(kind_names, text).value()); }

// What booking does to one account: deltas of the four balances.
struct delta {
    std::int64_t debits_posted = 0;
    std::int64_t credits_posted = 0;
    std::int64_t debits_pending = 0;
    std::int64_t credits_pending = 0;
};

struct account_state {
    std::string currency_code;
    bool closed;
    bool debits_must_not_exceed_credits;
    bool credits_must_not_exceed_debits;
    balances bal;
    delta change; // accumulated over the batch, written once
};

struct hold_state {
    bool is_pending;
    bool expired;
    bool resolved; // in the database, or earlier in this batch
    std::vector<posting> postings;
};

// The content that an idempotency key promises: same key, same hash.
std::string request_hash(const entry_request& r) {
    std::string canonical = std::string(to_string(r.kind)) + "|";
    canonical += r.pending ? r.pending->str() : "-";
    canonical += "|" + (r.expires_in_s ? std::to_string(*r.expires_in_s) : std::string("-"));
    canonical += "|" + std::to_string(r.description.size()) + ":" + r.description;
    for (const auto& p : r.postings) {
        canonical += "|" + p.account.str() + "," + std::string(to_string(p.side_)) + "," +
                     std::to_string(p.amount_minor) + "," + p.currency_code;
    }
    return crypto::sha256_hex(canonical);
}

struct effect {
    account_id account;
    side side_;
    std::int64_t amount_minor;
    bool pending; // the pending balance, else the posted one
    bool reverse; // subtract (a hold being released)
};

// Checks the shape of one request: what needs no database.
void check_shape(const entry_request& r) {
    if (r.idempotency_key.empty() || r.idempotency_key.size() > idempotency_key_length_max) {
        throw field_problem("idempotency_key", "An idempotency key of 1 to " +
                                                   std::to_string(idempotency_key_length_max) +
                                                   " characters is required");
    }
    if (r.description.size() > description_length_max) {
        throw field_problem("description",
                            "description must be at most " + std::to_string(description_length_max) + " bytes");
    }
    bool resolves = r.kind == entry_kind::post_pending || r.kind == entry_kind::void_pending;
    if (resolves != r.pending.has_value()) {
        throw field_problem("pending_id", resolves ? "pending_id names the hold to resolve"
                                                   : "pending_id belongs only to post_pending and void_pending");
    }
    if (r.expires_in_s && r.kind != entry_kind::pending) {
        throw field_problem("expires_in_s", "Only a pending entry can expire");
    }
    if (r.expires_in_s && *r.expires_in_s < 1) throw field_problem("expires_in_s", "expires_in_s must be at least 1");
    if (r.kind == entry_kind::void_pending && !r.postings.empty()) {
        throw field_problem("postings", "Voiding a hold takes no postings");
    }
    if ((r.kind == entry_kind::posted || r.kind == entry_kind::pending) && r.postings.size() < 2) {
        throw problem(problems::too_few_postings, "An entry needs at least two postings");
    }
    if (r.postings.size() > postings_per_entry_max) {
        throw problem(problems::too_many_postings,
                      "An entry may have at most " + std::to_string(postings_per_entry_max) + " postings");
    }
    for (const auto& p : r.postings) {
        if (p.amount_minor <= 0) {
            throw problem(problems::amount_not_positive,
                          "Posting amounts must be positive, got " + std::to_string(p.amount_minor));
        }
        if (!currency::parse(p.currency_code)) {
            throw field_problem("currency", "Unknown currency " + p.currency_code.substr(0, 8));
        }
    }
}

// Debits equal credits in every currency (with overflow checked).
// Whether postings balance per currency (sums in 128 bits).
bool balanced(const std::vector<posting>& postings) {
    std::map<std::string, __int128> net;
    for (const auto& p : postings) net[p.currency_code] += p.side_ == side::debit ? p.amount_minor : -p.amount_minor;
    return std::all_of(net.begin(), net.end(), [](const auto& n) { return n.second == 0; });
}

void check_balanced(const std::vector<posting>& postings) {
    std::map<std::string, std::int64_t> net;
    for (const auto& p : postings) {
        auto& sum = net[p.currency_code];
        auto next = checked_add(sum, p.side_ == side::debit ? p.amount_minor : -p.amount_minor);
        if (!next) throw problem(schwarm::problems::amount_overflow, "The entry's total is out of range");
        sum = *next;
    }
    for (const auto& [code, sum] : net) {
        if (sum != 0) {
            throw problem(problems::entry_unbalanced, "Debits and credits in " + code + " differ by " +
                                                          // (unsigned: the difference may be 2^63)
                                                          std::to_string(sum < 0 ? 0 - static_cast<std::uint64_t>(sum)
                                                                                 : static_cast<std::uint64_t>(sum)) +
                                                          " minor units");
        }
    }
}

// Postings to post from a hold: what was asked, each matched to the hold by
// account, side and currency and not above what it reserved.
void check_within_hold(const std::vector<posting>& asked, const std::vector<posting>& held) {
    std::map<std::tuple<std::int64_t, side, std::string>, std::int64_t> room;
    for (const auto& p : held) {
        // A booked hold's postings to one account and side fit its pending
        // balance, so they cannot overflow; checked all the same.
        auto& r = room[{p.account.value, p.side_, p.currency_code}];
        auto sum = checked_add(r, p.amount_minor);
        if (!sum) throw std::logic_error("a hold's postings overflow");
        r = *sum;
    }
    for (const auto& p : asked) {
        auto it = room.find({p.account.value, p.side_, p.currency_code});
        if (it == room.end() || it->second < p.amount_minor) {
            throw problem(problems::post_exceeds_hold,
                          "Account " + p.account.str() + " " + std::string(to_string(p.side_)) + " " +
                              std::to_string(p.amount_minor) + " is more than the hold reserved");
        }
        it->second -= p.amount_minor;
    }
}

// Applies effects to the accounts if every rule holds; otherwise throws and
// leaves them unchanged.
void apply(std::unordered_map<std::int64_t, account_state>& accounts, const std::vector<effect>& effects,
           const std::vector<posting>& postings) {
    std::unordered_map<std::int64_t, account_state> touched;
    for (const auto& e : effects) {
        auto it = accounts.find(e.account.value);
        if (it == accounts.end()) throw problem(problems::account_unknown, "There is no account " + e.account.str());
        touched.emplace(it->first, it->second);
    }
    for (const auto& p : postings) {
        const account_state& a = accounts.at(p.account.value);
        if (a.closed) throw problem(problems::account_closed, "Account " + p.account.str() + " is closed");
        if (a.currency_code != p.currency_code) {
            throw problem(problems::account_currency, "Account " + p.account.str() + " is in " + a.currency_code +
                                                          ", the posting in " + p.currency_code);
        }
    }
    for (const auto& e : effects) {
        account_state& a = touched.at(e.account.value);
        std::int64_t amount = e.reverse ? -e.amount_minor : e.amount_minor;
        std::int64_t& balance = e.pending ? (e.side_ == side::debit ? a.bal.debits_pending : a.bal.credits_pending)
                                          : (e.side_ == side::debit ? a.bal.debits_posted : a.bal.credits_posted);
        std::int64_t& change = e.pending ? (e.side_ == side::debit ? a.change.debits_pending : a.change.credits_pending)
                                         : (e.side_ == side::debit ? a.change.debits_posted : a.change.credits_posted);
        auto next = checked_add(balance, amount);
        auto next_change = checked_add(change, amount);
        if (!next || !next_change) {
            throw problem(schwarm::problems::amount_overflow,
                          "Account " + e.account.str() + "'s balance would overflow");
        }
        SCHWARM_INVARIANT(*next >= 0, "account " + e.account.str() + ": a release exceeds what was held");
        balance = *next;
        change = *next_change;
    }
    for (const auto& [id, a] : touched) {
        const balances& b = a.bal;
        // Sums of non-negative int64 values: computed in 128 bits, no overflow.
        auto debits = static_cast<__int128>(b.debits_posted) + b.debits_pending;
        auto credits = static_cast<__int128>(b.credits_posted) + b.credits_pending;
        if (a.debits_must_not_exceed_credits && debits > b.credits_posted) {
            throw problem(problems::balance_limit,
                          "Account " + std::to_string(id) + " may not have debits above credits: it has " +
                              std::to_string(b.credits_posted) + " minor units of credit, debits would be " +
                              std::to_string(static_cast<std::int64_t>(debits)))
                .with("account_id", std::to_string(id));
        }
        if (a.credits_must_not_exceed_debits && credits > b.debits_posted) {
            throw problem(problems::balance_limit,
                          "Account " + std::to_string(id) + " may not have credits above debits: it has " +
                              std::to_string(b.debits_posted) + " minor units of debit, credits would be " +
                              std::to_string(static_cast<std::int64_t>(credits)))
                .with("account_id", std::to_string(id));
        }
    }
    for (auto& [id, a] : touched) accounts.at(id) = std::move(a);
}

std::vector<posting> read_postings(const pqxx::row& row) {
    return {{account_id{row[1].as<std::int64_t>()}, parse_side(row[2].as<std::string>()).value(),
             row[3].as<std::int64_t>(), row[4].as<std::string>()}};
}

// Loads entries (with postings) by id, for replies to replayed requests.
std::map<std::int64_t, entry> load_entries(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids) {
    std::map<std::int64_t, entry> out;
    if (ids.empty()) return out;
    std::string id_array = db::array_literal(ids);
    for (const auto& row : tx.exec_prepared(select_entries.name, id_array)) {
        entry e;
        e.id = entry_id{row[0].as<std::int64_t>()};
        e.kind = parse_kind(row[1].as<std::string>());
        if (auto p = db::nullable<std::int64_t>(row[2])) e.pending = entry_id{*p};
        e.expires_at = db::nullable<std::string>(row[3]);
        e.description = row[4].as<std::string>();
        e.created_at = row[5].as<std::string>();
        out.emplace(e.id.value, std::move(e));
    }
    for (const auto& row : tx.exec_prepared(select_postings.name, id_array)) {
        auto p = read_postings(row);
        out.at(row[0].as<std::int64_t>()).postings.push_back(p.front());
    }
    return out;
}

} // namespace

std::string_view to_string(account_type t) { return account_type_names[static_cast<std::size_t>(t)]; }
std::string_view to_string(side s) { return side_names[static_cast<std::size_t>(s)]; }
std::string_view to_string(entry_kind k) { return kind_names[static_cast<std::size_t>(k)]; }

std::optional<account_type> parse_account_type(std::string_view text) {
    auto i = index_of(account_type_names, text);
    return i ? std::optional(static_cast<account_type>(*i)) : std::nullopt;
}

std::optional<side> parse_side(std::string_view text) {
    auto i = index_of(side_names, text);
    return i ? std::optional(static_cast<side>(*i)) : std::nullopt;
}

void validate(const entry_request& r) {
    check_shape(r);
    // A hold's resolution is checked against the hold, which is in the database.
    if (!r.pending) check_balanced(r.postings);
}

account create_account(pqxx::work& tx, const account_spec& spec, const who& by) {
    if (spec.debits_must_not_exceed_credits && spec.credits_must_not_exceed_debits) {
        throw field_problem("flags", "An account takes at most one of the two balance rules");
    }
    std::optional<std::int64_t> owner_user;
    if (spec.owner_user) owner_user = spec.owner_user->value;
    pqxx::result rows;
    try {
        pqxx::subtransaction guard(tx, "create_account");
        rows = guard.exec_prepared(insert_account.name, spec.code, spec.name, std::string(to_string(spec.type)),
                                   std::string(spec.cur.code()), owner_user, spec.owner_project,
                                   spec.debits_must_not_exceed_credits, spec.credits_must_not_exceed_debits);
        guard.commit();
    } catch (const pqxx::foreign_key_violation&) {
        throw field_problem("owner_user_id", "There is no such user");
    }
    if (rows.empty()) throw problem(problems::code_taken, "An account with code " + spec.code + " exists");
    account created{account_id{rows[0][0].as<std::int64_t>()}, spec, false, {}};
    audit::write(tx, {by.actor, "ledger.account_create", "account:" + created.id.str(), by.request_id,
                      boost::json::serialize(boost::json::object{
                          {"code", spec.code}, {"type", to_string(spec.type)}, {"currency", spec.cur.code()}})});
    return created;
}

std::optional<account> find_account(pqxx::transaction_base& tx, account_id id) {
    auto rows = tx.exec_prepared(select_account.name, id.value);
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    account a{account_id{r[0].as<std::int64_t>()},
              {r[1].as<std::string>(), r[2].as<std::string>(), parse_account_type(r[3].as<std::string>()).value(),
               currency::parse(r[4].as<std::string>()).value(), std::nullopt, db::nullable<std::int64_t>(r[6]),
               r[7].as<bool>(), r[8].as<bool>()},
              r[9].as<bool>(),
              {r[10].as<std::int64_t>(), r[11].as<std::int64_t>(), r[12].as<std::int64_t>(), r[13].as<std::int64_t>()}};
    if (auto owner = db::nullable<std::int64_t>(r[5])) a.spec.owner_user = user_id{*owner};
    return a;
}

std::vector<account_id> accounts_owned_by(pqxx::transaction_base& tx, user_id owner) {
    std::vector<account_id> out;
    for (const auto& r : tx.exec_prepared(select_accounts_of_user.name, owner.value)) {
        out.push_back(account_id{r[0].as<std::int64_t>()});
    }
    return out;
}

std::optional<account_id> find_account_by_code(pqxx::transaction_base& tx, const std::string& code) {
    auto rows = tx.exec_prepared(select_account_by_code.name, code);
    if (rows.empty()) return std::nullopt;
    return account_id{rows[0][0].as<std::int64_t>()};
}

std::map<std::string, account_id> find_accounts_by_code(pqxx::transaction_base& tx,
                                                        const std::vector<std::string>& codes) {
    std::map<std::string, account_id> out;
    if (codes.empty()) return out;
    for (const auto& row : tx.exec_prepared(select_accounts_by_code.name, db::array_literal(codes))) {
        out.emplace(row[0].as<std::string>(), account_id{row[1].as<std::int64_t>()});
    }
    return out;
}

account_id ensure_account(pqxx::work& tx, const account_spec& spec, const who& by) {
    if (auto found = find_account_by_code(tx, spec.code)) return *found;
    try {
        return create_account(tx, spec, by).id;
    } catch (const problem& p) {
        // Created by a transaction that committed meanwhile: this statement's
        // snapshot (read committed) sees it.
        if (!p.is(problems::code_taken)) throw;
        if (auto found = find_account_by_code(tx, spec.code)) return *found;
        throw;
    }
}

void close_account(pqxx::work& tx, account_id id, const who& by) {
    if (!find_account(tx, id)) throw problem(schwarm::problems::not_found, "There is no account " + id.str());
    if (tx.exec_prepared(close_account_query.name, id.value).affected_rows() == 0) {
        throw problem(problems::account_closed, "Account " + id.str() + " is already closed");
    }
    audit::write(tx, {by.actor, "ledger.account_close", "account:" + id.str(), by.request_id});
}

namespace {
thread_local bool bookings_allowed = true;
} // namespace
booking_scope::booking_scope(bool allowed) : before_(bookings_allowed) { bookings_allowed = allowed; }
booking_scope::~booking_scope() { bookings_allowed = before_; }
bool booking_scope::allowed() { return bookings_allowed; }

namespace {

// One call of book() as it goes through its phases: a slot per request,
// filled by the first phase that answers it.
struct booking {
    std::span<const entry_request> requests;
    const who& by;
    std::vector<std::optional<entry_result>> results;
    std::vector<std::string> hashes;
    std::unordered_map<std::string, std::pair<std::int64_t, std::string>> booked_before; // key → (entry, hash)
    std::vector<std::optional<std::size_t>> same_as; // the same request earlier in this batch
    std::unordered_map<std::int64_t, hold_state> holds;
    std::unordered_map<std::int64_t, account_state> accounts;
    std::vector<std::size_t> accepted;
    std::vector<std::vector<posting>> stored_postings;

    booking(std::span<const entry_request> r, const who& w)
        : requests(r), by(w), results(r.size()), hashes(r.size()), same_as(r.size()), stored_postings(r.size()) {}
    bool is_new(std::size_t i) const {
        return !results[i] && !same_as[i] && !booked_before.contains(requests[i].idempotency_key);
    }
    const who& asker(std::size_t i) const { return requests[i].by ? *requests[i].by : by; }
};

// 1. Shape, and idempotency: earlier bookings under the same keys replay,
// other content under one is a conflict. False when nothing is left to book.
bool sort_out_keys(pqxx::work& tx, booking& b) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        try {
            check_shape(b.requests[i]);
            b.hashes[i] = request_hash(b.requests[i]);
            keys.push_back(b.requests[i].idempotency_key);
        } catch (const problem& p) {
            b.results[i] = p;
        }
    }
    if (keys.empty()) return false;
    std::string key_array = db::array_literal(keys);
    tx.exec_prepared(lock_keys.name, key_array);
    for (const auto& row : tx.exec_prepared(find_keys.name, key_array)) {
        b.booked_before.emplace(row[0].as<std::string>(),
                                std::pair{row[1].as<std::int64_t>(), row[2].as<std::string>()});
    }
    std::unordered_map<std::string, std::size_t> first_in_batch;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        if (b.results[i]) continue;
        const std::string& key = b.requests[i].idempotency_key;
        if (auto it = b.booked_before.find(key); it != b.booked_before.end()) {
            if (it->second.second != b.hashes[i]) {
                b.results[i] = problem(schwarm::problems::idempotency_conflict,
                                       "This entry's idempotency key was used for a different entry");
            }
            continue;
        }
        auto [first, fresh] = first_in_batch.emplace(key, i);
        if (fresh) continue;
        if (b.hashes[first->second] == b.hashes[i]) b.same_as[i] = first->second;
        else
            b.results[i] = problem(schwarm::problems::idempotency_conflict,
                                   "This entry's idempotency key is used twice in this batch");
    }
    return true;
}

// 2. Locks what the new entries touch: holds first (they name accounts),
// then every account, in id order.
void lock_touched(pqxx::work& tx, booking& b) {
    std::set<std::int64_t> hold_ids, account_ids;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        if (!b.is_new(i)) continue;
        if (b.requests[i].pending) hold_ids.insert(b.requests[i].pending->value);
        for (const auto& p : b.requests[i].postings) account_ids.insert(p.account.value);
    }
    if (!hold_ids.empty()) {
        std::string hold_array = db::array_literal(std::vector<std::int64_t>(hold_ids.begin(), hold_ids.end()));
        tx.exec_prepared(lock_holds.name, hold_array);
        for (const auto& row : tx.exec_prepared(read_holds.name, hold_array)) {
            b.holds.emplace(
                row[0].as<std::int64_t>(),
                hold_state{row[1].as<std::string>() == "pending", row[2].as<bool>(), row[3].as<bool>(), {}});
        }
        for (const auto& row : tx.exec_prepared(select_postings.name, hold_array)) {
            auto& h = b.holds.at(row[0].as<std::int64_t>());
            h.postings.push_back(read_postings(row).front());
            account_ids.insert(h.postings.back().account.value);
        }
    }
    if (account_ids.empty()) return;
    std::string account_array = db::array_literal(std::vector<std::int64_t>(account_ids.begin(), account_ids.end()));
    for (const auto& row : tx.exec_prepared(lock_accounts.name, account_array)) {
        b.accounts.emplace(row[0].as<std::int64_t>(),
                           account_state{row[1].as<std::string>(),
                                         row[2].as<bool>(),
                                         row[3].as<bool>(),
                                         row[4].as<bool>(),
                                         {row[5].as<std::int64_t>(), row[6].as<std::int64_t>(),
                                          row[7].as<std::int64_t>(), row[8].as<std::int64_t>()},
                                         {}});
    }
}

// What one entry does to the balances, and the postings it stores; throws
// the problem that refuses it.
std::vector<effect> effects_of(const entry_request& r, std::unordered_map<std::int64_t, hold_state>& holds,
                               std::vector<posting>& to_store) {
    std::vector<effect> effects;
    to_store = r.postings;
    if (!r.pending) {
        check_balanced(r.postings);
        bool pending = r.kind == entry_kind::pending;
        for (const auto& p : r.postings) effects.push_back({p.account, p.side_, p.amount_minor, pending, false});
        return effects;
    }
    auto it = holds.find(r.pending->value);
    if (it == holds.end() || !it->second.is_pending)
        throw problem(problems::hold_unknown, "There is no hold " + r.pending->str());
    const hold_state& h = it->second;
    if (h.resolved) throw problem(problems::hold_resolved, "Hold " + r.pending->str() + " was already resolved");
    if (h.expired && r.kind == entry_kind::post_pending) {
        throw problem(problems::hold_expired, "Hold " + r.pending->str() + " has expired");
    }
    for (const auto& p : h.postings) effects.push_back({p.account, p.side_, p.amount_minor, true, true});
    if (r.kind == entry_kind::post_pending) {
        if (to_store.empty()) to_store = h.postings;
        check_within_hold(to_store, h.postings);
        check_balanced(to_store);
        for (const auto& p : to_store) effects.push_back({p.account, p.side_, p.amount_minor, false, false});
    }
    return effects;
}

// 3. Checks each new entry in order against the balances so far.
void check_in_order(booking& b) {
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        if (!b.is_new(i)) continue;
        const entry_request& r = b.requests[i];
        try {
            std::vector<posting> to_store;
            auto effects = effects_of(r, b.holds, to_store);
            apply(b.accounts, effects, to_store);
            if (r.pending) b.holds.at(r.pending->value).resolved = true;
            b.stored_postings[i] = std::move(to_store);
            b.accepted.push_back(i);
        } catch (const problem& p) {
            b.results[i] = p;
        }
    }
}

// The accepted entries and their postings, as set-based inserts; the ids
// in `accepted` order.
std::vector<std::int64_t> insert_accepted(pqxx::work& tx, booking& b) {
    std::vector<std::int64_t> ids;
    for (const auto& row : tx.exec_prepared(next_entry_ids.name, static_cast<std::int64_t>(b.accepted.size()))) {
        ids.push_back(row[0].as<std::int64_t>());
    }
    std::vector<std::string> e_keys, e_hashes, e_kinds, e_descriptions, e_request_ids, p_sides, p_currencies;
    std::vector<std::optional<std::int64_t>> e_pending, e_expires, e_actors;
    std::vector<std::int64_t> p_entries, p_seqs, p_accounts, p_amounts;
    for (std::size_t n = 0; n < b.accepted.size(); ++n) {
        std::size_t i = b.accepted[n];
        const entry_request& r = b.requests[i];
        SCHWARM_INVARIANT(b.stored_postings[i].empty() || balanced(b.stored_postings[i]),
                          "an entry about to be written does not balance");
        e_keys.push_back(r.idempotency_key);
        e_hashes.push_back(b.hashes[i]);
        e_kinds.emplace_back(to_string(r.kind));
        e_descriptions.push_back(r.description);
        e_pending.push_back(r.pending ? std::optional(r.pending->value) : std::nullopt);
        e_expires.push_back(r.expires_in_s);
        e_actors.push_back(b.asker(i).actor ? std::optional(b.asker(i).actor->value) : std::nullopt);
        e_request_ids.push_back(b.asker(i).request_id);
        const auto& postings = b.stored_postings[i];
        for (std::size_t s = 0; s < postings.size(); ++s) {
            p_entries.push_back(ids[n]);
            p_seqs.push_back(static_cast<std::int64_t>(s));
            p_accounts.push_back(postings[s].account.value);
            p_sides.emplace_back(to_string(postings[s].side_));
            p_amounts.push_back(postings[s].amount_minor);
            p_currencies.push_back(postings[s].currency_code);
        }
    }
    auto inserted = tx.exec_prepared(
        insert_entries.name, db::array_literal(ids), db::array_literal(e_keys), db::array_literal(e_hashes),
        db::array_literal(e_kinds), db::array_literal(e_pending), db::array_literal(e_expires),
        db::array_literal(e_descriptions), db::array_literal(e_actors), db::array_literal(e_request_ids));
    std::unordered_map<std::int64_t, std::pair<std::string, std::optional<std::string>>> times;
    for (const auto& row : inserted) {
        times.emplace(row[0].as<std::int64_t>(),
                      std::pair{row[1].as<std::string>(), db::nullable<std::string>(row[2])});
    }
    if (!p_entries.empty()) {
        tx.exec_prepared(insert_postings.name, db::array_literal(p_entries), db::array_literal(p_seqs),
                         db::array_literal(p_accounts), db::array_literal(p_sides), db::array_literal(p_amounts),
                         db::array_literal(p_currencies));
        // The read-back half of the pair assertion: as written, each balances.
        auto unbalanced = tx.exec_prepared(select_unbalanced.name, db::array_literal(ids));
        SCHWARM_INVARIANT(unbalanced.empty(),
                          "entry " + unbalanced[0][0].as<std::string>() + " does not balance as written");
    }
    for (std::size_t n = 0; n < b.accepted.size(); ++n) {
        const entry_request& r = b.requests[b.accepted[n]];
        const auto& [created_at, expires_at] = times.at(ids[n]);
        b.results[b.accepted[n]] =
            entry{entry_id{ids[n]}, r.kind, b.stored_postings[b.accepted[n]], r.pending, expires_at, r.description,
                  created_at,       false};
    }
    return ids;
}

// Every touched account's balance change, once; the database's new balance
// must be what this batch computed from the locked row.
void write_balances(pqxx::work& tx, const booking& b) {
    std::vector<std::int64_t> a_ids, dp, cp, dq, cq;
    for (const auto& [id, a] : b.accounts) {
        const delta& d = a.change;
        if (!d.debits_posted && !d.credits_posted && !d.debits_pending && !d.credits_pending) continue;
        a_ids.push_back(id);
        dp.push_back(d.debits_posted);
        cp.push_back(d.credits_posted);
        dq.push_back(d.debits_pending);
        cq.push_back(d.credits_pending);
    }
    if (a_ids.empty()) return;
    auto updated = tx.exec_prepared(update_balances.name, db::array_literal(a_ids), db::array_literal(dp),
                                    db::array_literal(cp), db::array_literal(dq), db::array_literal(cq));
    SCHWARM_INVARIANT(updated.size() == a_ids.size(), "a balance update missed an account");
    for (const auto& row : updated) {
        const balances& expected = b.accounts.at(row[0].as<std::int64_t>()).bal;
        balances stored{row[1].as<std::int64_t>(), row[2].as<std::int64_t>(), row[3].as<std::int64_t>(),
                        row[4].as<std::int64_t>()};
        SCHWARM_INVARIANT(stored == expected, "account " + row[0].as<std::string>() +
                                                  "'s balance in the database is not what its postings make it");
    }
}

// One audit record per request that booked something.
void audit_bookings(pqxx::work& tx, const booking& b, const std::vector<std::int64_t>& ids) {
    std::vector<audit::record> records;
    std::map<std::string, std::size_t> by_request;
    for (std::size_t n = 0; n < b.accepted.size(); ++n) {
        const who& asker = b.asker(b.accepted[n]);
        auto [it, fresh] = by_request.emplace(asker.request_id, records.size());
        if (fresh) records.push_back({asker.actor, "ledger.book", "", asker.request_id, "{}"});
        auto& subject = records[it->second].subject;
        subject += (subject.empty() ? "entry:" : ",") + std::to_string(ids[n]);
    }
    for (auto& record : records) {
        if (record.subject.size() > 200)
            record.subject = record.subject.substr(0, record.subject.rfind(',', 190)) + ",…";
    }
    audit::write_many(tx, records);
}

// 5. The answers: replays as the entries were booked, repeats within the
// batch as their first.
std::vector<entry_result> answers(pqxx::work& tx, booking& b) {
    std::vector<std::int64_t> replay_ids;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        if (!b.results[i] && !b.same_as[i])
            replay_ids.push_back(b.booked_before.at(b.requests[i].idempotency_key).first);
    }
    auto replayed = load_entries(tx, replay_ids);
    std::vector<entry_result> out;
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        if (!b.results[i] && b.same_as[i]) {
            b.results[i] = b.results[*b.same_as[i]];
            if (auto* e = std::get_if<entry>(&*b.results[i])) e->replayed = true;
        }
        if (!b.results[i]) {
            auto& e = replayed.at(b.booked_before.at(b.requests[i].idempotency_key).first);
            e.replayed = true;
            b.results[i] = e;
        }
        out.push_back(std::move(*b.results[i]));
    }
    return out;
}

std::vector<entry_result> all_refused_or_linked(booking& b) {
    std::vector<entry_result> out;
    for (auto& r : b.results) {
        if (r && std::holds_alternative<problem>(*r)) out.push_back(std::move(*r));
        else
            out.push_back(
                problem(problems::linked_failed, "Not booked: another entry of this linked batch was refused"));
    }
    return out;
}

} // namespace

std::vector<entry_result> book(pqxx::work& tx, std::span<const entry_request> requests, bool linked, const who& by) {
    SCHWARM_INVARIANT(booking_scope::allowed(), "a booking in a request whose route is not marked as moving money");
    if (requests.size() > entries_per_batch_max) {
        throw problem(problems::batch_too_large,
                      "A batch may hold at most " + std::to_string(entries_per_batch_max) + " entries");
    }
    booking b(requests, by);
    if (!sort_out_keys(tx, b)) return all_refused_or_linked(b); // every request refused by its shape
    lock_touched(tx, b);
    check_in_order(b);
    bool any_refused = std::any_of(b.results.begin(), b.results.end(),
                                   [](const auto& r) { return r && std::holds_alternative<problem>(*r); });
    if (linked && any_refused) return all_refused_or_linked(b);
    // 4. Write (pair assertions checked in every build: each entry balances
    // before it is written and again as read back; each account's balance in
    // the database is what this batch computed from the locked row).
    if (!b.accepted.empty()) {
        auto ids = insert_accepted(tx, b);
        write_balances(tx, b);
        audit_bookings(tx, b, ids);
    }
    return answers(tx, b);
}

int void_expired_holds(pqxx::work& tx, int limit) {
    std::vector<entry_request> voids;
    for (const auto& row : tx.exec_prepared(claim_expired.name, limit)) {
        auto hold = row[0].as<std::int64_t>();
        voids.push_back({"expire:" + std::to_string(hold),
                         entry_kind::void_pending,
                         {},
                         entry_id{hold},
                         std::nullopt,
                         "hold expired"});
    }
    if (voids.empty()) return 0;
    auto results = book(tx, voids, false, {std::nullopt, "expiry"});
    return static_cast<int>(
        std::count_if(results.begin(), results.end(), [](const auto& r) { return std::holds_alternative<entry>(r); }));
}

std::string to_cursor(const statement_line& line) { return line.entry.str() + "." + std::to_string(line.seq); }

std::optional<statement_cursor> parse_statement_cursor(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    std::int64_t entry = 0;
    int seq = 0;
    auto e = std::from_chars(text.data(), text.data() + dot, entry);
    auto s = std::from_chars(text.data() + dot + 1, text.data() + text.size(), seq);
    if (e.ec != std::errc{} || e.ptr != text.data() + dot || s.ec != std::errc{} ||
        s.ptr != text.data() + text.size() || entry <= 0 || seq < 0 || dot == 0 || dot + 1 == text.size()) {
        return std::nullopt;
    }
    return statement_cursor{entry_id{entry}, seq};
}

std::vector<statement_line> statement(pqxx::transaction_base& tx, account_id id, std::optional<statement_cursor> before,
                                      int limit) {
    std::vector<statement_line> out;
    auto rows = tx.exec_prepared(select_statement.name, id.value,
                                 before ? before->entry.value : std::numeric_limits<std::int64_t>::max(),
                                 before ? before->seq : 0, limit);
    for (const auto& row : rows) {
        out.push_back({entry_id{row[0].as<std::int64_t>()}, row[1].as<int>(), row[2].as<std::string>(),
                       parse_kind(row[3].as<std::string>()), parse_side(row[4].as<std::string>()).value(),
                       row[5].as<std::int64_t>(), row[6].as<std::string>()});
    }
    return out;
}

std::vector<trial_balance_line> trial_balance(pqxx::transaction_base& tx, const std::string& as_of) {
    std::vector<trial_balance_line> out;
    auto rows = tx.exec_prepared(select_trial_balance.name, as_of.empty() ? std::string("infinity") : as_of);
    for (const auto& row : rows) {
        out.push_back({account_id{row[0].as<std::int64_t>()}, row[1].as<std::string>(), row[2].as<std::string>(),
                       parse_account_type(row[3].as<std::string>()).value(), row[4].as<std::string>(),
                       row[5].as<std::int64_t>(), row[6].as<std::int64_t>()});
    }
    return out;
}

verify_report verify(pqxx::transaction_base& tx) {
    verify_report report;
    auto counts = tx.exec_prepared(count_ledger.name);
    report.entries_checked = counts[0][0].as<std::int64_t>();
    report.accounts_checked = counts[0][1].as<std::int64_t>();
    if (auto bad = tx.exec_prepared(verify_entries.name); !bad.empty()) {
        report.ok = false;
        report.first_discrepancy = "entry " + bad[0][0].as<std::string>() + " (" + bad[0][1].as<std::string>() +
                                   ") has " + bad[0][2].as<std::string>() + " postings";
        return report;
    }
    if (auto bad = tx.exec_prepared(verify_balanced.name); !bad.empty()) {
        report.ok = false;
        report.first_discrepancy =
            "entry " + bad[0][0].as<std::string>() + " does not balance in " + bad[0][1].as<std::string>();
        return report;
    }
    if (auto bad = tx.exec_prepared(verify_accounts.name); !bad.empty()) {
        const auto& r = bad[0];
        report.ok = false;
        report.first_discrepancy = "account " + r[1].as<std::string>() + " (" + r[0].as<std::string>() +
                                   "): stored debits_posted/credits_posted/debits_pending/credits_pending " +
                                   r[2].as<std::string>() + "/" + r[4].as<std::string>() + "/" +
                                   r[6].as<std::string>() + "/" + r[8].as<std::string>() + ", from postings " +
                                   r[3].as<std::string>() + "/" + r[5].as<std::string>() + "/" +
                                   r[7].as<std::string>() + "/" + r[9].as<std::string>();
    }
    return report;
}

} // namespace schwarm::ledger
