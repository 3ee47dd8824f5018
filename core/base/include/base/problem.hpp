#pragma once
// Domain errors. A `problem` carries a stable problem type (its slug becomes the
// RFC 9457 `type`), a detail safe to show the client, and optionally a message
// meant only for the log. The API turns problems into application/problem+json
// in exactly one place. Modules define their own problem types beside their
// rules (e.g. the ledger's `unbalanced-entry`); the common ones live here.

#include <boost/json/value.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace schwarm {

struct problem_type {
    int status;
    std::string_view slug;  // stable: clients may switch on it
    std::string_view title; // short, human, the same for every occurrence
};

namespace problems {
inline constexpr problem_type validation{400, "validation", "The request is invalid"};
inline constexpr problem_type malformed_json{400, "malformed-json", "The body is not valid JSON"};
inline constexpr problem_type bad_request{400, "bad-request", "The request is malformed"};
inline constexpr problem_type unauthorized{401, "unauthorized", "Authentication required"};
inline constexpr problem_type forbidden{403, "forbidden", "Not allowed for this role"};
inline constexpr problem_type not_found{404, "not-found", "Not found"};
inline constexpr problem_type method_not_allowed{405, "method-not-allowed", "Method not allowed"};
inline constexpr problem_type conflict{409, "conflict", "Conflict with the current state"};
inline constexpr problem_type email_taken{409, "email-taken", "The email address is already registered"};
inline constexpr problem_type idempotency_conflict{409, "idempotency-conflict",
                                                   "The Idempotency-Key was used for a different request"};
inline constexpr problem_type payload_too_large{413, "payload-too-large", "Request body too large"};
inline constexpr problem_type unsupported_media{415, "unsupported-media-type", "Unsupported media type"};
inline constexpr problem_type expectation_failed{417, "expectation-failed", "The expectation cannot be met"};
inline constexpr problem_type rate_limited{429, "rate-limited", "Too many requests"};
inline constexpr problem_type headers_too_large{431, "headers-too-large", "Request headers too large"};
inline constexpr problem_type internal{500, "internal", "Internal error"};
inline constexpr problem_type unavailable{503, "unavailable", "Service unavailable"};
} // namespace problems

// The stable RFC 9457 `type`: a tag URI (RFC 4151), which RFC 9457 names for
// types that identify a rule rather than link to a page.
std::string type_uri(const problem_type& type);

class problem : public std::runtime_error {
public:
    problem(const problem_type& type, std::string detail, std::string log_message = {})
        : std::runtime_error(detail), type_(type), detail_(std::move(detail)), log_message_(std::move(log_message)) {}

    const problem_type& type() const noexcept { return type_; }
    int status() const noexcept { return type_.status; }
    bool is(const problem_type& t) const noexcept { return type_.slug == t.slug; }
    bool slug_is(std::string_view slug) const noexcept { return type_.slug == slug; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& log_message() const noexcept { return log_message_; }

    // Extra members of the problem object, e.g. {"field": "email"} or
    // {"approvals": 1}: numbers stay numbers and booleans booleans, so a
    // client reads them without parsing text.
    template <class T>
    problem& with(std::string key, T&& value) & {
        extensions_[std::move(key)] = extension_value(std::forward<T>(value));
        return *this;
    }
    template <class T>
    problem&& with(std::string key, T&& value) && {
        extensions_[std::move(key)] = extension_value(std::forward<T>(value));
        return std::move(*this);
    }
    const std::map<std::string, boost::json::value>& extensions() const noexcept { return extensions_; }
    // An extension as text: a string as it is, anything else serialised, "" when absent.
    std::string extension(const std::string& key) const;

private:
    // Text as a JSON string; numbers, booleans, null and JSON values as they are.
    template <class T>
    static boost::json::value extension_value(T&& value) {
        if constexpr (std::is_convertible_v<T, std::string_view>) {
            return boost::json::value(boost::json::string_view(std::string_view(value)));
        } else {
            return boost::json::value(std::forward<T>(value));
        }
    }

    problem_type type_;
    std::string detail_;
    std::string log_message_;
    std::map<std::string, boost::json::value> extensions_;
};

// A validation problem naming the offending field.
problem field_problem(std::string field, std::string detail);

// A broken invariant that guards money: checked in every build (Release
// too), never an assert. What was caught fails as a whole: the request
// answers 500 with the reason in the log only, the job is set aside, and
// nothing of the transaction commits.
struct invariant_violation : std::logic_error {
    using std::logic_error::logic_error;
};
// Throws invariant_violation when `condition` is false; `message` (a string
// expression) is evaluated only then.
#define SCHWARM_INVARIANT(condition, message)                                                                          \
    do {                                                                                                               \
        if (!(condition)) throw ::schwarm::invariant_violation(std::string("invariant: ") + (message));                \
    } while (false)

} // namespace schwarm
