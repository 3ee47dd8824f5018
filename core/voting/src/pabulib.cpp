#include "voting/pabulib.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace schwarm::voting {

namespace {

// Amounts are stored in minor units; a file's amount may carry at most this many
// decimals so that it converts exactly.
constexpr std::int64_t minor_per_unit = 100;
constexpr int minor_digits_max = 2;

std::string make_message(std::size_t line, const std::string& field, const std::string& detail) {
    std::string message = "pabulib line " + std::to_string(line);
    if (!field.empty()) {
        message += ", field '" + field + "'";
    }
    return message + ": " + detail;
}

// One CSV record: fields unquoted, and the line it starts on (a quoted field may span
// lines, so the next record's line is not always this one plus one).
struct record {
    std::vector<std::string> fields_;
    std::size_t field_count_ = 0;
    std::size_t line_ = 0;

    std::string_view field(std::size_t i) const {
        return i < field_count_ ? std::string_view{fields_[i]} : std::string_view{};
    }
    bool blank() const { return field_count_ == 1 && fields_[0].empty(); }
};

// Reports a quirk, or refuses it under strict parsing.
class quirks {
public:
    quirks(const parse_options& options, std::vector<pabulib_warning>& warnings)
        : strict_{options.strict_}, warnings_{warnings} {}

    void report(std::size_t line, std::string field, std::string detail) {
        if (strict_) {
            throw pabulib_error(line, std::move(field), detail + " (refused under strict reading)");
        }
        warnings_.push_back({line, std::move(field), std::move(detail)});
    }

private:
    bool strict_;
    std::vector<pabulib_warning>& warnings_;
};

// Reads records from the text, reusing the field strings' capacity so that a large file
// does not allocate per field.
class record_reader {
public:
    record_reader(std::string_view text, quirks& quirks) : text_{text}, quirks_{quirks} {
        constexpr std::string_view bom = "\xEF\xBB\xBF";
        if (text_.substr(0, bom.size()) == bom) {
            pos_ = bom.size();
        }
    }

    std::size_t line() const { return line_; }

    bool next(record& out) {
        if (pos_ >= text_.size()) {
            return false;
        }
        out.line_ = line_;
        out.field_count_ = 0;
        std::string* field = &start_field(out);
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == '"' && field->empty() && !in_unquoted_) {
                read_quoted(*field, out.line_);
                continue;
            }
            if (c == ';') {
                ++pos_;
                field = &start_field(out);
                continue;
            }
            if (c == '\n' || c == '\r') {
                end_line();
                return true;
            }
            // Plain run up to the next delimiter: appended in one piece for speed.
            const std::size_t end = text_.find_first_of(";\r\n", pos_);
            const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
            field->append(text_.substr(pos_, stop - pos_));
            in_unquoted_ = true;
            pos_ = stop;
        }
        return true;
    }

private:
    std::string& start_field(record& out) {
        if (out.fields_.size() <= out.field_count_) {
            out.fields_.emplace_back();
        }
        std::string& field = out.fields_[out.field_count_++];
        field.clear();
        in_unquoted_ = false;
        return field;
    }

    void end_line() {
        if (text_[pos_] == '\r') {
            ++pos_;
        }
        if (pos_ < text_.size() && text_[pos_] == '\n') {
            ++pos_;
        }
        ++line_;
    }

    // A quoted field: `""` is one quote; `;` and line ends inside are data.
    void read_quoted(std::string& field, std::size_t record_line) {
        ++pos_;
        while (true) {
            if (pos_ >= text_.size()) {
                throw pabulib_error(record_line, "", "quoted field is not closed");
            }
            const char c = text_[pos_];
            if (c == '"') {
                if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
                    field.push_back('"');
                    pos_ += 2;
                    continue;
                }
                ++pos_;
                break;
            }
            if (c == '\n') {
                ++line_;
            }
            field.push_back(c);
            ++pos_;
        }
        // Python's csv module, which pabulib's own tools read files with, keeps such text as
        // part of the field; so does this reader, with a warning.
        if (pos_ < text_.size() && text_[pos_] != ';' && text_[pos_] != '\r' && text_[pos_] != '\n') {
            quirks_.report(line_, "", "text after closing quote, read as part of the field");
        }
        in_unquoted_ = true;
    }

    std::string_view text_;
    quirks& quirks_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    bool in_unquoted_ = false;
};

enum class section { none, meta, projects, votes };

