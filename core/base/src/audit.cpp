#include "base/audit.hpp"

#include "base/db.hpp"

namespace schwarm::audit {

namespace {
const db::query insert_record{"audit.insert", "INSERT INTO audit_log (actor_id, action, subject, request_id, details) "
                                              "VALUES ($1, $2, $3, $4, $5::jsonb)"};

const db::query insert_many{"audit.insert_many",
                            "INSERT INTO audit_log (actor_id, action, subject, request_id, details) "
                            "SELECT actor, action, subject, request_id, details::jsonb "
                            "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) "
                            "AS t(actor, action, subject, request_id, details)"};
} // namespace

namespace {
thread_local scope* innermost = nullptr;
} // namespace

scope::scope() : outer_(innermost) { innermost = this; }
scope::~scope() { innermost = outer_; }
void scope::note(const std::string& request_id) {
    if (innermost) innermost->named_.insert(request_id);
}

void write_many(pqxx::work& tx, const std::vector<record>& entries) {
    if (entries.empty()) return;
    for (const auto& e : entries) scope::note(e.request_id);
    std::vector<std::optional<std::int64_t>> actors;
    std::vector<std::string> actions, subjects, request_ids, details;
    for (const auto& e : entries) {
        actors.push_back(e.actor ? std::optional(e.actor->value) : std::nullopt);
        actions.push_back(e.action);
        subjects.push_back(e.subject);
        request_ids.push_back(e.request_id);
        details.push_back(e.details_json);
    }
    tx.exec_prepared(insert_many.name, db::array_literal(actors), db::array_literal(actions),
                     db::array_literal(subjects), db::array_literal(request_ids), db::array_literal(details));
}

void write(pqxx::work& tx, const record& entry) {
    scope::note(entry.request_id);
    std::optional<std::int64_t> actor;
    if (entry.actor) actor = entry.actor->value;
    tx.exec_prepared(insert_record.name, actor, entry.action, entry.subject, entry.request_id, entry.details_json);
}

} // namespace schwarm::audit

namespace schwarm::audit {

namespace {
const db::query select_page{"audit.page",
                            "SELECT id, " SCHWARM_SQL_UTC_MICROS(
                                "at") ", actor_id, action, subject, "
                                      "request_id, details::text FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"};

const db::query select_about_user{
    "audit.about_user",
    "SELECT id, " SCHWARM_SQL_UTC_MICROS("at") ", actor_id, action, subject, request_id, details::text FROM audit_log "
                                               "WHERE actor_id = $1 OR subject = 'user:' || $1::text ORDER BY id"};

std::vector<stored_record> records(const pqxx::result& rows) {
    std::vector<stored_record> out;
    for (const auto& row : rows) {
        out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), db::nullable<std::int64_t>(row[2]),
                       row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                       row[6].as<std::string>()});
    }
    return out;
}
} // namespace

std::vector<stored_record> list(pqxx::transaction_base& tx, std::int64_t after_id, int limit) {
    return records(tx.exec_prepared(select_page.name, after_id, limit));
}

std::vector<stored_record> about_user(pqxx::transaction_base& tx, std::int64_t user_id) {
    return records(tx.exec_prepared(select_about_user.name, user_id));
}

} // namespace schwarm::audit
