//! The near misses of every string format: strings that look like a value of the format but
//! break its standard in the way real validators and clients get wrong, with the RFC section
//! that says so, and the valid values the deriver sends beside them.
//!
//! A near miss is `Invalid` when the standard and the suite's validator (`jsonschema`, formats
//! asserted) both refuse it; `Disputed` when they disagree, or when the standard allows what
//! many servers refuse: a server may then answer either way, so the case is unspecified.
//! `date-time` has its own table (`contract::datetimes`), shared with the reference server.
//!
//! The tables are kept out of `rustfmt`'s hands, one entry a line, so they read as tables.

/// How a near miss is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The standard and the validator both refuse it.
    Invalid,
    /// Servers may answer either way.
    Disputed {
        /// Why, as a case title says it.
        reason: &'static str,
        /// Whether the standard allows it (else it is the validator that does).
        rfc_allows: bool,
    },
}

/// A string that looks like a value of its format but is not one, or not surely one.
#[derive(Clone, Copy, Debug)]
pub struct FormatMiss {
    /// The rule part of the derived case id, e.g. `braces`.
    pub id: &'static str,
    /// The string sent.
    pub text: &'static str,
    /// How a case title says it: "a uuid {title}".
    pub title: &'static str,
    /// The standard and section that decide it.
    pub rfc: &'static str,
    pub verdict: Verdict,
}

/// A valid value of a format, as the deriver sends it.
#[derive(Clone, Copy, Debug)]
pub struct FormatExample {
    pub id: &'static str,
    pub text: &'static str,
    pub title: &'static str,
}

#[rustfmt::skip]
const fn bad(id: &'static str, text: &'static str, title: &'static str, rfc: &'static str) -> FormatMiss {
    FormatMiss { id, text, title, rfc, verdict: Verdict::Invalid }
}

const fn disputed(
    id: &'static str,
    text: &'static str,
    title: &'static str,
    rfc: &'static str,
    rfc_allows: bool,
    reason: &'static str,
) -> FormatMiss {
    FormatMiss {
        id,
        text,
        title,
        rfc,
        verdict: Verdict::Disputed { reason, rfc_allows },
    }
}

const fn ok(id: &'static str, text: &'static str, title: &'static str) -> FormatExample {
    FormatExample { id, text, title }
}

/// 64 letters: one more than a DNS label holds (RFC 1034 3.1).
macro_rules! label_64 {
    () => {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    };
}

#[rustfmt::skip]
pub(super) const DATE: &[FormatMiss] = &[
    bad("month_13", "2099-13-01", "in month 13", "RFC 3339 5.6"),
    bad("february_30", "2099-02-30", "on February 30", "RFC 3339 5.7"),
    bad("february_29_common_year", "2099-02-29", "on February 29 of a common year", "RFC 3339 5.7"),
    bad("day_zero", "2099-01-00", "on day 0", "RFC 3339 5.6"),
    bad("one_digit_fields", "2099-1-5", "with one-digit month and day", "RFC 3339 5.6"),
    bad("slashes", "2099/01/02", "with slashes", "RFC 3339 5.6"),
    bad("basic_format", "20990102", "in ISO 8601 basic format", "RFC 3339 5.6"),
    bad("day_first", "02/01/2099", "day first", "RFC 3339 5.6"),
    bad("with_time", "2099-01-02T00:00:00Z", "with a time", "RFC 3339 5.6 full-date"),
    bad("five_digit_year", "12099-01-02", "with a five-digit year", "RFC 3339 5.6"),
    bad("empty", "", "as the empty string", "RFC 3339 5.6"),
];

#[rustfmt::skip]
pub(super) const DATE_OK: &[FormatExample] = &[
    ok("plain", "2099-06-15", "(a plain date)"),
    ok("leap_day", "2096-02-29", "(a leap day)"),
    ok("year_end", "2099-12-31", "(the last day of a year)"),
];