const char* section_name(section s) {
    switch (s) {
    case section::meta: return "META";
    case section::projects: return "PROJECTS";
    case section::votes: return "VOTES";
    case section::none: break;
    }
    return "";
}

std::optional<section> section_marker(const record& r) {
    for (std::size_t i = 1; i < r.field_count_; ++i) {
        if (!r.fields_[i].empty()) {
            return std::nullopt;
        }
    }
    const std::string_view name = r.field(0);
    if (name == "META") return section::meta;
    if (name == "PROJECTS") return section::projects;
    if (name == "VOTES") return section::votes;
    return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// "1011308", "1011308.5" or "-3.25" to minor units; nullopt if not a decimal number
// with at most two decimals that fits.
std::optional<std::int64_t> parse_amount_minor(std::string_view text) {
    const std::size_t dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const bool negative = !whole.empty() && whole.front() == '-';
    const std::string_view digits = negative ? whole.substr(1) : whole;
    if (digits.empty() || digits.front() == '+' || digits.front() == '-') {
        return std::nullopt;
    }
    const auto units = parse_integer(digits);
    if (!units) {
        return std::nullopt;
    }
    std::int64_t fraction_minor = 0;
    if (dot != std::string_view::npos) {
        std::string_view fraction = text.substr(dot + 1);
        // Trailing zeros beyond the minor digits ("12.500") carry no value.
        while (fraction.size() > minor_digits_max && fraction.back() == '0') {
            fraction.remove_suffix(1);
        }
        if (fraction.empty() || fraction.size() > minor_digits_max) {
            return std::nullopt;
        }
        for (const char c : fraction) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
        }
        fraction_minor = *parse_integer(fraction);
        for (std::size_t i = fraction.size(); i < minor_digits_max; ++i) {
            fraction_minor *= 10;
        }
    }
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    if (*units > (max - fraction_minor) / minor_per_unit) {
        return std::nullopt;
    }
    const std::int64_t amount = *units * minor_per_unit + fraction_minor;
    return negative ? -amount : amount;
}

std::optional<vote_type> parse_vote_type(std::string_view text) {
    if (text == "approval") return vote_type::approval;
    if (text == "cumulative") return vote_type::cumulative;
    if (text == "scoring") return vote_type::scoring;
    if (text == "ordinal") return vote_type::ordinal;
    if (text == "choose-1") return vote_type::choose_1;
    return std::nullopt;
}

// Keys whose values the election holds as typed fields or derives from the data;
// the writer emits them, so meta_ does not keep them.
bool derived_meta_key(std::string_view key) {
    return key == "budget" || key == "vote_type" || key == "num_projects" || key == "num_votes";
}

std::optional<std::size_t> column_index(const std::vector<std::string>& columns, std::string_view name) {
    const auto it = std::find(columns.begin(), columns.end(), name);
    if (it == columns.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - columns.begin());
}

