#pragma once
// The audit log: append-only (the database refuses UPDATE, DELETE and
// TRUNCATE), written in the same transaction as the change it records.

#include "core/ids.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace schwarm::audit {

struct record {
    std::optional<user_id> actor; // empty for the system itself
    std::string action;           // e.g. "user.register"
    std::string subject;          // e.g. "user:42"
    std::string request_id;
    std::string details_json = "{}"; // never secrets, never more personal data than needed
};

void write(pqxx::work& tx, const record& entry);
// Many records in one statement (a batch that served many requests).
void write_many(pqxx::work& tx, const std::vector<record>& entries);

} // namespace schwarm::audit

namespace schwarm::audit {

struct stored_record {
    std::int64_t id;
    std::string at; // RFC 3339, UTC, microseconds
    std::optional<std::int64_t> actor;
    std::string action;
    std::string subject;
    std::string request_id;
    std::string details_json;
};

// Records after `after_id` (keyset), oldest first, at most `limit`.
std::vector<stored_record> list(pqxx::transaction_base& tx, std::int64_t after_id, int limit);

} // namespace schwarm::audit
