// The ledger for staff (accounts, entries, holds) and auditors (trial
// balance, verification).
#include "resources/resources.hpp"

#include "resources/bodies.hpp"

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "ledger/export.hpp"
#include "ledger/ledger.hpp"
#include "ledger/seal.hpp"

namespace schwarm::api {

namespace {
response create_account(context&);
response read_account(context&);
response close_account(context&);
response account_statement(context&);
response book_batch(context&);
ledger::entry_request new_entry_request(const context&);
ledger::entry_request post_request(const context&);
ledger::entry_request void_request(const context&);
template <ledger::entry_request (*entry_request_of)(const context&)>
std::vector<response> book_coalesced(const std::vector<context*>&);
response trial_balance(context&);
response verify(context&);
response export_ledger(context&);
} // namespace

std::vector<route> ledger_routes() {
    const access staff_or_auditor = access::staff | access::auditor;
    return {
        {http::verb::post, "/v1/ledger/accounts", access::staff, db_use::write, create_account},
        {http::verb::get, "/v1/ledger/accounts/{id}", staff_or_auditor, db_use::read, read_account},
        {http::verb::post, "/v1/ledger/accounts/{id}/close", access::staff, db_use::write, close_account},
        {http::verb::get, "/v1/ledger/accounts/{id}/statement", staff_or_auditor, db_use::read, account_statement,
         needs::replica},
        // Single entries from many clients are coalesced into one transaction
        // per batch (api/batcher.hpp).
        {http::verb::post, "/v1/ledger/entries", access::staff, db_use::write, nullptr, needs::idempotency_key,
         book_coalesced<new_entry_request>},
        {http::verb::post, "/v1/ledger/entries/{id}/post", access::staff, db_use::write, nullptr,
         needs::idempotency_key, book_coalesced<post_request>},
        {http::verb::post, "/v1/ledger/entries/{id}/void", access::staff, db_use::write, nullptr,
         needs::idempotency_key, book_coalesced<void_request>},
        {http::verb::post, "/v1/ledger/batches", access::staff, db_use::write, book_batch, needs::keys_in_body},
        {http::verb::get, "/v1/ledger/trial-balance", access::auditor, db_use::read, trial_balance},
        {http::verb::get, "/v1/ledger/verify", access::auditor, db_use::snapshot, verify},
        {http::verb::get, "/v1/ledger/export", access::auditor, db_use::snapshot, export_ledger, needs::replica},
    };
}

namespace {

constexpr std::size_t code_length_max = 100;
constexpr std::size_t name_length_max = 200;
constexpr std::int64_t hold_expiry_max_s = 400LL * 24 * 3600;

std::int64_t id_from(const std::string& text, const char* what) {
    auto value = parse_int64(text);
    if (!value || *value <= 0)
        throw problem(problems::not_found, std::string("There is no ") + what + " " + text.substr(0, 32));
    return *value;
}

ledger::account_id account_param(const context& ctx) {
    return ledger::account_id{id_from(ctx.path_params.at("id"), "account")};
}

// A client's key as the ledger stores it: in a namespace of its own ("api:"),
// which none of the platform's internal keys (pledge:, settle:, fee:, …) is
// in, and scoped to the caller, so that nobody can collide with another
// caller's booking or the platform's, nor read one through a key.
std::string client_key(const context& ctx, std::string_view key) {
    return "api:" + ctx.who().id.str() + ":" + crypto::sha256_hex(key);
}

boost::json::object to_json(const ledger::account& a) {
    boost::json::object out{{"id", a.id.str()},
                            {"code", a.spec.code},
                            {"name", a.spec.name},
                            {"type", ledger::to_string(a.spec.type)},
                            {"currency", a.spec.cur.code()},
                            {"debits_must_not_exceed_credits", a.spec.debits_must_not_exceed_credits},
                            {"credits_must_not_exceed_debits", a.spec.credits_must_not_exceed_debits},
                            {"closed", a.closed},
                            {"debits_posted", a.bal.debits_posted},
                            {"credits_posted", a.bal.credits_posted},
                            {"debits_pending", a.bal.debits_pending},
                            {"credits_pending", a.bal.credits_pending}};
    out["owner_user_id"] = a.spec.owner_user ? boost::json::value(a.spec.owner_user->str()) : nullptr;
    return out;
}

boost::json::object to_json(const ledger::entry& e) {
    boost::json::array postings;
    for (const auto& p : e.postings) {
        postings.push_back({{"account_id", p.account.str()},
                            {"side", ledger::to_string(p.side_)},
                            {"amount_minor", p.amount_minor},
                            {"currency", p.currency_code}});
    }
    boost::json::object out{{"id", e.id.str()},
                            {"kind", ledger::to_string(e.kind)},
                            {"postings", std::move(postings)},
                            {"description", e.description},
                            {"created_at", e.created_at}};
    out["pending_id"] = e.pending ? boost::json::value(e.pending->str()) : nullptr;
    out["expires_at"] = e.expires_at ? boost::json::value(*e.expires_at) : nullptr;
    return out;
}

// An amount in minor units: a JSON integer, or a string of digits for
// amounts beyond what JavaScript clients can hold exactly.
std::int64_t read_amount(json::object_reader& fields, const boost::json::object& object, const std::string& prefix) {
    const boost::json::value* raw = object.if_contains("amount_minor");
    if (raw && raw->is_string()) {
        fields.optional_string("amount_minor", 1, 20);
        auto value = parse_int64(std::string_view(raw->as_string()));
        if (!value)
            throw field_problem(prefix + "amount_minor", prefix + "amount_minor must be a whole number of minor units");
        return *value;
    }
    return fields.required_int("amount_minor", std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max());
}

std::vector<ledger::posting> read_postings(const boost::json::array& items, const std::string& prefix) {
    std::vector<ledger::posting> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string name = prefix + "postings[" + std::to_string(i) + "]";
        const auto& object = json::element_object(items[i], name);
        json::object_reader fields(object, name + ".");
        std::string account = fields.required_string("account_id", 1, 20);
        std::string side_text = fields.required_string("side", 1, 10);
        auto side = ledger::parse_side(side_text);
        if (!side) throw field_problem(name + ".side", name + ".side must be debit or credit");
        std::int64_t amount = read_amount(fields, object, name + ".");
        std::string currency = fields.required_string("currency", 3, 3);
        fields.reject_unknown();
        auto account_value = parse_int64(account);
        if (!account_value) throw field_problem(name + ".account_id", name + ".account_id must be an account id");
        out.push_back({ledger::account_id{*account_value}, *side, amount, currency});
    }
    return out;
}

// An entry as the batch endpoint takes it; the single-entry endpoints take
// the same fields with the key in the Idempotency-Key header.
ledger::entry_request read_entry(const boost::json::object& object, const std::string& prefix, std::string key) {
    json::object_reader fields(object, prefix);
    ledger::entry_request r;
    r.idempotency_key =
        key.empty() ? fields.required_string("idempotency_key", 1, ledger::idempotency_key_length_max) : std::move(key);
    std::string kind = fields.optional_string("kind", 1, 20).value_or("posted");
    if (kind == "posted") r.kind = ledger::entry_kind::posted;
    else if (kind == "pending") r.kind = ledger::entry_kind::pending;
    else if (kind == "post_pending") r.kind = ledger::entry_kind::post_pending;
    else if (kind == "void_pending") r.kind = ledger::entry_kind::void_pending;
    else throw field_problem(prefix + "kind", prefix + "kind must be posted, pending, post_pending or void_pending");
    if (auto pending = fields.optional_string("pending_id", 1, 20)) {
        r.pending = ledger::entry_id{id_from(*pending, "hold")};
    }
    r.expires_in_s = fields.optional_int("expires_in_s", 1, hold_expiry_max_s);
    r.description = fields.optional_string("description", 0, ledger::description_length_max).value_or("");
    r.postings = read_postings(fields.optional_array("postings", ledger::postings_per_entry_max + 1), prefix);
    fields.reject_unknown();
    return r;
}

// A retry gets the original entry again, marked Idempotent-Replayed.
response entry_response(const ledger::entry_result& result, const std::string& request_id) {
    if (auto* p = std::get_if<problem>(&result)) return problem_response(*p, request_id);
    const auto& e = std::get<ledger::entry>(result);
    response res = json_response(http::status::created, to_json(e));
    res.headers.emplace_back("Location", "/v1/ledger/entries/" + e.id.str());
    if (e.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
    return res;
}

response create_account(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    std::string code = fields.required_string("code", 1, code_length_max);
    std::string name = fields.required_string("name", 1, name_length_max);
    auto type = ledger::parse_account_type(fields.required_string("type", 1, 20));
    if (!type) throw field_problem("type", "type must be asset, liability, equity, income or expense");
    auto cur = currency::parse(fields.required_string("currency", 3, 3));
    if (!cur) throw field_problem("currency", "currency must be an ISO 4217 code we book, e.g. EUR");
    ledger::account_spec spec{code, name, *type, *cur};
    if (auto owner = fields.optional_string("owner_user_id", 1, 20)) {
        spec.owner_user = user_id{id_from(*owner, "user")};
    }
    spec.debits_must_not_exceed_credits = fields.optional_bool("debits_must_not_exceed_credits").value_or(false);
    spec.credits_must_not_exceed_debits = fields.optional_bool("credits_must_not_exceed_debits").value_or(false);
    fields.reject_unknown();
    auto created = ledger::create_account(ctx.work(), spec, ctx.origin());
    response res = json_response(http::status::created, to_json(created));
    res.headers.emplace_back("Location", "/v1/ledger/accounts/" + created.id.str());
    return res;
}

response read_account(context& ctx) {
    auto found = ledger::find_account(ctx.tx(), account_param(ctx));
    if (!found) throw problem(problems::not_found, "There is no such account");
    return json_response(http::status::ok, to_json(*found));
}

response close_account(context& ctx) {
    auto id = account_param(ctx);
    ledger::close_account(ctx.work(), id, ctx.origin());
    return json_response(http::status::ok, to_json(*ledger::find_account(ctx.tx(), id)));
}

response account_statement(context& ctx) {
    auto id = account_param(ctx);
    if (!ledger::find_account(ctx.tx(), id)) throw problem(problems::not_found, "There is no such account");
    std::optional<ledger::statement_cursor> before;
    if (auto cursor = ctx.query_param("cursor")) {
        before = ledger::parse_statement_cursor(*cursor);
        if (!before) throw field_problem("cursor", "cursor must be a value from an earlier page");
    }
    int limit = ctx.page_size();
    auto lines = ledger::statement(ctx.tx(), id, before, limit);
    boost::json::array items;
    for (const auto& l : lines) {
        items.push_back({{"entry_id", l.entry.str()},
                         {"at", l.at},
                         {"kind", ledger::to_string(l.kind)},
                         {"side", ledger::to_string(l.side_)},
                         {"amount_minor", l.amount_minor},
                         {"description", l.description}});
    }
    return page_response(std::move(items), limit, lines.empty() ? "" : ledger::to_cursor(lines.back()));
}

ledger::entry_request new_entry_request(const context& ctx) {
    auto request = read_entry(ctx.json_body(), "", ctx.idempotency_key);
    request.idempotency_key = client_key(ctx, request.idempotency_key);
    if (request.kind != ledger::entry_kind::posted && request.kind != ledger::entry_kind::pending) {
        throw field_problem("kind", "Use /v1/ledger/entries/{id}/post or /void to resolve a hold");
    }
    return request;
}

ledger::entry_request resolve_request(const context& ctx, ledger::entry_kind kind) {
    ledger::entry_request request;
    request.idempotency_key = client_key(ctx, ctx.idempotency_key);
    request.kind = kind;
    request.pending = ledger::entry_id{id_from(ctx.path_params.at("id"), "hold")};
    if (!ctx.request.body().empty()) {
        auto body = ctx.json_body();
        json::object_reader fields(body);
        request.description = fields.optional_string("description", 0, ledger::description_length_max).value_or("");
        if (kind == ledger::entry_kind::post_pending) {
            request.postings = read_postings(fields.optional_array("postings", ledger::postings_per_entry_max + 1), "");
        }
        fields.reject_unknown();
    }
    return request;
}

ledger::entry_request post_request(const context& ctx) {
    return resolve_request(ctx, ledger::entry_kind::post_pending);
}
ledger::entry_request void_request(const context& ctx) {
    return resolve_request(ctx, ledger::entry_kind::void_pending);
}

// Many callers' single entries as one unlinked batch: each is booked or
// refused on its own, with its own caller and request id on the record.
template <ledger::entry_request (*entry_request_of)(const context&)>
std::vector<response> book_coalesced(const std::vector<context*>& batch) {
    std::vector<std::optional<response>> out(batch.size());
    std::vector<ledger::entry_request> requests;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
            auto request = entry_request_of(*batch[i]);
            request.by = batch[i]->origin();
            requests.push_back(std::move(request));
            index.push_back(i);
        } catch (...) {
            out[i] = current_error_response(batch[i]->request_id);
        }
    }
    if (!requests.empty()) {
        auto results = ledger::book(batch.front()->work(), requests, false, {std::nullopt, "batch"});
        for (std::size_t n = 0; n < results.size(); ++n) {
            out[index[n]] = entry_response(results[n], batch[index[n]]->request_id);
        }
    }
    std::vector<response> responses;
    for (auto& r : out) responses.push_back(std::move(*r));
    return responses;
}