#[rustfmt::skip]
pub(super) const TIME: &[FormatMiss] = &[
    bad("no_offset", "08:30:00", "without an offset", "RFC 3339 5.6 full-time"),
    bad("no_seconds", "08:30Z", "without seconds", "RFC 3339 5.6"),
    bad("hour_24", "24:00:00Z", "at 24:00:00", "RFC 3339 5.6"),
    bad("minute_60", "08:60:00Z", "with minute 60", "RFC 3339 5.6"),
    bad("leap_second_at_noon", "12:00:60Z", "with second 60 at noon UTC", "RFC 3339 5.7"),
    bad("offset_24", "08:30:00+24:00", "with offset +24:00", "RFC 3339 5.6"),
    bad("basic_offset", "08:30:00+0530", "with a basic offset +0530", "RFC 3339 5.6"),
    bad("comma_decimal", "08:30:00,5Z", "with a comma decimal sign", "RFC 3339 5.6"),
    bad("twelve_hour", "8:30 AM", "on a 12-hour clock", "RFC 3339 5.6"),
    bad("empty", "", "as the empty string", "RFC 3339 5.6"),
];

#[rustfmt::skip]
pub(super) const TIME_OK: &[FormatExample] = &[
    ok("utc", "08:30:00Z", "(UTC)"),
    ok("offset", "23:59:59+05:30", "(with an offset)"),
    ok("fraction", "08:30:00.250-07:00", "(with a fraction and a negative offset)"),
];

#[rustfmt::skip]
pub(super) const DURATION: &[FormatMiss] = &[
    bad("p_alone", "P", "with no component (`P`)", "RFC 3339 appendix A"),
    bad("pt_alone", "PT", "with an empty time part (`PT`)", "RFC 3339 appendix A"),
    bad("trailing_t", "P1DT", "ending in `T`", "RFC 3339 appendix A"),
    bad("hours_without_t", "P1H", "with hours before `T`", "RFC 3339 appendix A"),
    bad("fraction", "PT0.5S", "with a fraction (ISO 8601 allows it, RFC 3339 does not)", "RFC 3339 appendix A"),
    bad("lower_case", "p1d", "in lower case", "RFC 3339 appendix A"),
    bad("negative", "-P1D", "with a sign", "RFC 3339 appendix A"),
    bad("weeks_and_days", "P1W2D", "mixing weeks and days", "RFC 3339 appendix A dur-week"),
    bad("wrong_order", "PT1S2M", "with units out of order", "RFC 3339 appendix A"),
    bad("year_and_day", "P1Y2D", "with years and days but no months", "RFC 3339 appendix A dur-year"),
    bad("no_p", "1D", "without the leading `P`", "RFC 3339 appendix A"),
    bad("seconds_number", "3600", "as a number of seconds", "RFC 3339 appendix A"),
];

#[rustfmt::skip]
pub(super) const DURATION_OK: &[FormatExample] = &[
    ok("days", "P3D", "of days"),
    ok("hours_minutes", "PT1H30M", "of hours and minutes"),
    ok("weeks", "P2W", "of weeks"),
    ok("every_unit", "P1Y2M3DT4H5M6S", "with every unit"),
];

#[rustfmt::skip]
pub(super) const EMAIL: &[FormatMiss] = &[
    bad("no_at", "user.example.com", "without `@`", "RFC 5321 4.1.2"),
    bad("two_at", "user@@example.com", "with two `@`", "RFC 5321 4.1.2"),
    bad("domain_trailing_dot", "user@example.com.", "with a trailing dot", "RFC 5321 4.1.2 Domain"),
    bad("local_trailing_dot", "user.@example.com", "with a dot ending the local part", "RFC 5322 3.2.3 dot-atom"),
    bad("local_leading_dot", ".user@example.com", "with a dot starting the local part", "RFC 5322 3.2.3 dot-atom"),
    bad("double_dot", "first..last@example.com", "with two dots in a row", "RFC 5322 3.2.3 dot-atom"),
    bad("space", "user name@example.com", "with an unquoted space", "RFC 5321 4.1.2"),
    bad("non_ascii_local", "usér@example.com", "with a non-ASCII local part (that is `idn-email`)", "RFC 5321 4.1.2"),
    bad("local_over_64", concat!(label_64!(), "a@example.com"), "with a local part over 64 octets", "RFC 5321 4.5.3.1.1"),
    bad("empty_domain", "user@", "without a domain", "RFC 5321 4.1.2"),
    bad("empty", "", "as the empty string", "RFC 5321 4.1.2"),
    disputed(
        "quoted_local",
        "\"user name\"@example.com",
        "with a quoted local part",
        "RFC 5321 4.1.2 Quoted-string",
        true,
        "RFC 5321 allows a quoted local part; many servers refuse it",
    ),
    disputed(
        "address_literal",
        "user@[192.0.2.1]",
        "with an address literal for a domain",
        "RFC 5321 4.1.3",
        true,
        "RFC 5321 allows an address literal; many servers refuse it",
    ),
    disputed(
        "dotless_domain",
        "user@localhost",
        "with a domain without a dot",
        "RFC 5321 4.1.2 Domain",
        true,
        "RFC 5321 allows a one-label domain; many servers demand a dot",
    ),
];

