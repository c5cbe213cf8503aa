//! The rules of `tests/fixtures/junit-10-relaxed.xsd`, checked in-process with roxmltree, so the
//! JUnit tests need nothing installed. `xmllint` stays a second opinion where it is on PATH.
//!
//! Read off the XSD, declaration by declaration: which elements may be the root (every global
//! one), which children each element allows and in what order, which attributes it allows or
//! requires, where text may stand, and the `SUREFIRE_TIME` pattern. The table-driven tests at the
//! bottom pin every rule, and check each verdict against xmllint when it is there.
//!
//! Where it departs from xmllint: a report must be UTF-8 (the writer's only encoding);
//! `xsi:type` and `xsi:nil` are refused rather than interpreted; and whitespace written as a
//! CDATA section between elements passes, as the XSD spec says, where libxml2 refuses it.
//! No pure-Rust XSD validator could stand in: `xmlschema` 0.0.14, the only one found on
//! crates.io, accepts unknown attributes, text in element-only content and a namespaced root,
//! and refuses every `<testcase>` that lacks one of its nine kinds of child.

use std::sync::LazyLock;

use regex::Regex;

/// What an element may hold, in the XSD's terms.
#[derive(Clone, Copy)]
enum Content {
    /// Element-only: these children, any number, in any order; text only as whitespace.
    Children(&'static [&'static str]),
    /// Mixed with no particle: text, no child elements.
    Text,
    /// `rerunType`: mixed, then `stackTrace?`, `system-out?`, `system-err?` in this order.
    Rerun,
    /// A complex type with no content: no children, no text, not even whitespace.
    Empty,
}

#[derive(Clone, Copy, PartialEq)]
enum Type {
    String,
    SurefireTime,
}

struct Attr {
    name: &'static str,
    required: bool,
    ty: Type,
}

struct Decl {
    name: &'static str,
    attrs: &'static [Attr],
    content: Content,
}

const fn opt(name: &'static str) -> Attr {
    Attr {
        name,
        required: false,
        ty: Type::String,
    }
}

const fn req(name: &'static str) -> Attr {
    Attr {
        name,
        required: true,
        ty: Type::String,
    }
}

const fn time(name: &'static str) -> Attr {
    Attr {
        name,
        required: false,
        ty: Type::SurefireTime,
    }
}

const TYPE_MESSAGE: &[Attr] = &[opt("type"), opt("message")];
const RERUN: &[Attr] = &[opt("message"), req("type")];

/// The global element declarations, in the XSD's order; any of them may be a document's root.
const GLOBAL: &[Decl] = &[
    Decl {
        name: "failure",
        attrs: TYPE_MESSAGE,
        content: Content::Text,
    },
    Decl {
        name: "error",
        attrs: TYPE_MESSAGE,
        content: Content::Text,
    },
    Decl {
        name: "skipped",
        attrs: TYPE_MESSAGE,
        content: Content::Text,
    },
    Decl {
        name: "properties",
        attrs: &[],
        content: Content::Children(&["property"]),
    },
    Decl {
        name: "property",
        attrs: &[req("name"), req("value")],
        content: Content::Empty,
    },
    Decl {
        name: "system-err",
        attrs: &[],
        content: Content::Text,
    },
    Decl {
        name: "system-out",
        attrs: &[],
        content: Content::Text,
    },
    Decl {
        name: "rerunFailure",
        attrs: RERUN,
        content: Content::Rerun,
    },
    Decl {
        name: "rerunError",
        attrs: RERUN,
        content: Content::Rerun,
    },
    Decl {
        name: "flakyFailure",
        attrs: RERUN,
        content: Content::Rerun,
    },
    Decl {
        name: "flakyError",
        attrs: RERUN,
        content: Content::Rerun,
    },
    Decl {
        name: "testcase",
        attrs: &[req("name"), opt("time"), opt("classname"), opt("group")],
        content: Content::Children(&[
            "skipped",
            "error",
            "failure",
            "rerunFailure",
            "rerunError",
            "flakyFailure",
            "flakyError",
            "system-out",
            "system-err",
        ]),
    },
    Decl {
        name: "testsuite",
        attrs: &[
            req("name"),
            req("tests"),
            req("failures"),
            req("errors"),
            opt("group"),
            time("time"),
            opt("skipped"),
            opt("timestamp"),
            opt("hostname"),
            opt("id"),
            opt("package"),
            opt("file"),
            opt("log"),
            opt("url"),
            opt("version"),
        ],
        content: Content::Children(&[
            "testsuite",
            "properties",
            "testcase",
            "system-out",
            "system-err",
        ]),
    },
    Decl {
        name: "testsuites",
        attrs: &[
            opt("name"),
            time("time"),
            opt("tests"),
            opt("failures"),
            opt("errors"),
            opt("skipped"),
            opt("timestamp"),
            opt("uuid"),
        ],
        content: Content::Children(&["testsuite"]),
    },
];