std::string_view trim(std::string_view text) {
    const std::size_t first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Splits "a,b,c" without allocating; an empty list has no items.
template <typename F>
void for_each_item(std::string_view list, F&& f) {
    if (list.empty()) {
        return;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = list.find(',', start);
        f(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) {
            return;
        }
        start = comma + 1;
    }
}

class parser {
public:
    parser(std::string_view text, const parse_options& options, std::vector<pabulib_warning>& warnings)
        : quirks_{options, warnings}, reader_{text, quirks_} {}

    election run() {
        record r;
        section current = section::none;
        bool expect_header = false;
        std::size_t meta_line = 0;
        while (reader_.next(r)) {
            if (r.blank()) {
                continue;
            }
            if (const auto marker = section_marker(r)) {
                current = enter_section(*marker, r.line_);
                if (current == section::meta) {
                    meta_line = r.line_;
                }
                expect_header = true;
                continue;
            }
            if (current == section::none) {
                throw pabulib_error(r.line_, "", "missing section META: file must start with it");
            }
            if (expect_header) {
                read_header(current, r);
                expect_header = false;
                continue;
            }
            switch (current) {
            case section::meta: read_meta(r); break;
            case section::projects: read_project(r); break;
            case section::votes: read_vote(r); break;
            case section::none: break;
            }
        }
        const std::size_t end_line = reader_.line();
        if (seen_ != section::votes) {
            const section missing = seen_ == section::none   ? section::meta
                                    : seen_ == section::meta ? section::projects
                                                             : section::votes;
            throw pabulib_error(end_line, "", std::string{"missing section "} + section_name(missing));
        }
        if (expect_header) {
            throw pabulib_error(end_line, "", "section VOTES has no header row");
        }
        if (!budget_seen_) {
            throw pabulib_error(meta_line, "budget", "META has no budget");
        }
        if (!vote_type_seen_) {
            throw pabulib_error(meta_line, "vote_type", "META has no vote_type");
        }
        return std::move(e_);
    }

private:
    section enter_section(section next, std::size_t line) {
        const section expected = seen_ == section::none       ? section::meta
                                 : seen_ == section::meta     ? section::projects
                                 : seen_ == section::projects ? section::votes
                                                              : section::none;
        if (next != expected) {
            if (expected == section::none) {
                throw pabulib_error(line, "", std::string{"section "} + section_name(next) + " after VOTES");
            }
            throw pabulib_error(
                line, "", std::string{"missing section "} + section_name(expected) + " before " + section_name(next));
        }
        if (next == section::votes) {
            // Votes refer to projects by id; build the index once the list is complete.
            project_index_.reserve(e_.projects_.size());
            for (std::size_t i = 0; i < e_.projects_.size(); ++i) {
                project_index_.emplace(e_.projects_[i].id_, static_cast<std::uint32_t>(i));
            }
        }
        seen_ = next;
        return next;
    }

    void read_header(section s, const record& r) {
        std::vector<std::string> columns(r.fields_.begin(),
                                         r.fields_.begin() + static_cast<std::ptrdiff_t>(r.field_count_));
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (std::find(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(i), columns[i]) !=
                columns.begin() + static_cast<std::ptrdiff_t>(i)) {
                throw pabulib_error(r.line_, columns[i], "column appears twice");
            }
        }
        const auto require = [&](std::string_view name) {
            const auto index = column_index(columns, name);
            if (!index) {
                throw pabulib_error(r.line_, std::string{name},
                                    std::string{"missing required column in "} + section_name(s));
            }
            return *index;
        };
        switch (s) {
        case section::meta:
            // A first row that is not the header would silently be lost as one.
            if (r.field_count_ != 2 || r.field(0) != "key" || r.field(1) != "value") {
                throw pabulib_error(r.line_, "", "META header must be key;value");
            }
            break;
        case section::projects:
            project_id_column_ = require("project_id");
            cost_column_ = require("cost");
            name_column_ = column_index(columns, "name");
            e_.project_columns_ = std::move(columns);
            break;
        case section::votes:
            voter_id_column_ = require("voter_id");
            vote_column_ = require("vote");
            points_column_ = column_index(columns, "points");
            if ((e_.vote_type_ == vote_type::cumulative || e_.vote_type_ == vote_type::scoring) && !points_column_) {
                throw pabulib_error(r.line_, "points",
                                    std::string{"missing required column for "} + to_string(e_.vote_type_) + " votes");
            }
            e_.vote_columns_ = std::move(columns);
            break;
        case section::none: break;
        }
    }

    void read_meta(const record& r) {
        if (r.field_count_ != 2) {
            throw pabulib_error(r.line_, std::string{r.field(0)}, "META row must be key;value");
        }
        const std::string_view key = r.field(0);
        const std::string_view value = r.field(1);
        if (!meta_keys_.insert(std::string{key}).second) {
            throw pabulib_error(r.line_, std::string{key}, "META key appears twice");
        }
        if (key == "budget") {
            const auto budget = parse_amount_minor(value);
            if (!budget) {
                throw pabulib_error(r.line_, "budget", "bad number '" + std::string{value} + "'");
            }
            if (*budget < 0) {
                throw pabulib_error(r.line_, "budget", "negative budget");
            }
            e_.budget_minor_ = *budget;
            budget_seen_ = true;
        } else if (key == "vote_type") {
            const auto type = parse_vote_type(value);
            if (!type) {
                throw pabulib_error(r.line_, "vote_type", "unknown vote type '" + std::string{value} + "'");
            }
            e_.vote_type_ = *type;
            vote_type_seen_ = true;
        }
        if (!derived_meta_key(key)) {
            e_.meta_.emplace_back(key, value);
        }
    }

    void check_width(const record& r, std::size_t expected) const {
        if (r.field_count_ != expected) {
            throw pabulib_error(r.line_, "",
                                "expected " + std::to_string(expected) + " fields, found " +
                                    std::to_string(r.field_count_));
        }
    }

    void read_project(const record& r) {
        check_width(r, e_.project_columns_.size());
        pb_project p;
        p.id_ = r.field(project_id_column_);
        if (p.id_.empty()) {
            throw pabulib_error(r.line_, "project_id", "empty project id");
        }
        if (p.id_.find(',') != std::string::npos) {
            // A vote lists ids separated by commas, so such a project could never be voted for.
            throw pabulib_error(r.line_, "project_id", "project id '" + p.id_ + "' contains ','");
        }
        if (!project_ids_.insert(p.id_).second) {
            throw pabulib_error(r.line_, "project_id", "duplicate project id '" + p.id_ + "'");
        }
        const auto cost = parse_amount_minor(r.field(cost_column_));
        if (!cost) {
            throw pabulib_error(r.line_, "cost", "bad number '" + std::string{r.field(cost_column_)} + "'");
        }
        if (*cost < 0) {
            throw pabulib_error(r.line_, "cost", "negative cost");
        }
        p.cost_minor_ = *cost;
        for (std::size_t i = 0; i < r.field_count_; ++i) {
            if (i == name_column_) {
                p.name_ = r.fields_[i];
            } else if (i != project_id_column_ && i != cost_column_) {
                p.extra_.push_back(r.fields_[i]);
            }
        }
        e_.projects_.push_back(std::move(p));
    }

    // The items of a `,` list; an empty item (a doubled or trailing comma) is skipped, a
    // quirk that pabulib's own tools read the same way.
    void list_items(const record& r, const char* field, std::string_view list, std::vector<std::string_view>& out) {
        out.clear();
        for_each_item(list, [&](std::string_view item) {
            if (trim(item).empty()) {
                quirks_.report(r.line_, field, "empty item in the list, skipped");
                return;
            }
            out.push_back(item);
        });
    }

    // A project id as listed, or else without surrounding spaces (a quirk).
    std::uint32_t project_of(const record& r, std::string_view item) {
        auto it = project_index_.find(item);
        if (it == project_index_.end()) {
            it = project_index_.find(trim(item));
            if (it == project_index_.end()) {
                throw pabulib_error(r.line_, "vote", "unknown project '" + std::string{item} + "'");
            }
            quirks_.report(r.line_, "vote",
                           "spaces around project '" + std::string{trim(item)} + "', read without them");
        }
        return it->second;
    }

    void read_vote_projects(const record& r, pb_vote& v) {
        list_items(r, "vote", r.field(vote_column_), items_);
        listed_.clear();
        for (const std::string_view item : items_) {
            listed_.push_back(project_of(r, item));
        }
        // A project named twice counts once, where it first appears (Warszawa 2022 Wola:
        // the city counted such a ballot once for the project).
        repeated_.assign(listed_.size(), false);
        for (std::size_t i = 0; i < listed_.size(); ++i) {
            if (std::find(listed_.begin(), listed_.begin() + static_cast<std::ptrdiff_t>(i), listed_[i]) !=
                listed_.begin() + static_cast<std::ptrdiff_t>(i)) {
                repeated_[i] = true;
                quirks_.report(r.line_, "vote",
                               "project '" + e_.projects_[listed_[i]].id_ + "' listed twice, counted once");
            } else {
                v.projects_.push_back(listed_[i]);
            }
        }
    }

    void read_vote_points(const record& r, pb_vote& v) {
        list_items(r, "points", r.field(*points_column_), items_);
        if (items_.size() != listed_.size()) {
            throw pabulib_error(r.line_, "points",
                                std::to_string(items_.size()) + " points for " + std::to_string(listed_.size()) +
                                    " projects");
        }
        for (std::size_t i = 0; i < items_.size(); ++i) {
            if (trim(items_[i]).size() != items_[i].size()) {
                quirks_.report(r.line_, "points",
                               "spaces around '" + std::string{trim(items_[i])} + "', read without them");
            }
            const auto points = parse_integer(trim(items_[i]));
            if (!points) {
                throw pabulib_error(r.line_, "points", "bad number '" + std::string{items_[i]} + "'");
            }
            if (*points < 0) {
                throw pabulib_error(r.line_, "points", "negative points");
            }
            if (!repeated_[i]) {
                v.points_.push_back(*points);
            }
        }
    }

    void read_vote(const record& r) {
        check_width(r, e_.vote_columns_.size());
        pb_vote v;
        v.voter_id_ = r.field(voter_id_column_);
        if (!voter_ids_.insert(v.voter_id_).second) {
            throw pabulib_error(r.line_, "voter_id", "duplicate voter id '" + v.voter_id_ + "'");
        }
        read_vote_projects(r, v);
        if (points_column_) {
            read_vote_points(r, v);
        }
        for (std::size_t i = 0; i < r.field_count_; ++i) {
            if (i != voter_id_column_ && i != vote_column_ && i != points_column_) {
                v.extra_.push_back(r.fields_[i]);
            }
        }
        e_.votes_.push_back(std::move(v));
    }

    // Lookups by string_view without building a std::string per vote item.
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    quirks quirks_;
    record_reader reader_;
    election e_;
    section seen_ = section::none;
    bool budget_seen_ = false;
    bool vote_type_seen_ = false;
    std::unordered_set<std::string> meta_keys_;
    std::unordered_set<std::string, string_hash, std::equal_to<>> project_ids_;
    std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> project_index_;
    std::unordered_set<std::string, string_hash, std::equal_to<>> voter_ids_;
    std::size_t project_id_column_ = 0;
    std::size_t cost_column_ = 0;
    std::optional<std::size_t> name_column_;
    std::size_t voter_id_column_ = 0;
    std::size_t vote_column_ = 0;
    std::optional<std::size_t> points_column_;
    // Scratch for one vote, kept to avoid allocating per ballot.
    std::vector<std::string_view> items_;
    std::vector<std::uint32_t> listed_;
    std::vector<bool> repeated_;
};