#[rustfmt::skip]
pub(super) const EMAIL_OK: &[FormatExample] = &[
    ok("simple", "user@example.com", "(plain)"),
    ok("plus_tag", "first.last+tag@example.co.uk", "(with a dot and a + tag)"),
    ok("digits_hyphens", "a-b_c9@mail-1.example.org", "(with digits, hyphens and an underscore)"),
];

#[rustfmt::skip]
pub(super) const IDN_EMAIL: &[FormatMiss] = &[
    bad("no_at", "用户例え.テスト", "without `@`", "RFC 6531 3.3"),
    bad("two_at", "用户@@例え.テスト", "with two `@`", "RFC 6531 3.3"),
    bad("space", "用 户@例え.テスト", "with an unquoted space", "RFC 6531 3.3"),
    bad("domain_trailing_dot", "user@bücher.example.", "with a trailing dot", "RFC 6531 3.3"),
    bad("empty", "", "as the empty string", "RFC 6531 3.3"),
];

#[rustfmt::skip]
pub(super) const IDN_EMAIL_OK: &[FormatExample] = &[
    ok("unicode_local", "用户@例え.テスト", "(Unicode throughout)"),
    ok("unicode_domain", "user@bücher.example", "(with a Unicode domain)"),
    ok("ascii", "user@example.com", "(ASCII)"),
];

#[rustfmt::skip]
pub(super) const HOSTNAME: &[FormatMiss] = &[
    bad("label_over_63", concat!(label_64!(), ".example.com"), "with a label over 63 octets", "RFC 1034 3.1"),
    bad("leading_hyphen", "-example.com", "with a leading hyphen", "RFC 1123 2.1"),
    bad("trailing_hyphen", "example-.com", "with a label ending in a hyphen", "RFC 1123 2.1"),
    bad("underscore", "my_host.example.com", "with an underscore", "RFC 1123 2.1"),
    bad("empty_label", "example..com", "with an empty label", "RFC 1034 3.1"),
    bad("space", "exa mple.com", "with a space", "RFC 1123 2.1"),
    bad("url", "https://example.com", "as a URL", "RFC 1123 2.1"),
    bad("with_port", "example.com:8080", "with a port", "RFC 1123 2.1"),
    bad("u_label", "bücher.example", "in Unicode (that is `idn-hostname`)", "RFC 5890 2.3.2.1"),
    bad("empty", "", "as the empty string", "RFC 1034 3.1"),
    disputed(
        "trailing_dot",
        "example.com.",
        "with a trailing dot (an absolute name)",
        "RFC 1034 3.1",
        true,
        "RFC 1034 writes an absolute name with a trailing dot; JSON Schema validators refuse it",
    ),
    disputed(
        "hyphens_3_4",
        "ab--cd.example",
        "with hyphens in the third and fourth positions",
        "RFC 5891 4.2.3.1",
        true,
        "RFC 1123 allows it; RFC 5891 reserves it for A-labels and jsonschema refuses it",
    ),
];

#[rustfmt::skip]
pub(super) const HOSTNAME_OK: &[FormatExample] = &[
    ok("simple", "example.com", "(two labels)"),
    ok("single_label", "localhost", "(one label)"),
    ok("hyphens_digits", "api-2.eu-west-1.example.net", "(with hyphens and digits)"),
    ok("a_label", "xn--bcher-kva.example", "(with a punycode A-label)"),
];