/// `rerunType`'s local elements, all `xs:string`, in the order the sequence wants them.
const RERUN_CHILDREN: &[&str] = &["stackTrace", "system-out", "system-err"];

/// A local `xs:string` element: text only, no attributes.
const LOCAL_STRING: Decl = Decl {
    name: "",
    attrs: &[],
    content: Content::Text,
};

/// The namespace of `xsi:` attributes, which a validator reads rather than checks.
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// `SUREFIRE_TIME`'s pattern; an XSD pattern matches the whole value.
static SUREFIRE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?)$").unwrap()
});

fn global(name: &str) -> Option<&'static Decl> {
    GLOBAL.iter().find(|d| d.name == name)
}

/// Every way `xml` breaks the XSD (empty when it validates), each with the element's path.
pub fn problems(xml: &str) -> Vec<String> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = match roxmltree::Document::parse_with_options(xml, options) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("not well-formed XML 1.0: {e}")],
    };
    if let Some(bad) = bad_char_ref(xml) {
        return vec![format!("not well-formed XML 1.0: {bad}")];
    }
    let mut out = Vec::new();
    let root = doc.root_element();
    let path = format!("/{}", root.tag_name().name());
    match (root.tag_name().namespace(), global(root.tag_name().name())) {
        (Some(ns), _) => out.push(format!(
            "{path}: an element in namespace {ns}, but the XSD has no target namespace"
        )),
        (None, Some(decl)) => element(root, decl, &path, &mut out),
        (None, None) => out.push(format!(
            "{path}: not a global element of the XSD, so it cannot be the root"
        )),
    }
    out
}

fn element(node: roxmltree::Node, decl: &Decl, path: &str, out: &mut Vec<String>) {
    attributes(node, decl, path, out);
    let children: Vec<roxmltree::Node> = node.children().filter(|c| c.is_element()).collect();
    let text: String = node
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    // Children are named by their place among their same-named siblings, as XPath does.
    let child_path = |child: &roxmltree::Node| {
        let name = child.tag_name().name();
        let n = children
            .iter()
            .take_while(|c| c.id() != child.id())
            .filter(|c| c.tag_name().name() == name)
            .count();
        format!("{path}/{name}[{}]", n + 1)
    };
    for child in &children {
        if child.tag_name().namespace().is_some() {
            out.push(format!(
                "{}: an element in namespace {}, but the XSD has no target namespace",
                child_path(child),
                child.tag_name().namespace().unwrap_or_default()
            ));
        }
    }
    match decl.content {
        Content::Children(allowed) => {
            if !text.chars().all(is_xml_space) {
                out.push(format!("{path}: text in element-only content: {text:?}"));
            }
            for child in &children {
                let name = child.tag_name().name();
                if child.tag_name().namespace().is_some() {
                    continue;
                }
                if allowed.contains(&name) {
                    let decl = global(name).expect("every allowed child is declared globally");
                    element(*child, decl, &child_path(child), out);
                } else {
                    out.push(format!(
                        "{}: <{name}> is not allowed in <{}> (allowed: {})",
                        child_path(child),
                        decl.name,
                        allowed.join(", ")
                    ));
                }
            }
        }
        Content::Text => {
            for child in &children {
                out.push(format!(
                    "{}: <{}> holds text only, no elements",
                    child_path(child),
                    node.tag_name().name()
                ));
            }
        }
        Content::Empty => {
            if !children.is_empty() || !text.is_empty() {
                out.push(format!(
                    "{path}: <{}> must be empty (no elements, no text, not even whitespace)",
                    decl.name
                ));
            }
        }
        Content::Rerun => {
            // A strictly increasing position in the sequence: each at most once, in order.
            let mut next = 0;
            for child in &children {
                let name = child.tag_name().name();
                if child.tag_name().namespace().is_some() {
                    continue;
                }
                match RERUN_CHILDREN.iter().position(|c| *c == name) {
                    Some(i) if i >= next => {
                        next = i + 1;
                        element(*child, &LOCAL_STRING, &child_path(child), out);
                    }
                    _ => out.push(format!(
                        "{}: <{name}> is not allowed here in <{}>, which takes {} once each, in \
                         this order",
                        child_path(child),
                        decl.name,
                        RERUN_CHILDREN.join(", ")
                    )),
                }
            }
        }
    }
}

