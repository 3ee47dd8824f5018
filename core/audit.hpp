#pragma once
// The audit log: append-only (the database refuses UPDATE, DELETE and
// TRUNCATE), written in the same transaction as the change it records.

#include "core/ids.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <string>

namespace schwarm::audit {

struct record {
    std::optional<user_id> actor; // empty for the system itself
    std::string action;           // e.g. "user.register"
    std::string subject;          // e.g. "user:42"
    std::string request_id;
    std::string details_json = "{}"; // never secrets, never more personal data than needed
};

void write(pqxx::work& tx, const record& entry);

} // namespace schwarm::audit