#[rustfmt::skip]
pub(super) const IDN_HOSTNAME: &[FormatMiss] = &[
    bad("leading_hyphen", "-bücher.example", "with a leading hyphen", "RFC 5891 4.2.3.1"),
    bad("label_over_63", concat!(label_64!(), ".bücher.example"), "with a label over 63 octets", "RFC 5890 2.3.2.1"),
    bad("space", "bü cher.example", "with a space", "RFC 5891 4.2.3"),
    bad("empty_label", "bücher..example", "with an empty label", "RFC 5890 2.3.2.1"),
    bad("underscore", "bü_cher.example", "with an underscore", "RFC 5892 2.6"),
    bad("symbol", "☃.example", "with a symbol (DISALLOWED)", "RFC 5892 2.6"),
    bad("empty", "", "as the empty string", "RFC 5890 2.3.2.1"),
];

#[rustfmt::skip]
pub(super) const IDN_HOSTNAME_OK: &[FormatExample] = &[
    ok("u_label", "bücher.example", "(with a U-label)"),
    ok("japanese", "例え.テスト", "(in Japanese)"),
    ok("ascii", "example.com", "(ASCII)"),
];

#[rustfmt::skip]
pub(super) const IPV4: &[FormatMiss] = &[
    bad("leading_zero", "192.168.01.1", "with a leading zero (read as octal by inet_aton)", "RFC 3986 3.2.2 dec-octet"),
    bad("octet_256", "256.1.1.1", "with an octet of 256", "RFC 2673 3.2"),
    bad("three_parts", "192.168.1", "with three parts", "RFC 2673 3.2"),
    bad("five_parts", "1.2.3.4.5", "with five parts", "RFC 2673 3.2"),
    bad("cidr", "192.168.1.0/24", "with a prefix length", "RFC 2673 3.2"),
    bad("with_port", "192.168.1.1:80", "with a port", "RFC 2673 3.2"),
    bad("trailing_dot", "1.2.3.4.", "with a trailing dot", "RFC 2673 3.2"),
    bad("leading_space", " 1.2.3.4", "with a leading space", "RFC 2673 3.2"),
    bad("hex", "0x7f.0.0.1", "with a hexadecimal part", "RFC 2673 3.2"),
    bad("integer", "3232235777", "as one integer", "RFC 2673 3.2"),
    bad("arabic_digits", "١٢٧.0.0.1", "with Arabic-Indic digits", "RFC 2673 3.2"),
    bad("empty", "", "as the empty string", "RFC 2673 3.2"),
];

#[rustfmt::skip]
pub(super) const IPV4_OK: &[FormatExample] = &[
    ok("private", "192.168.1.10", "(private)"),
    ok("zeros", "0.0.0.0", "(all zeros)"),
    ok("broadcast", "255.255.255.255", "(broadcast)"),
];

#[rustfmt::skip]
pub(super) const IPV6: &[FormatMiss] = &[
    bad("zone_id", "fe80::1%eth0", "with a zone id (RFC 4007's, not an address)", "RFC 4291 2.2"),
    bad("two_compressions", "2001:db8::1::1", "with `::` twice", "RFC 4291 2.2"),
    bad("nine_groups", "1:2:3:4:5:6:7:8:9", "with nine groups", "RFC 4291 2.2"),
    bad("five_digit_group", "2001:db8::12345", "with a five-digit group", "RFC 4291 2.2"),
    bad("brackets", "[::1]", "in brackets (a URI's form)", "RFC 4291 2.2"),
    bad("non_hex", "2001:db8::g", "with a non-hex digit", "RFC 4291 2.2"),
    bad("prefix", "2001:db8::/32", "with a prefix length", "RFC 4291 2.2"),
    bad("triple_colon", ":::1", "with three colons", "RFC 4291 2.2"),
    bad("bad_ipv4_tail", "::ffff:192.0.2.256", "with an embedded IPv4 octet of 256", "RFC 4291 2.2"),
    bad("empty", "", "as the empty string", "RFC 4291 2.2"),
];

#[rustfmt::skip]
pub(super) const IPV6_OK: &[FormatExample] = &[
    ok("loopback", "::1", "(loopback)"),
    ok("full", "2001:0db8:0000:0000:0000:ff00:0042:8329", "(all eight groups)"),
    ok("compressed", "2001:db8::ff00:42:8329", "(compressed)"),
    ok("ipv4_mapped", "::ffff:192.0.2.1", "(IPv4-mapped)"),
    ok("upper_case", "2001:DB8::1", "(upper case)"),
];