fn attributes(node: roxmltree::Node, decl: &Decl, path: &str, out: &mut Vec<String>) {
    for attr in node.attributes() {
        match attr.namespace() {
            // Only the schema-location hints are read without a declaration; `xsi:type` and
            // `xsi:nil` would change the rules, and no JUnit writer needs them.
            Some(XSI) if matches!(attr.name(), "schemaLocation" | "noNamespaceSchemaLocation") => {
                continue
            }
            Some(ns) => {
                out.push(format!(
                    "{path}/@{}: an attribute in namespace {ns} is not declared",
                    attr.name()
                ));
                continue;
            }
            None => {}
        }
        let Some(declared) = decl.attrs.iter().find(|a| a.name == attr.name()) else {
            let allowed: Vec<&str> = decl.attrs.iter().map(|a| a.name).collect();
            out.push(format!(
                "{path}/@{}: unknown attribute (allowed: {})",
                attr.name(),
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ));
            continue;
        };
        if declared.ty == Type::SurefireTime && !SUREFIRE_TIME.is_match(attr.value()) {
            out.push(format!(
                "{path}/@{}: {:?} is not a SUREFIRE_TIME (digits with optional thousands \
                 commas, then at most three decimals)",
                attr.name(),
                attr.value()
            ));
        }
    }
    for required in decl.attrs.iter().filter(|a| a.required) {
        if node.attribute(required.name).is_none() {
            out.push(format!(
                "{path}: missing required attribute `{}`",
                required.name
            ));
        }
    }
}

/// A character reference to a surrogate or past U+10FFFF, which roxmltree reads as U+FFFD but
/// XML 1.0 forbids. Comments, CDATA sections and processing instructions hold no references.
fn bad_char_ref(xml: &str) -> Option<String> {
    const LITERAL: &[(&str, &str)] = &[("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")];
    let mut at = 0;
    while let Some(found) = xml[at..].find(['<', '&']) {
        at += found;
        let rest = &xml[at..];
        if let Some((_, end)) = LITERAL.iter().find(|(start, _)| rest.starts_with(start)) {
            at += rest.find(end).map_or(rest.len(), |e| e + end.len());
            continue;
        }
        at += 1;
        let Some(reference) = rest.strip_prefix("&#") else {
            continue;
        };
        let body = &reference[..reference.find(';')?];
        let code = match body.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => body.parse(),
        };
        if !code.ok().and_then(char::from_u32).is_some_and(is_xml_char) {
            return Some(format!("&#{body}; is not an XML 1.0 character"));
        }
    }
    None
}

/// The XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..
    )
}

