// Prototypes: a project draft made from an accepted idea, which its owner
// and invited co-authors work on, then test with the crowd in a feedback
// window before it is submitted (core/platform/prototypes.hpp, phases.hpp).
#include "resources/resources.hpp"

#include "base/json.hpp"
#include "platform/phases.hpp"
#include "platform/prototypes.hpp"

namespace schwarm::api {

namespace {
response invite(context&);
response accept_invitation(context&);
response list_co_authors(context&);
response start_test(context&);
response give_feedback(context&);
response list_feedback(context&);
response answer_feedback(context&);
} // namespace

std::vector<route> prototypes_routes() {
    return {
        // The owner invites customers; the invitee accepts.
        {http::verb::post, "/v1/projects/{id}/co-authors", access::customer, db_use::write, invite},
        {http::verb::get, "/v1/projects/{id}/co-authors", access::anyone, db_use::read, list_co_authors},
        {http::verb::post, "/v1/projects/{id}/co-authors/accept", access::customer, db_use::write, accept_invitation},
        // prototype → test: the feedback window opens (the owner).
        {http::verb::post, "/v1/projects/{id}/start-test", access::customer, db_use::write, start_test},
        {http::verb::put, "/v1/projects/{id}/feedback", access::customer, db_use::write, give_feedback},
        {http::verb::get, "/v1/projects/{id}/feedback", access::anyone, db_use::read, list_feedback},
        {http::verb::post, "/v1/projects/{id}/feedback/{feedback_id}/answer", access::customer, db_use::write,
         answer_feedback},
    };
}

namespace {

projects::project_id project_param(const context& ctx) {
    return projects::project_id{path_id(ctx, "id", "There is no such project")};
}

boost::json::value text_or_null(const std::optional<std::string>& text) {
    return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

boost::json::object to_json(const prototypes::co_author& a) {
    return {{"user_id", a.user.str()},
            {"invited_by", a.invited_by.str()},
            {"invited_at", a.invited_at},
            {"accepted_at", text_or_null(a.accepted_at)}};
}

boost::json::object to_json(const prototypes::feedback& f) {
    boost::json::object out{{"id", std::to_string(f.id)},           {"project_id", f.project.str()},
                            {"author_id", f.author.str()},          {"would_use", f.f.would_use},
                            {"would_back", f.f.would_back},         {"concerns", text_or_null(f.f.concerns)},
                            {"comment", text_or_null(f.f.comment)}, {"created_at", f.created_at},
                            {"updated_at", f.updated_at},           {"answer", text_or_null(f.answer)}};
    out["answered_by"] = f.answered_by ? boost::json::value(f.answered_by->str()) : nullptr;
    out["answered_at"] = text_or_null(f.answered_at);
    return out;
}

response invite(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto user = parse_int64(r.required_string("user_id", 1, 20));
    r.reject_unknown();
    if (!user || *user <= 0) throw field_problem("user_id", "user_id must be a user's id");
    auto made = prototypes::invite(ctx.work(), project_param(ctx), user_id{*user}, caller(ctx));
    return json_response(http::status::created, to_json(made));
}

response accept_invitation(context& ctx) {
    return json_response(http::status::ok, to_json(prototypes::accept(ctx.work(), project_param(ctx), caller(ctx))));
}

response list_co_authors(context& ctx) {
    boost::json::array out;
    for (const auto& a : prototypes::co_authors(ctx.tx(), project_param(ctx))) out.push_back(to_json(a));
    return json_response(http::status::ok, boost::json::object{{"items", std::move(out)}});
}

response start_test(context& ctx) {
    if (!ctx.request.body().empty()) {
        auto body = ctx.json_body();
        json::object_reader(body).reject_unknown();
    }
    auto id = project_param(ctx);
    phases::move_project(ctx.work(), id.value, "start_test", caller(ctx), {ctx.app.cfg.feedback_window_days});
    return json_response(http::status::ok, project_json(projects::find(ctx.work(), id, ctx.who())));
}

response give_feedback(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    prototypes::feedback_input in;
    auto use = r.optional_bool("would_use");
    auto back = r.optional_bool("would_back");
    if (!use) throw field_problem("would_use", "would_use is required: true or false");
    if (!back) throw field_problem("would_back", "would_back is required: true or false");
    in.would_use = *use;
    in.would_back = *back;
    in.concerns = r.optional_string("concerns", 1, prototypes::feedback_text_length_max);
    in.comment = r.optional_string("comment", 1, prototypes::feedback_text_length_max);
    r.reject_unknown();
    auto f = prototypes::give(ctx.work(), project_param(ctx), in, caller(ctx));
    return json_response(f.replaced ? http::status::ok : http::status::created, to_json(f));
}

response list_feedback(context& ctx) {
    int limit = ctx.page_size();
    std::optional<std::int64_t> before;
    if (auto cursor = ctx.query_param("cursor")) {
        before = parse_int64(*cursor);
        if (!before || *before <= 0) throw field_problem("cursor", "cursor must be a value from an earlier page");
    }
    auto id = project_param(ctx);
    auto items = prototypes::feedback_of(ctx.tx(), id, before, limit);
    boost::json::array out;
    for (const auto& f : items) out.push_back(to_json(f));
    // A page as page_response makes it, with the summary the project's own page shows.
    bool full = static_cast<int>(items.size()) == limit;
    boost::json::object page{{"items", std::move(out)},
                             {"summary", feedback_summary_json(prototypes::summary_of(ctx.tx(), id))}};
    page["next_cursor"] = full ? boost::json::value(std::to_string(items.back().id)) : nullptr;
    return json_response(http::status::ok, page);
}

response answer_feedback(context& ctx) {
    auto body = ctx.json_body();
    json::object_reader r(body);
    auto text = r.required_string("text", 1, prototypes::feedback_text_length_max);
    r.reject_unknown();
    auto feedback = path_id(ctx, "feedback_id", "There is no such feedback on this project");
    return json_response(http::status::ok,
                         to_json(prototypes::answer(ctx.work(), project_param(ctx), feedback, text, caller(ctx))));
}

} // namespace
} // namespace schwarm::api
