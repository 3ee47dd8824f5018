#include "voting/tally_cli.hpp"

#include "tally_print.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace schwarm::voting {

namespace {

struct command_options {
    std::optional<std::string> rule_;
    rule_options options_;
    bool strict_ = false;
    bool json_ = false;
    bool explain_ = false;
};

// pabulib marks a project withdrawn after the vote with this cost (currency units); its
// checker skips it without stopping greedy-no-skip.
constexpr std::int64_t withdrawn_cost_minor = 999'999'999LL * 100;

command_options read_options(const std::vector<std::string>& options) {
    command_options o;
    for (std::size_t i = 0; i < options.size(); ++i) {
        const std::string& option = options[i];
        if (option == "--strict") o.strict_ = true;
        else if (option == "--json") o.json_ = true;
        else if (option == "--explain") o.explain_ = true;
        else if (option == "--refuse-ties") o.options_.refuse_ties_ = true;
        else if (!option.starts_with("--")) throw std::invalid_argument("unexpected argument " + option);
        else {
            if (i + 1 >= options.size()) throw std::invalid_argument(option + " needs a value");
            const std::string& value = options[++i];
            if (option == "--rule") o.rule_ = value;
            else if (!read_rule_option(o.options_, option, value))
                throw std::invalid_argument("unknown option " + option);
        }
    }
    return o;
}

// --- the rule, from META and options ---

project_index index_projects(const election_input& input) {
    project_index index;
    for (std::uint32_t c = 0; c < input.projects_.size(); ++c) {
        index.emplace(input.projects_[c].id_, c);
    }
    return index;
}

named_rule rule_named(const command_options& o, const election& e, bool& from_meta) {
    from_meta = !o.rule_;
    std::optional<std::string> name = o.rule_;
    if (!name) {
        name = meta_value(e, "rule");
        if (!name || name->empty()) {
            throw std::invalid_argument("the file's META names no rule; give --rule (one of: " + supported_rules() +
                                        ")");
        }
    }
    // Files that rounds export (META unit "schwarm") name the platform's rules.
    const bool platform = o.rule_ || meta_value(e, "unit") == "schwarm";
    const std::optional<named_rule> found = find_rule(*name, platform ? rule_source::platform : rule_source::pabulib);
    if (!found) {
        throw std::invalid_argument("unknown rule '" + *name + "'" + (from_meta ? " in the file's META" : "") +
                                    "; supported: " + supported_rules());
    }
    return *found;
}

std::int64_t meta_threshold(const election& e) {
    const std::optional<std::string> text = meta_value(e, "min_project_score_threshold");
    if (!text || text->empty()) {
        return 0;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < 0) {
        throw std::runtime_error("META min_project_score_threshold '" + *text + "' is not a whole number");
    }
    return value;
}

void withdraw_sentinels(const election_input& input, counted_rule& counted) {
    for (std::uint32_t c = 0; c < input.projects_.size(); ++c) {
        if (input.projects_[c].cost_minor_ == withdrawn_cost_minor) {
            counted.spec_.eligibility_.withdrawn_.push_back(c);
            counted.notes_.push_back("project " + input.projects_[c].id_ +
                                     " costs 999999999, pabulib's mark of a withdrawn project: it takes no part");
        }
    }
}

// --- exclusive groups in a META comment ---

std::string lower(std::string_view text) {
    std::string out{text};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

// A comment's numbered items ("#1: ... #2: ..."), or the whole comment.
std::vector<std::string_view> comment_items(std::string_view comment) {
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i + 2 < comment.size(); ++i) {
        std::size_t j = i + 1;
        while (j < comment.size() && std::isdigit(static_cast<unsigned char>(comment[j]))) ++j;
        if (comment[i] == '#' && j > i + 1 && j < comment.size() && comment[j] == ':') starts.push_back(i);
    }
    if (starts.empty()) {
        return {comment};
    }
    std::vector<std::string_view> items;
    for (std::size_t k = 0; k < starts.size(); ++k) {
        const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : comment.size();
        items.push_back(comment.substr(starts[k], end - starts[k]));
    }
    return items;
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t end = i;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
        std::string_view word = text.substr(i, end - i);
        while (!word.empty() && std::string_view{",.;:()"}.find(word.back()) != std::string_view::npos)
            word.remove_suffix(1);
        if (!word.empty()) out.push_back(word);
        i = end;
    }
    return out;
}