/// The XML `S` production: what element-only content may hold between elements.
fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `(what, document, None if it validates or Some(part of the problem))`. Each invalid document
/// breaks one rule of the XSD; `the_table_agrees_with_xmllint` checks every verdict.
const TABLE: &[(&str, &str, Option<&str>)] = &[
    ("the smallest report", "<testsuites/>", None),
    (
        "every element and attribute the XSD declares",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="n" tests="2" failures="1" errors="0" time="0.012" skipped="0" timestamp="t" uuid="u">
  <testsuite name="s" tests="2" failures="1" errors="0" time="1,234.5" skipped="0" timestamp="t"
      hostname="h" id="1" package="p" file="f" log="l" url="u" version="v" group="g">
    <properties><property name="a" value="b"/><property name="c" value=""/></properties>
    <testcase name="c" classname="k" time="0.001" group="g">
      <failure type="t" message="m">text</failure><error/><skipped message="m"/>
      <system-out>o</system-out><system-err>e</system-err><system-out/>
    </testcase>
    <testcase name="d">
      <rerunFailure type="x" message="y">t<stackTrace>s</stackTrace>t<system-out>o</system-out><system-err/></rerunFailure>
      <rerunError type="x"/><flakyFailure type="x"><system-err/></flakyFailure><flakyError type="z"/>
    </testcase>
    <testsuite name="inner" tests="0" failures="0" errors="0"/>
    <properties/>
    <system-out>x</system-out><system-err/>
  </testsuite>
</testsuites>"#,
        None,
    ),
    (
        "comments, a processing instruction, CDATA, a doctype, an entity, a schema hint",
        "\u{feff}<!DOCTYPE testsuites [<!ENTITY e \"x\">]>\n<!-- c -->\n<testsuites name=\"&e;&#x1F600;\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:noNamespaceSchemaLocation=\"junit.xsd\"><?pi x?><!-- c -->\
         <testsuite name=\"s\" tests=\"1\" failures=\"1\" errors=\"0\"><testcase name=\"c\">\
         <failure><![CDATA[<not markup> & \u{85}]]></failure></testcase></testsuite></testsuites>",
        None,
    ),
    ("a <testsuite> as the root", r#"<testsuite name="s" tests="0" failures="0" errors="0"/>"#, None),
    (
        "times the pattern allows",
        r#"<testsuites time=""><testsuite name="s" tests="0" failures="0" errors="0" time="12345.6"/><testsuite name="s" tests="0" failures="0" errors="0" time="."/><testsuite name="s" tests="0" failures="0" errors="0" time="1,2345,678"/></testsuites>"#,
        None,
    ),
    ("a testcase's time is any string", r#"<testcase name="c" time="soon"/>"#, None),
    // Unknown elements.
    ("an unknown element", "<testsuites><suite/></testsuites>", Some("<suite> is not allowed in <testsuites>")),
    ("an unknown element in a testcase", r#"<testcase name="c"><output/></testcase>"#, Some("<output> is not allowed in <testcase>")),
    ("an unknown root", "<report/>", Some("not a global element")),
    ("a local element as the root", "<stackTrace/>", Some("not a global element")),
    ("an element in a namespace", r#"<testsuites xmlns="urn:junit"/>"#, Some("namespace urn:junit")),
    // Misplaced elements.
    ("a <property> inside <testcase>", r#"<testcase name="c"><property name="a" value="b"/></testcase>"#, Some("<property> is not allowed in <testcase>")),
    ("<properties> inside <testcase>", r#"<testcase name="c"><properties/></testcase>"#, Some("<properties> is not allowed in <testcase>")),
    ("a <testcase> inside <testcase>", r#"<testcase name="c"><testcase name="d"/></testcase>"#, Some("<testcase> is not allowed in <testcase>")),
    ("a <failure> straight in <testsuite>", r#"<testsuite name="s" tests="0" failures="0" errors="0"><failure/></testsuite>"#, Some("<failure> is not allowed in <testsuite>")),
    ("a <testcase> straight in <testsuites>", r#"<testsuites><testcase name="c"/></testsuites>"#, Some("<testcase> is not allowed in <testsuites>")),
    ("<testsuites> in <testsuites>", "<testsuites><testsuites/></testsuites>", Some("<testsuites> is not allowed in <testsuites>")),
    ("an element in <failure>", "<failure><b/></failure>", Some("<failure> holds text only")),
    ("an element in <system-out>", "<system-out><b/></system-out>", Some("<system-out> holds text only")),
    ("a rerun's children out of order", r#"<rerunFailure type="t"><system-out/><stackTrace/></rerunFailure>"#, Some("<stackTrace> is not allowed here")),
    ("a rerun's child twice", r#"<flakyError type="t"><system-err/><system-err/></flakyError>"#, Some("<system-err> is not allowed here")),
    // Text where the XSD allows none.
    ("text in <testsuites>", "<testsuites>x</testsuites>", Some("text in element-only content")),
    ("text in <testsuite>", r#"<testsuite name="s" tests="0" failures="0" errors="0">x</testsuite>"#, Some("text in element-only content")),
    ("text in <testcase>", r#"<testcase name="c">passed</testcase>"#, Some("text in element-only content")),
    ("whitespace in the empty <property>", r#"<property name="a" value="b"> </property>"#, Some("must be empty")),
    // Required attributes.
    ("a testsuite without name", r#"<testsuite tests="0" failures="0" errors="0"/>"#, Some("missing required attribute `name`")),
    ("a testsuite without tests", r#"<testsuite name="s" failures="0" errors="0"/>"#, Some("missing required attribute `tests`")),
    ("a testsuite without failures", r#"<testsuite name="s" tests="0" errors="0"/>"#, Some("missing required attribute `failures`")),
    ("a testsuite without errors", r#"<testsuites><testsuite name="s" tests="0" failures="0"/></testsuites>"#, Some("missing required attribute `errors`")),
    ("a testcase without name", r#"<testcase classname="k"/>"#, Some("missing required attribute `name`")),
    ("a property without name", r#"<property value="b"/>"#, Some("missing required attribute `name`")),
    ("a property without value", r#"<properties><property name="a"/></properties>"#, Some("missing required attribute `value`")),
    ("a rerun without type", "<rerunError/>", Some("missing required attribute `type`")),
    // Attributes the XSD does not declare.
    ("an unknown attribute on testsuites", r#"<testsuites disabled="0"/>"#, Some("@disabled: unknown attribute")),
    ("an unknown attribute on testsuite", r#"<testsuite name="s" tests="0" failures="0" errors="0" disabled="0"/>"#, Some("@disabled: unknown attribute")),
    ("an unknown attribute on testcase", r#"<testcase name="c" status="run"/>"#, Some("@status: unknown attribute")),
    ("an unknown attribute on property", r#"<property name="a" value="b" type="c"/>"#, Some("@type: unknown attribute")),
    ("an attribute on system-out", r#"<system-out name="a"/>"#, Some("@name: unknown attribute")),
    ("an unknown attribute on failure", r#"<failure kind="a"/>"#, Some("@kind: unknown attribute")),
    ("an attribute on a rerun's stackTrace", r#"<rerunFailure type="t"><stackTrace line="1"/></rerunFailure>"#, Some("@line: unknown attribute")),
    ("xml:lang, which the XSD does not declare", r#"<testsuites xml:lang="en"/>"#, Some("@lang: an attribute in namespace")),
    // SUREFIRE_TIME.
    ("four decimals", r#"<testsuites time="0.1234"/>"#, Some("not a SUREFIRE_TIME")),
    ("a negative time", r#"<testsuite name="s" tests="0" failures="0" errors="0" time="-1"/>"#, Some("not a SUREFIRE_TIME")),
    ("an exponent", r#"<testsuites time="1e3"/>"#, Some("not a SUREFIRE_TIME")),
    ("a unit", r#"<testsuites time="1s"/>"#, Some("not a SUREFIRE_TIME")),
    ("a short group after a comma", r#"<testsuites time="12,34"/>"#, Some("not a SUREFIRE_TIME")),
    ("a decimal comma", r#"<testsuites time="0,5"/>"#, Some("not a SUREFIRE_TIME")),
    ("a leading space", r#"<testsuites time=" 1"/>"#, Some("not a SUREFIRE_TIME")),
    // Well-formedness.
    ("a raw control character", "<testsuites name=\"a\u{1}b\"/>", Some("not well-formed")),
    ("a control character in text", "<system-out>\u{1b}[31m</system-out>", Some("not well-formed")),
    ("a raw U+FFFE", "<system-out>\u{fffe}</system-out>", Some("not well-formed")),
    ("a reference to a control character", "<system-out>&#1;</system-out>", Some("not well-formed")),
    ("a reference to a surrogate", "<system-out>&#xD800;</system-out>", Some("not well-formed")),
    ("a reference past U+10FFFF", "<system-out>&#x110000;</system-out>", Some("not well-formed")),
    ("an unclosed element", "<testsuites>", Some("not well-formed")),
    ("an undefined entity", "<system-out>&nbsp;</system-out>", Some("not well-formed")),
];

#[test]
fn each_rule_of_the_xsd_is_checked() {
    for (what, xml, expected) in TABLE {
        let problems = problems(xml);
        match expected {
            None => assert!(problems.is_empty(), "{what} should validate: {problems:?}"),
            Some(part) => assert!(
                problems.len() == 1 && problems[0].contains(part),
                "{what} should fail with exactly one problem saying {part:?}, got {problems:?}"
            ),
        }
    }
}

#[test]
fn the_table_agrees_with_xmllint() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (what, xml, expected)) in TABLE.iter().enumerate() {
        let file = dir.path().join(format!("{i}.xml"));
        std::fs::write(&file, xml).unwrap();
        // Without xmllint (see `XMLLINT_VAR`) there is no second opinion to compare with.
        let Some(verdict) = crate::common::xmllint(&file) else {
            return;
        };
        assert_eq!(
            verdict.is_ok(),
            expected.is_none(),
            "xmllint disagrees on {what}: {verdict:?}"
        );
    }
}

/// A real report of a failing run, broken in one way at a time.
#[test]
fn a_real_report_validates_and_each_break_of_it_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = crate::common::run_with(dir.path(), &["enum-wrong-value"], &[]);
    let xml = std::fs::read_to_string(outcome.junit.unwrap()).unwrap();
    assert!(
        xml.contains("<failure "),
        "the run should have failed: {xml}"
    );
    assert_eq!(problems(&xml), Vec::<String>::new());

    let suite_tag = Regex::new(r"<testsuite [^>]*>").unwrap();
    let in_suite_tag = |from: &str, to: &str| {
        let tag = suite_tag.find(&xml).unwrap();
        let fixed = Regex::new(from).unwrap().replace(tag.as_str(), to);
        assert_ne!(fixed, tag.as_str(), "{from} is not in {}", tag.as_str());
        format!("{}{fixed}{}", &xml[..tag.start()], &xml[tag.end()..])
    };
    let broken = [
        (
            "an unknown element",
            xml.replacen("</testcase>", "<stdout/></testcase>", 1),
            "<stdout> is not allowed in <testcase>",
        ),
        (
            "a missing required attribute",
            in_suite_tag(r#" errors="\d+""#, ""),
            "missing required attribute `errors`",
        ),
        (
            "an unknown attribute",
            xml.replacen("<testcase ", r#"<testcase assertions="1" "#, 1),
            "@assertions: unknown attribute",
        ),
        (
            "a bad time",
            in_suite_tag(r#" time="[^"]*""#, r#" time="0.0001""#),
            "not a SUREFIRE_TIME",
        ),
        (
            "a property inside a testcase",
            xml.replacen(
                "</testcase>",
                r#"<property name="seed" value="1"/></testcase>"#,
                1,
            ),
            "<property> is not allowed in <testcase>",
        ),
        (
            "a non-XML character",
            xml.replacen("<failure ", "<failure message=\"\u{7}\" ", 1),
            "not well-formed",
        ),
    ];
    for (what, doc, expected) in broken {
        let problems = problems(&doc);
        assert!(
            problems.len() == 1 && problems[0].contains(expected),
            "{what}: expected one problem saying {expected:?}, got {problems:?}"
        );
    }
}

#[test]
#[should_panic(expected = "missing required attribute `tests`")]
fn the_report_helper_fails_on_an_invalid_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, r#"<testsuites><testsuite name="s"/></testsuites>"#).unwrap();
    crate::common::assert_valid_junit(&file);
}

/// Whitespace CDATA in element-only content is valid by the XSD spec (a CDATA section is only
/// characters) but libxml2 rejects it: where xmllint is asked for, its verdict counts too.
#[test]
fn xmllint_is_a_second_opinion_where_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    let xml = r#"<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c"><![CDATA[ ]]></testcase></testsuite></testsuites>"#;
    std::fs::write(&file, xml).unwrap();
    assert_eq!(problems(xml), Vec::<String>::new());
    let installed = crate::common::xmllint(&file).is_some();
    let outcome = std::panic::catch_unwind(|| crate::common::assert_valid_junit(&file));
    match outcome {
        Ok(()) => assert!(
            !installed,
            "xmllint was asked for, yet its verdict was not used"
        ),
        Err(panic) => {
            let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(installed, "failed without xmllint: {message}");
            assert!(message.contains("(xmllint)"), "{message}");
        }
    }
}
