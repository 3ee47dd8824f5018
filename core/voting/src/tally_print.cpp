#include "tally_print.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <ostream>

namespace schwarm::voting {

namespace {

std::string ids_of(const election_input& input, const std::vector<std::uint32_t>& projects) {
    std::string out;
    for (const std::uint32_t c : projects) {
        out += (out.empty() ? "" : ", ") + input.projects_[c].id_;
    }
    return out;
}

std::string criteria_text(const tie_breaking& ties) {
    std::string out;
    for (const tie_criterion t : ties.criteria_) {
        out += std::string{out.empty() ? "" : ", "} + to_string(t);
    }
    out += std::string{out.empty() ? "" : ", then "} +
           (ties.refuse_unresolved_ ? "an unresolved tie is refused" : "the project listed first in the file");
    return out;
}

std::string method_text(method m) {
    switch (m) {
    case method::greedy: return "greedy (by points; a project that does not fit is skipped)";
    case method::greedy_no_skip: return "greedy-no-skip (by points; stops at the first project that does not fit)";
    case method::mes: return "Method of Equal Shares";
    }
    return "";
}

std::string mes_text(const rule_spec& spec) {
    std::string out =
        std::string{"utility "} + to_string(spec.utility_) + "; completion " + to_string(spec.completion_);
    if (spec.completion_ == completion::add1 || spec.completion_ == completion::add1u) {
        out += std::string{" (integral "} + (spec.add1_.integral_ ? "yes" : "no") + ", exhaustive " +
               (spec.add1_.exhaustive_ ? "yes" : "no") + ", increment " + format_minor(spec.add1_.increment_minor_) +
               ", at most " + std::to_string(spec.add1_.steps_max_) + " steps)";
    }
    return out + "; comparison " + to_string(spec.comparison_);
}

std::string eligibility_text(const eligibility& e, const election_input& input) {
    std::string out;
    const auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
    if (e.min_votes_ > 0) add("at least " + std::to_string(e.min_votes_) + " votes");
    if (e.min_points_ > 0) add("at least " + std::to_string(e.min_points_) + " points");
    if (e.min_share_per_cost_) add("share of voters at least " + e.min_share_per_cost_->str() + " x cost / budget");
    if (!e.withdrawn_.empty()) add("withdrawn: " + ids_of(input, e.withdrawn_));
    for (const auto& group : e.exclusive_groups_) add("at most one of " + ids_of(input, group));
    return out.empty() ? "every project" : out;
}

boost::json::value units_value(std::int64_t amount_minor) {
    if (amount_minor % 100 == 0) return amount_minor / 100;
    return boost::json::value(format_minor(amount_minor));
}

boost::json::array ids_json(const election_input& input, const std::vector<std::uint32_t>& projects) {
    boost::json::array out;
    for (const std::uint32_t c : projects) out.emplace_back(input.projects_[c].id_);
    return out;
}

boost::json::object eligibility_json(const eligibility& e, const election_input& input) {
    boost::json::array groups;
    for (const auto& group : e.exclusive_groups_) groups.emplace_back(ids_json(input, group));
    return {{"min_votes", e.min_votes_},
            {"min_points", e.min_points_},
            {"min_share_per_cost", e.min_share_per_cost_ ? boost::json::value(e.min_share_per_cost_->str()) : nullptr},
            {"withdrawn", ids_json(input, e.withdrawn_)},
            {"exclusive_groups", std::move(groups)}};
}

boost::json::object ties_json(const tie_breaking& ties, const election_input& input) {
    boost::json::array criteria;
    for (const tie_criterion t : ties.criteria_) criteria.emplace_back(to_string(t));
    return {{"criteria", std::move(criteria)},
            {"order", ids_json(input, ties.order_)},
            {"unresolved", ties.refuse_unresolved_ ? "refused" : "file order"}};
}

boost::json::object spec_json(const rule_spec& spec, const election_input& input) {
    boost::json::object out{{"method", to_string(spec.method_)},
                            {"tie_breaking", ties_json(spec.ties_, input)},
                            {"eligibility", eligibility_json(spec.eligibility_, input)}};
    if (spec.method_ == method::mes) {
        out["completion_tie_breaking"] = ties_json(spec.completion_ties_, input);
        out["utility"] = to_string(spec.utility_);
        out["completion"] = to_string(spec.completion_);
        out["add1"] = {{"integral", spec.add1_.integral_},
                       {"exhaustive", spec.add1_.exhaustive_},
                       {"increment", units_value(spec.add1_.increment_minor_)},
                       {"steps_max", spec.add1_.steps_max_}};
        out["comparison"] = to_string(spec.comparison_);
    }
    return out;
}

// What a supporter with one point who paid in full paid: rho times the utility of a point.
rational price_per_point_minor(const selection& s, utility u) {
    return u == utility::cost ? s.rho_ * s.cost_minor_ : s.rho_;
}

boost::json::object step_json(const selection& s, utility u) {
    boost::json::object out{{"project", s.id_},
                            {"cost", units_value(s.cost_minor_)},
                            {"votes", s.votes_},
                            {"points", s.points_},
                            {"by", s.step_ == selection_step::mes ? "mes" : "greedy"}};
    if (s.step_ != selection_step::mes) return out;
    boost::json::array payments;
    for (const payment_group& g : s.payments_) {
        payments.push_back({{"amount", format_units(g.payment_minor_)},
                            {"points", g.points_},
                            {"voters", g.voter_count_},
                            {"capped", g.capped_}});
    }
    out["rho"] = s.rho_.str();
    out["price_per_point"] = format_units(price_per_point_minor(s, u));
    out["supporters_full"] = s.supporters_full_;
    out["supporters_capped"] = s.supporters_capped_;
    out["payments"] = std::move(payments);
    return out;
}

boost::json::array strings_json(const std::vector<std::string>& lines) {
    boost::json::array out;
    for (const std::string& line : lines) out.emplace_back(line);
    return out;
}

boost::json::object outcome_json(const printed& p) {
    const tally_result& r = p.result_;
    boost::json::array selected, steps, outcomes, ties, warnings;
    for (const selection& s : r.selected_) {
        selected.emplace_back(s.id_);
        steps.push_back(step_json(s, r.spec_.utility_));
    }
    for (std::size_t c = 0; c < r.projects_.size(); ++c) {
        outcomes.push_back({{"project", p.input_.projects_[c].id_},
                            {"outcome", to_string(r.projects_[c].outcome_)},
                            {"reason", r.projects_[c].reason_}});
    }
    for (const tie_note& t : r.ties_)
        ties.push_back({{"projects", strings_json(t.projects_)}, {"context", t.context_}});
    for (const pabulib_warning& w : p.warnings_) warnings.push_back({{"line", w.line_}, {"message", w.message()}});
    return {{"selected", std::move(selected)},
            {"steps", std::move(steps)},
            {"outcomes", std::move(outcomes)},
            {"ties", std::move(ties)},
            {"warnings", std::move(warnings)}};
}

} // namespace

std::vector<std::string> describe_spec(const rule_spec& spec, const election_input& input) {
    std::vector<std::string> lines{"method: " + method_text(spec.method_)};
    if (spec.method_ == method::mes) lines.push_back(mes_text(spec));
    lines.push_back("ties: " + criteria_text(spec.ties_) +
                    (spec.ties_.order_.empty() ? "" : " (drawn order: " + ids_of(input, spec.ties_.order_) + ")"));
    if (spec.method_ == method::mes && (spec.completion_ != completion::none || spec.comparison_ != comparison::none)) {
        lines.push_back("ties in the greedy parts (completion, comparison): " + criteria_text(spec.completion_ties_));
    }
    lines.push_back("eligible: " + eligibility_text(spec.eligibility_, input));
    return lines;
}

void print_selected(const printed& p, std::ostream& out) {
    for (const selection& s : p.result_.selected_) out << s.id_ << '\n';
}

void print_warnings(const printed& p, std::ostream& err) {
    for (const pabulib_warning& w : p.warnings_) err << "schwarm: warning: " << w.message() << '\n';
    for (const std::string& note : p.counted_.notes_) err << "schwarm: note: " << note << '\n';
    for (const tie_note& t : p.result_.ties_) {
        std::string ids;
        for (const std::string& id : t.projects_) ids += (ids.empty() ? "" : ", ") + id;
        err << "schwarm: note: tie between " << ids << " (" << t.context_
            << ") settled by the file order: " << t.projects_.front() << " first\n";
    }
}

void print_json(const printed& p, std::ostream& out) {
    const tally_result& r = p.result_;
    boost::json::object json{{"file", p.path_},
                             {"rule", p.counted_.name_},
                             {"rule_from", p.counted_.from_meta_ ? "meta" : "option"},
                             {"options", spec_json(r.spec_, p.input_)},
                             {"budget", units_value(r.budget_minor_)},
                             {"total_cost", units_value(r.total_cost_minor_)},
                             {"voters", p.input_.ballots_.size()},
                             {"notes", strings_json(p.counted_.notes_)}};
    for (auto& [key, value] : outcome_json(p)) json[key] = std::move(value);
    if (r.spec_.method_ == method::mes) {
        json["voter_budget"] = format_units(r.voter_budget_minor_);
        json["add1_steps"] = r.add1_steps_;
    }
    if (r.comparison_) {
        json["comparison"] = {{"kind", to_string(r.comparison_->comparison_)},
                              {"prefer_mes", r.comparison_->prefer_mes_},
                              {"prefer_greedy", r.comparison_->prefer_greedy_},
                              {"kept", r.comparison_->kept_mes_ ? "mes" : "greedy"}};
    }
    json["trace"] = strings_json(r.trace_);
    out << boost::json::serialize(json) << '\n';
}

void print_explanation(const printed& p, std::ostream& out) {
    const tally_result& r = p.result_;
    out << p.path_ << ": rule " << p.counted_.name_ << (p.counted_.from_meta_ ? " (named in the file's META)" : "")
        << "\n";
    for (const std::string& line : describe_spec(r.spec_, p.input_)) out << "  " << line << '\n';
    out << "budget " << format_minor(r.budget_minor_) << ", " << p.input_.ballots_.size() << " voters, "
        << p.input_.projects_.size() << " projects; selected " << r.selected_.size() << " for "
        << format_minor(r.total_cost_minor_) << '\n';
    if (r.spec_.method_ == method::mes) {
        out << "per-voter budget " << format_units(r.voter_budget_minor_) << " after " << r.add1_steps_
            << " add1 step(s)\n";
    }
    for (const std::string& line : r.trace_) {
        if (line.starts_with("comparison (")) out << line << '\n';
    }
    out << "\nselected, in order:\n";
    std::vector<bool> shown(r.projects_.size(), false);
    for (std::size_t k = 0; k < r.selected_.size(); ++k) {
        const selection& s = r.selected_[k];
        shown[s.project_] = true;
        out << "  " << k + 1 << ". " << s.id_ << " (cost " << format_minor(s.cost_minor_) << ", " << s.votes_
            << " votes, " << s.points_ << " points): " << r.projects_[s.project_].reason_ << '\n';
    }
    out << "\nnot selected:\n";
    for (std::size_t c = 0; c < r.projects_.size(); ++c) {
        if (shown[c]) continue;
        out << "  " << p.input_.projects_[c].id_ << " (cost " << format_minor(p.input_.projects_[c].cost_minor_)
            << "): " << to_string(r.projects_[c].outcome_) << ": " << r.projects_[c].reason_ << '\n';
    }
}

} // namespace schwarm::voting
