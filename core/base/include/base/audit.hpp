#pragma once
// The audit log: append-only (the database refuses UPDATE, DELETE and
// TRUNCATE), written in the same transaction as the change it records.

#include "base/ids.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace schwarm::audit {

// Who caused a change: the actor (none for the platform's own jobs and the
// operator at the command line) and the request, job run or command.
struct origin {
    std::optional<user_id> actor;
    std::string request_id;
};

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

// The request ids that this thread's records named while the scope was open
// (api: one request's or one batch's transaction). The server refuses a
// request that changed state and recorded nothing (api/dispatch.cpp), so a
// new route cannot forget its audit record.
class scope {
public:
    scope();
    ~scope();
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    bool named(std::string_view request_id) const { return named_.find(request_id) != named_.end(); }
    static void note(const std::string& request_id);

private:
    std::set<std::string, std::less<>> named_;
    scope* outer_;
};

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
// Every record a user made or that is about them (subject "user:<id>"),
// oldest first: their part of the log, for their data export.
std::vector<stored_record> about_user(pqxx::transaction_base& tx, std::int64_t user_id);

} // namespace schwarm::audit