// --- writer ---

void append_field(std::string& out, std::string_view value) {
    const bool quote =
        value.find_first_of(";\"\r\n") != std::string_view::npos || (!value.empty() && value.front() == '"');
    if (!quote) {
        out.append(value);
        return;
    }
    out.push_back('"');
    for (const char c : value) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

void append_row(std::string& out, const std::vector<std::string_view>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            out.push_back(';');
        }
        append_field(out, fields[i]);
    }
    out.push_back('\n');
}

std::vector<std::string> project_columns_or_default(const election& e) {
    if (!e.project_columns_.empty()) {
        return e.project_columns_;
    }
    return {"project_id", "cost", "name"};
}

std::vector<std::string> vote_columns_or_default(const election& e) {
    if (!e.vote_columns_.empty()) {
        return e.vote_columns_;
    }
    const bool any_points =
        std::any_of(e.votes_.begin(), e.votes_.end(), [](const pb_vote& v) { return !v.points_.empty(); });
    if (any_points || e.vote_type_ == vote_type::cumulative || e.vote_type_ == vote_type::scoring) {
        return {"voter_id", "vote", "points"};
    }
    return {"voter_id", "vote"};
}

void write_meta(std::string& out, const election& e) {
    const std::string num_projects = std::to_string(e.projects_.size());
    const std::string num_votes = std::to_string(e.votes_.size());
    const std::string budget = format_minor(e.budget_minor_);
    const auto write_derived = [&] {
        append_row(out, {"num_projects", num_projects});
        append_row(out, {"num_votes", num_votes});
        append_row(out, {"budget", budget});
        append_row(out, {"vote_type", to_string(e.vote_type_)});
    };
    out.append("META\nkey;value\n");
    // pabulib files put the derived keys just before `rule`; elsewhere they go last.
    bool derived_written = false;
    for (const auto& [key, value] : e.meta_) {
        assert(!derived_meta_key(key));
        if (key == "rule" && !derived_written) {
            write_derived();
            derived_written = true;
        }
        append_row(out, {key, value});
    }
    if (!derived_written) {
        write_derived();
    }
}