#[rustfmt::skip]
pub(super) const URI: &[FormatMiss] = &[
    bad("space", "https://example.com/a b", "with a space", "RFC 3986 2"),
    bad("relative", "/path/only", "that is relative (no scheme)", "RFC 3986 4.3"),
    bad("no_scheme", "example.com/path", "without a scheme", "RFC 3986 3"),
    bad("scheme_digit", "1http://example.com", "with a scheme starting with a digit", "RFC 3986 3.1"),
    bad("bad_percent", "https://example.com/%zz", "with a bad percent escape", "RFC 3986 2.1"),
    bad("non_ascii", "https://example.com/ü", "with a non-ASCII character (that is an IRI)", "RFC 3986 2"),
    bad("backslash", "https:\\\\example.com", "with backslashes", "RFC 3986 2"),
    bad("braces", "https://example.com/{id}", "with braces (a template)", "RFC 3986 2"),
    bad("two_fragments", "https://example.com/#a#b", "with two `#`", "RFC 3986 3.5"),
    bad("port_letters", "http://example.com:80a/", "with letters in the port", "RFC 3986 3.2.3"),
    bad("empty", "", "as the empty string", "RFC 3986 3"),
];

#[rustfmt::skip]
pub(super) const URI_OK: &[FormatExample] = &[
    ok("https", "https://example.com/path?q=1#top", "(https with a query and a fragment)"),
    ok("urn", "urn:isbn:0451450523", "(a URN)"),
    ok("mailto", "mailto:user@example.com", "(mailto)"),
    ok("percent", "https://example.com/a%20b", "(with a percent escape)"),
    ok("ipv6_host", "http://[2001:db8::1]:8080/", "(with an IPv6 host and a port)"),
];

#[rustfmt::skip]
pub(super) const URI_REFERENCE: &[FormatMiss] = &[
    bad("space", "/a b", "with a space", "RFC 3986 4.1"),
    bad("bad_percent", "/%zz", "with a bad percent escape", "RFC 3986 2.1"),
    bad("backslash", "\\\\server\\share", "as a Windows path", "RFC 3986 4.1"),
    bad("braces", "/{id}", "with braces", "RFC 3986 4.1"),
    bad("non_ascii", "/ü", "with a non-ASCII character", "RFC 3986 4.1"),
    bad("two_fragments", "#a#b", "with two `#`", "RFC 3986 3.5"),
];

#[rustfmt::skip]
pub(super) const URI_REFERENCE_OK: &[FormatExample] = &[
    ok("absolute", "https://example.com/a", "(absolute)"),
    ok("path", "/users/42?x=1", "(an absolute path with a query)"),
    ok("fragment", "#section", "(a fragment)"),
    ok("relative", "../a/b", "(a relative path)"),
];

#[rustfmt::skip]
pub(super) const IRI: &[FormatMiss] = &[
    bad("space", "https://example.com/ü b", "with a space", "RFC 3987 2.2"),
    bad("relative", "/über", "that is relative (no scheme)", "RFC 3987 2.2"),
    bad("bad_percent", "https://example.com/%zz", "with a bad percent escape", "RFC 3987 2.2"),
    bad("braces", "https://example.com/{ü}", "with braces", "RFC 3987 2.2"),
    bad("empty", "", "as the empty string", "RFC 3987 2.2"),
];

#[rustfmt::skip]
pub(super) const IRI_OK: &[FormatExample] = &[
    ok("unicode_path", "https://example.com/über", "(with a Unicode path)"),
    ok("unicode_host", "https://例え.テスト/パス", "(with a Unicode host)"),
    ok("ascii", "https://example.com/a?b=c", "(ASCII)"),
];

#[rustfmt::skip]
pub(super) const IRI_REFERENCE: &[FormatMiss] = &[
    bad("space", "/ü b", "with a space", "RFC 3987 2.2"),
    bad("bad_percent", "/%zz", "with a bad percent escape", "RFC 3987 2.2"),
    bad("braces", "/{ü}", "with braces", "RFC 3987 2.2"),
    bad("backslash", "\\\\ü", "with backslashes", "RFC 3987 2.2"),
];

#[rustfmt::skip]
pub(super) const IRI_REFERENCE_OK: &[FormatExample] = &[
    ok("absolute", "https://example.com/über", "(absolute)"),
    ok("relative", "../über/a", "(a relative path)"),
    ok("fragment", "#façade", "(a fragment)"),
];

