#include "core/audit.hpp"

#include "core/db.hpp"

namespace schwarm::audit {

namespace {
const db::query insert_record{
    "audit.insert",
    "INSERT INTO audit_log (actor_id, action, subject, request_id, details) "
    "VALUES ($1, $2, $3, $4, $5::jsonb)"};
}

void write(pqxx::work& tx, const record& entry) {
    std::optional<std::int64_t> actor;
    if (entry.actor) actor = entry.actor->value;
    tx.exec_prepared(insert_record.name, actor, entry.action, entry.subject, entry.request_id,
                     entry.details_json);
}

} // namespace schwarm::audit