// The projects an item names right after "project(s)": "projects 773 and 153 ...".
std::vector<std::uint32_t> named_projects(std::string_view item, const project_index& index) {
    const std::vector<std::string_view> w = words(item);
    std::vector<std::uint32_t> found;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string word = lower(w[i]);
        if (word != "project" && word != "projects") continue;
        for (std::size_t j = i + 1; j < w.size(); ++j) {
            const std::string next = lower(w[j]);
            if (next == "and" || next == "or" || next == "&") continue;
            const auto it = index.find(w[j]);
            if (it == index.end()) break;
            if (std::find(found.begin(), found.end(), it->second) == found.end()) found.push_back(it->second);
        }
    }
    return found;
}

// pabulib has no field for projects that cannot both be built; files name them in a
// META comment (Warszawa 2022 Bemowo, #2: "projects 773 and 153 ... could not be
// implemented simultaneously"). An item that speaks of exclusivity and names two or
// more of the file's projects after "project(s)" is read as one group.
void groups_from_comment(const election& e, const project_index& index, counted_rule& counted) {
    const std::string comment = meta_value(e, "comment").value_or("");
    for (const std::string_view item : comment_items(comment)) {
        const std::string text = lower(item);
        if (text.find("simultaneous") == std::string::npos && text.find("exclusive") == std::string::npos &&
            text.find("both") == std::string::npos) {
            continue;
        }
        const std::vector<std::uint32_t> group = named_projects(item, index);
        if (group.size() < 2) continue;
        std::string ids;
        for (const std::uint32_t c : group) ids += (ids.empty() ? "" : ", ") + e.projects_[c].id_;
        counted.notes_.push_back("exclusive group " + ids + " read from the META comment: \"" +
                                 std::string{item.substr(0, 120)} + (item.size() > 120 ? "...\"" : "\""));
        counted.spec_.eligibility_.exclusive_groups_.push_back(group);
    }
}

// --- options over META ---

counted_rule choose(const command_options& o, const election& e, const election_input& input) {
    counted_rule counted;
    const named_rule named = rule_named(o, e, counted.from_meta_);
    counted.name_ = named.name_;
    counted.spec_ = named.spec_;
    const project_index index = index_projects(input);
    counted.spec_.eligibility_.min_points_ = meta_threshold(e);
    withdraw_sentinels(input, counted);
    if (named.reads_exclusive_groups_ && o.options_.exclusive_.empty()) {
        groups_from_comment(e, index, counted);
        if (counted.spec_.eligibility_.exclusive_groups_.empty()) {
            if (o.strict_)
                throw std::runtime_error(
                    "greedy-exclusive: the META comment names no exclusive group; give --exclusive");
            counted.notes_.push_back(
                "greedy-exclusive, but the META comment names no exclusive group: counted as greedy");
        }
    }
    apply_rule_options(o.options_, index, counted.spec_);
    if (named.needs_threshold_ && counted.spec_.eligibility_.min_points_ == 0) {
        throw std::invalid_argument(named.name_ +
                                    " needs a threshold: META min_project_score_threshold or --min-score");
    }
    return counted;
}

std::string read_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

counted_rule rule_of_file(const election& e) { return choose(command_options{}, e, to_election_input(e)); }

int tally_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty() || args.front().starts_with("--")) {
        throw std::invalid_argument("tally needs a .pb file");
    }
    const std::vector<std::string> options(args.begin() + 1, args.end());
    const command_options o = read_options(options);
    // A rule name is checked before the file is read: a bad option is the caller's
    // mistake whatever the file holds.
    if (o.rule_ && !find_rule(*o.rule_, rule_source::platform)) {
        throw std::invalid_argument("unknown rule '" + *o.rule_ + "'; supported: " + supported_rules());
    }
    const std::string text = read_file(args.front());
    std::vector<pabulib_warning> warnings;
    const election e = parse_pabulib(text, parse_options{o.strict_}, warnings);
    const election_input input = to_election_input(e);
    const counted_rule counted = choose(o, e, input);
    const tally_result result = tally(input, counted.spec_);
    const printed what{args.front(), e, input, counted, result, warnings};
    if (o.json_) {
        print_json(what, out);
    } else if (o.explain_) {
        print_explanation(what, out);
        print_warnings(what, err);
    } else {
        print_selected(what, out);
        print_warnings(what, err);
    }
    return 0;
}

} // namespace schwarm::voting