response book_batch(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader fields(body);
    bool linked = fields.optional_bool("linked").value_or(false);
    const auto& items = fields.required_array("entries", ledger::entries_per_batch_max);
    fields.reject_unknown();
    if (items.empty()) throw field_problem("entries", "entries must not be empty");
    std::vector<ledger::entry_request> requests;
    requests.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string name = "entries[" + std::to_string(i) + "]";
        requests.push_back(read_entry(json::element_object(items[i], name), name + ".", ""));
        requests.back().idempotency_key = client_key(ctx, requests.back().idempotency_key);
    }
    auto results = ledger::book(ctx.work(), requests, linked, ctx.origin());
    boost::json::array out;
    std::size_t booked = 0;
    for (const auto& r : results) {
        if (auto* e = std::get_if<ledger::entry>(&r)) {
            ++booked;
            auto item = to_json(*e);
            item["status"] = e->replayed ? "replayed" : "booked";
            out.push_back(std::move(item));
        } else {
            const auto& p = std::get<problem>(r);
            boost::json::object item{
                {"status", "refused"}, {"type", type_uri(p.type())}, {"title", p.type().title}, {"detail", p.detail()}};
            for (const auto& [k, v] : p.extensions()) item[k] = v;
            out.push_back(std::move(item));
        }
    }
    // All refused (a linked batch with one bad entry) or replayed: what was
    // locked is let go and nothing commits.
    bool changed = std::any_of(results.begin(), results.end(), [](const auto& r) {
        auto* e = std::get_if<ledger::entry>(&r);
        return e && !e->replayed;
    });
    if (!changed) ctx.change_nothing();
    return json_response(http::status::ok,
                         {{"booked", booked}, {"refused", results.size() - booked}, {"results", std::move(out)}});
}