void write_projects(std::string& out, const election& e) {
    const std::vector<std::string> columns = project_columns_or_default(e);
    out.append("PROJECTS\n");
    append_row(out, std::vector<std::string_view>(columns.begin(), columns.end()));
    std::vector<std::string_view> row;
    for (const pb_project& p : e.projects_) {
        if (p.id_.find(',') != std::string::npos) {
            throw std::invalid_argument("write_pabulib: project id '" + p.id_ + "' contains ','");
        }
        const std::string cost = format_minor(p.cost_minor_);
        row.clear();
        std::size_t extra = 0;
        for (const std::string& column : columns) {
            if (column == "project_id") {
                row.emplace_back(p.id_);
            } else if (column == "cost") {
                row.emplace_back(cost);
            } else if (column == "name") {
                row.emplace_back(p.name_);
            } else {
                row.emplace_back(extra < p.extra_.size() ? std::string_view{p.extra_[extra]} : std::string_view{});
                ++extra;
            }
        }
        append_row(out, row);
    }
}

void write_votes(std::string& out, const election& e) {
    const std::vector<std::string> columns = vote_columns_or_default(e);
    out.append("VOTES\n");
    append_row(out, std::vector<std::string_view>(columns.begin(), columns.end()));
    std::vector<std::string_view> row;
    std::string vote;
    std::string points;
    for (const pb_vote& v : e.votes_) {
        vote.clear();
        points.clear();
        for (std::size_t i = 0; i < v.projects_.size(); ++i) {
            if (i > 0) {
                vote.push_back(',');
            }
            vote.append(e.projects_.at(v.projects_[i]).id_);
        }
        for (std::size_t i = 0; i < v.points_.size(); ++i) {
            if (i > 0) {
                points.push_back(',');
            }
            points.append(std::to_string(v.points_[i]));
        }
        row.clear();
        std::size_t extra = 0;
        for (const std::string& column : columns) {
            if (column == "voter_id") {
                row.emplace_back(v.voter_id_);
            } else if (column == "vote") {
                row.emplace_back(vote);
            } else if (column == "points") {
                row.emplace_back(points);
            } else {
                row.emplace_back(extra < v.extra_.size() ? std::string_view{v.extra_[extra]} : std::string_view{});
                ++extra;
            }
        }
        append_row(out, row);
    }
}