#[rustfmt::skip]
pub(super) const URI_TEMPLATE: &[FormatMiss] = &[
    bad("unclosed", "/users/{id", "with an unclosed expression", "RFC 6570 2.2"),
    bad("stray_close", "/users/id}", "with a stray `}`", "RFC 6570 2.1"),
    bad("empty_expression", "/users/{}", "with an empty expression", "RFC 6570 2.2"),
    bad("space_in_name", "/users/{a b}", "with a space in a variable name", "RFC 6570 2.3"),
    bad("nested", "/users/{{id}}", "with nested braces", "RFC 6570 2.2"),
    bad("prefix_zero", "/users/{id:0}", "with a prefix length of 0", "RFC 6570 2.4.1"),
    bad("prefix_too_long", "/users/{id:10000}", "with a prefix length over 9999", "RFC 6570 2.4.1"),
];

#[rustfmt::skip]
pub(super) const URI_TEMPLATE_OK: &[FormatExample] = &[
    ok("simple", "https://example.com/users/{id}", "(one variable)"),
    ok("query", "/search{?q,page}", "(a query expansion)"),
    ok("reserved", "{+base}/items{/id*}", "(reserved and exploded expansions)"),
    ok("prefix", "/users/{name:3}", "(a prefix modifier)"),
    ok("literal", "/no/expressions", "(no expression)"),
];

#[rustfmt::skip]
pub(super) const UUID: &[FormatMiss] = &[
    bad("braces", "{3f2c8a4e-6b1d-4c9e-8f7a-2d5b9e0c1a47}", "in braces (the Microsoft GUID form)", "RFC 9562 4"),
    bad("no_hyphens", "3f2c8a4e6b1d4c9e8f7a2d5b9e0c1a47", "without hyphens", "RFC 9562 4"),
    bad("urn", "urn:uuid:3f2c8a4e-6b1d-4c9e-8f7a-2d5b9e0c1a47", "as a URN", "RFC 9562 4"),
    bad("short", "3f2c8a4e-6b1d-4c9e-8f7a-2d5b9e0c1a4", "one digit short", "RFC 9562 4"),
    bad("non_hex", "3f2c8a4e-6b1d-4c9e-8f7a-2d5b9e0c1a4g", "with a non-hex digit", "RFC 9562 4"),
    bad("misplaced_hyphens", "3f2c8a4e6-b1d-4c9e-8f7a-2d5b9e0c1a47", "with hyphens misplaced", "RFC 9562 4"),
    bad("leading_space", " 3f2c8a4e-6b1d-4c9e-8f7a-2d5b9e0c1a47", "with a leading space", "RFC 9562 4"),
    bad("empty", "", "as the empty string", "RFC 9562 4"),
    disputed(
        "unknown_version",
        "3f2c8a4e-6b1d-fc9e-8f7a-2d5b9e0c1a47",
        "of version 15 (reserved)",
        "RFC 9562 4.2",
        true,
        "the syntax takes any hex digit; a server that wants a given version refuses it",
    ),
];

#[rustfmt::skip]
pub(super) const UUID_OK: &[FormatExample] = &[
    ok("v4", "3f2c8a4e-6b1d-4c9e-8f7a-2d5b9e0c1a47", "(version 4)"),
    ok("v7", "01890a5d-ac96-774b-bcce-b302099a8057", "(version 7)"),
    ok("nil", "00000000-0000-0000-0000-000000000000", "(the nil UUID)"),
    ok("max", "ffffffff-ffff-ffff-ffff-ffffffffffff", "(the max UUID)"),
    ok("upper_case", "3F2C8A4E-6B1D-4C9E-8F7A-2D5B9E0C1A47", "(upper case, which RFC 9562 4 accepts)"),
];

#[rustfmt::skip]
pub(super) const JSON_POINTER: &[FormatMiss] = &[
    bad("no_leading_slash", "users/0", "without a leading `/`", "RFC 6901 3"),
    bad("bad_escape", "/a~2b", "with the escape `~2`", "RFC 6901 3"),
    bad("trailing_tilde", "/a~", "ending in `~`", "RFC 6901 3"),
    bad("fragment_form", "#/users/0", "in URI fragment form", "RFC 6901 6"),
];