response trial_balance(context& ctx) {
    std::string as_of = ctx.query_param("as_of").value_or("");
    if (!as_of.empty() && !json::is_rfc3339_time(as_of)) {
        throw field_problem("as_of", "as_of must be an RFC 3339 time, e.g. 2026-12-31T23:59:59Z");
    }
    std::vector<ledger::trial_balance_line> lines;
    try {
        lines = ledger::trial_balance(ctx.tx(), as_of);
    } catch (const pqxx::data_exception&) {
        throw field_problem("as_of", "as_of must be an RFC 3339 time, e.g. 2026-12-31T23:59:59Z");
    }
    boost::json::array accounts;
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> totals;
    for (const auto& l : lines) {
        accounts.push_back({{"account_id", l.id.str()},
                            {"code", l.code},
                            {"name", l.name},
                            {"type", ledger::to_string(l.type)},
                            {"currency", l.currency_code},
                            {"debits_minor", l.debits_minor},
                            {"credits_minor", l.credits_minor}});
        totals[l.currency_code].first += l.debits_minor;
        totals[l.currency_code].second += l.credits_minor;
    }
    boost::json::object by_currency;
    bool balanced = true;
    for (const auto& [code, t] : totals) {
        by_currency[code] = {{"debits_minor", t.first}, {"credits_minor", t.second}};
        balanced = balanced && t.first == t.second;
    }
    boost::json::object out{
        {"accounts", std::move(accounts)}, {"totals", std::move(by_currency)}, {"balanced", balanced}};
    out["as_of"] = as_of.empty() ? boost::json::value(nullptr) : boost::json::value(as_of);
    return json_response(http::status::ok, out);
}

