#pragma once
// A project's page beyond its fields (DESIGN.md 4.1): customers' comments and
// the owner's updates. Comments are never edited or deleted; the project's
// owner or staff may hide one, once, with a reason (audited). A hidden
// comment stays on the page as hidden, without its text for the public.
// Drafts have neither: nobody comments on or posts updates to a draft, and a
// draft is a 404 to everybody but its owner and staff (as projects::find).

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/projects.hpp"
#include "platform/users.hpp"

#include <pqxx/pqxx>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schwarm::comments {

struct comment_tag;
using comment_id = id<comment_tag>;
struct update_tag;
using update_id = id<update_tag>;

// Lengths in characters (Unicode code points), as the schema checks them.
inline constexpr std::size_t text_length_max = 2'000;
inline constexpr std::size_t reason_length_max = 500;
inline constexpr std::size_t update_title_length_max = 200;
inline constexpr std::size_t update_body_length_max = 20'000;

namespace problems {
inline constexpr problem_type already_hidden{409, "comment-hidden", "The comment is already hidden"};
} // namespace problems

struct hiding {
    std::string at; // RFC 3339, UTC
    // For moderators only: empty on the public page.
    std::optional<user_id> by;
    std::optional<std::string> reason;
};

struct comment {
    comment_id id;
    projects::project_id project;
    user_id author;
    // Empty when the comment is hidden and the reader may not moderate it.
    std::optional<std::string> text;
    std::string created_at;
    std::optional<hiding> hidden;
};

struct update {
    update_id id;
    projects::project_id project;
    user_id author;
    std::string title;
    std::string body;
    std::string created_at;
};

// A keyset page, newest first: items with an id below `before_id`.
struct page {
    std::optional<std::int64_t> before_id;
    int limit = 50;
};

// Characters as the schema's char_length counts them (UTF-8 lead bytes).
std::size_t characters(const std::string& text);
bool blank(const std::string& text);
// A validation problem naming `field` for text that is only spaces or longer
// than `length_max` characters (ideas' comments, feedback and answers too).
void check_text(const char* field, const std::string& text, std::size_t length_max);

// Whether `who` may hide comments on `p` and read hidden ones: its owner, or staff.
bool may_moderate(const projects::project& p, const users::principal& who);

// A customer comments on a project that is not a draft.
comment add(pqxx::work& tx, projects::project_id project, const std::string& text, const projects::actor& by);
// The project's owner or staff hide a visible comment with a reason.
comment hide(pqxx::work& tx, projects::project_id project, comment_id id, const std::string& reason,
             const projects::actor& by);
// The public page: hidden comments without their text, hider or reason.
std::vector<comment> list(pqxx::transaction_base& tx, projects::project_id project, const page& p);
// The moderators' page (owner or staff, else 403): every comment in full.
std::vector<comment> list_for_moderation(pqxx::transaction_base& tx, projects::project_id project,
                                         const users::principal& viewer, const page& p);

// The project's owner posts an update to a project that is not a draft.
update post_update(pqxx::work& tx, projects::project_id project, const std::string& title, const std::string& body,
                   const projects::actor& by);
std::vector<update> list_updates(pqxx::transaction_base& tx, projects::project_id project, const page& p);

} // namespace schwarm::comments