#[rustfmt::skip]
pub(super) const JSON_POINTER_OK: &[FormatExample] = &[
    ok("whole_document", "", "(the whole document)"),
    ok("path", "/users/0/name", "(a path)"),
    ok("escaped", "/a~1b/c~0d", "(with escapes)"),
    ok("empty_token", "/", "(an empty token)"),
];

#[rustfmt::skip]
pub(super) const RELATIVE_JSON_POINTER: &[FormatMiss] = &[
    bad("leading_zero", "01/a", "with a leading zero", "draft-bhutton-relative-json-pointer-00 3"),
    bad("negative", "-1/a", "with a minus sign", "draft-bhutton-relative-json-pointer-00 3"),
    bad("absolute", "/a", "as an absolute pointer", "draft-bhutton-relative-json-pointer-00 3"),
    bad("hash_then_path", "0#/a", "with a path after `#`", "draft-bhutton-relative-json-pointer-00 3"),
    bad("plus_sign", "+1", "with a plus sign", "draft-bhutton-relative-json-pointer-00 3"),
    bad("empty", "", "as the empty string", "draft-bhutton-relative-json-pointer-00 3"),
];

#[rustfmt::skip]
pub(super) const RELATIVE_JSON_POINTER_OK: &[FormatExample] = &[
    ok("zero", "0", "(the current value)"),
    ok("up_then_down", "1/name", "(up one, then down)"),
    ok("key", "0#", "(the current key)"),
    ok("deep", "2/items/0", "(up two, then down two)"),
];

#[rustfmt::skip]
pub(super) const REGEX: &[FormatMiss] = &[
    bad("unclosed_group", "(abc", "with an unclosed group", "ECMA-262 22.2.1"),
    bad("unclosed_class", "[a-z", "with an unclosed class", "ECMA-262 22.2.1"),
    bad("reversed_range", "a{2,1}", "with a reversed repetition range", "ECMA-262 22.2.1.1"),
    bad("nothing_to_repeat", "*a", "with nothing to repeat", "ECMA-262 22.2.1"),
    bad("trailing_backslash", "abc\\", "ending in a backslash", "ECMA-262 22.2.1"),
    bad("python_named_group", "(?P<name>a)", "with Python's named group syntax", "ECMA-262 22.2.1"),
    bad("possessive", "a++", "with a possessive quantifier (PCRE's)", "ECMA-262 22.2.1"),
];

#[rustfmt::skip]
pub(super) const REGEX_OK: &[FormatExample] = &[
    ok("anchored", "^[a-z]+$", "(anchored)"),
    ok("digits", "\\d{3}-\\d{4}", "(with classes and counts)"),
    ok("alternation", "(foo|bar)?baz", "(with an alternation)"),
    ok("empty", "", "(the empty pattern)"),
];

#[rustfmt::skip]
pub(super) const BYTE: &[FormatMiss] = &[
    bad("missing_padding", "aGVsbG8", "without its padding", "RFC 4648 3.2"),
    bad("extra_padding", "aGVsbG8==", "with too much padding", "RFC 4648 3.2"),
    bad("url_alphabet", "-_8=", "in the URL-safe alphabet (that is base64url)", "RFC 4648 5"),
    bad("space", "aGVs bG8=", "with a space", "RFC 4648 3.3"),
    bad("line_break", "aGVs\nbG8=", "with a line break (MIME's, RFC 2045)", "RFC 4648 3.3"),
    bad("padding_inside", "aG=sbG8=", "with padding inside", "RFC 4648 3.2"),
    bad("not_alphabet", "aGVsbG8*", "with a character outside the alphabet", "RFC 4648 4"),
    disputed(
        "nonzero_pad_bits",
        "YR==",
        "with non-zero pad bits",
        "RFC 4648 3.5",
        true,
        "RFC 4648 lets a decoder accept or refuse non-zero pad bits",
    ),
];

#[rustfmt::skip]
pub(super) const BYTE_OK: &[FormatExample] = &[
    ok("hello", "aGVsbG8=", "(one padding character)"),
    ok("two_padding", "YQ==", "(two padding characters)"),
    ok("no_padding", "YWJj", "(no padding)"),
    ok("plus_slash", "+/8=", "(with `+` and `/`)"),
    ok("empty", "", "(no bytes)"),
];