// Balances against postings, and the hash chain, in one snapshot. The head
// block's number and hash are for the auditor to keep outside the database:
// only such an anchor shows that the newest blocks were not cut off.
response verify(context& ctx) {
    auto report = ledger::verify(ctx.tx());
    auto chain = ledger::verify_chain(ctx.tx());
    boost::json::object seal{{"ok", chain.ok},
                             {"blocks_checked", chain.blocks_checked},
                             {"entries_sealed", chain.entries_checked},
                             {"entries_unsealed", chain.unsealed_entries},
                             {"oldest_unsealed_age_ms", chain.oldest_unsealed_age_ms},
                             {"head_block_no", chain.head_block_no},
                             {"head_hash", chain.head_hash}};
    seal["first_bad_block"] = chain.first_bad_block ? boost::json::value(*chain.first_bad_block) : nullptr;
    seal["first_discrepancy"] = chain.ok ? boost::json::value(nullptr) : boost::json::value(chain.first_discrepancy);
    boost::json::object out{{"ok", report.ok && chain.ok},
                            {"entries_checked", report.entries_checked},
                            {"accounts_checked", report.accounts_checked},
                            {"chain", std::move(seal)}};
    out["first_discrepancy"] = report.ok ? boost::json::value(nullptr) : boost::json::value(report.first_discrepancy);
    return json_response(http::status::ok, out);
}