std::optional<std::int64_t> meta_integer(const election& e, std::string_view key) {
    const std::optional<std::string> value = meta_value(e, key);
    return value ? parse_integer(*value) : std::nullopt;
}

} // namespace

pabulib_error::pabulib_error(std::size_t line, std::string field, const std::string& detail)
    : std::runtime_error{make_message(line, field, detail)}, line_{line}, field_{std::move(field)} {}

std::string pabulib_warning::message() const { return make_message(line_, field_, detail_); }

election parse_pabulib(std::string_view text, const parse_options& options, std::vector<pabulib_warning>& warnings) {
    return parser{text, options, warnings}.run();
}

election parse_pabulib(std::string_view text) {
    std::vector<pabulib_warning> warnings;
    return parse_pabulib(text, {}, warnings);
}

std::optional<std::int64_t> parse_units_minor(std::string_view text) { return parse_amount_minor(text); }

std::optional<std::string> meta_value(const election& e, std::string_view key) {
    for (const auto& [k, value] : e.meta_) {
        if (k == key) {
            return value;
        }
    }
    return std::nullopt;
}

std::string write_pabulib(const election& e) {
    std::string out;
    out.reserve(64 * (e.projects_.size() + e.votes_.size()) + 1024);
    write_meta(out, e);
    write_projects(out, e);
    write_votes(out, e);
    return out;
}

election_input to_election_input(const election& e) {
    election_input input;
    input.budget_minor_ = e.budget_minor_;
    input.projects_.reserve(e.projects_.size());
    for (const pb_project& p : e.projects_) {
        input.projects_.push_back({p.id_, p.cost_minor_});
    }
    std::int64_t ordinal_length = 0;
    if (e.vote_type_ == vote_type::ordinal) {
        const auto max_length = meta_integer(e, "max_length");
        if (max_length && *max_length > 0) {
            ordinal_length = *max_length;
        }
        for (const pb_vote& v : e.votes_) {
            ordinal_length = std::max(ordinal_length, static_cast<std::int64_t>(v.projects_.size()));
        }
    }
    input.ballots_.reserve(e.votes_.size());
    for (const pb_vote& v : e.votes_) {
        ballot b;
        b.entries_.reserve(v.projects_.size());
        for (std::size_t i = 0; i < v.projects_.size(); ++i) {
            std::int64_t points = 1;
            if (!v.points_.empty()) {
                points = v.points_[i];
            } else if (e.vote_type_ == vote_type::ordinal) {
                points = ordinal_length - static_cast<std::int64_t>(i);
            }
            b.entries_.push_back({v.projects_[i], points});
        }
        input.ballots_.push_back(std::move(b));
    }
    return input;
}

const char* to_string(vote_type t) {
    switch (t) {
    case vote_type::approval: return "approval";
    case vote_type::cumulative: return "cumulative";
    case vote_type::scoring: return "scoring";
    case vote_type::ordinal: return "ordinal";
    case vote_type::choose_1: return "choose-1";
    }
    return "approval";
}

} // namespace schwarm::voting