// Streams: the status line goes out with the first chunk, so a range the
// export refuses still gets a problem response.
response export_ledger(context& ctx) {
    auto format = ledger::parse_export_format(ctx.query_param("format").value_or(""));
    if (!format) throw field_problem("format", "format must be csv, jsonl, hledger or gobd");
    ledger::export_range range{ctx.query_param("from").value_or(""), ctx.query_param("to").value_or("")};
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Disposition", "attachment; filename=\"" + ledger::suggested_file_name(*format, range) + "\""}};
    body_stream* out = nullptr;
    ledger::export_ledger(ctx.tx(), *format, range, [&](std::string_view chunk) {
        if (!out) out = &ctx.stream_body(ledger::content_type(*format), headers);
        out->write(chunk);
    });
    return {http::status::ok, ledger::content_type(*format), {}, headers};
}

} // namespace

namespace bodies {
ledger::entry_request new_entry(const context& ctx) { return new_entry_request(ctx); }
ledger::entry_request post_hold(const context& ctx) { return post_request(ctx); }
ledger::entry_request void_hold(const context& ctx) { return void_request(ctx); }
ledger::entry_request batch_entry(const boost::json::object& object, const std::string& prefix) {
    return read_entry(object, prefix, "");
}
} // namespace bodies

} // namespace schwarm::api
