//! Parameter serialization, as OpenAPI 3.1 defines it (4.8.12.4, "Style Values" and "Style
//! Examples"): a [`Param`] and a JSON value (a primitive, an array or an object) give the text
//! that goes in the path, the query, a header or the `Cookie` header.
//!
//! Values are percent-encoded per component where they go in a URL (`allowReserved: false`:
//! everything but RFC 3986's unreserved characters), and the style's own delimiters (`,` `|`
//! `%20` `[` `]` `.` `;`, and `=` and `&` between pairs) are written as the style table writes
//! them. A `null` or an empty string is the table's "empty" column. A nested value (an array
//! inside an array, an object inside an object) is written as its JSON text. A header value is
//! not percent-encoded (a header is not a URL); a cookie value is, so that a `;` or a space in
//! a value cannot split the header.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::cases::ParamSent;
use crate::contract::{Param, ParamIn, Style};

/// Component encoding: everything but RFC 3986 unreserved characters.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A primitive as text: a string as it is, `null` as empty, anything else as its JSON text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The shape of a value as the style table sees it.
enum Shape<'a> {
    /// A primitive, already as text (empty for `null` and `""`).
    One(String),
    List(Vec<String>),
    Pairs(Vec<(&'a str, String)>),
}

fn shape(v: &Value) -> Shape<'_> {
    match v {
        Value::Array(items) => Shape::List(items.iter().map(text).collect()),
        Value::Object(map) => {
            Shape::Pairs(map.iter().map(|(k, v)| (k.as_str(), text(v))).collect())
        }
        other => Shape::One(text(other)),
    }
}

/// The text that replaces `{name}` in a path template: `simple`, `label` (`.blue`) or `matrix`
/// (`;color=blue`), percent-encoded. A style that is not a path style is read as `simple`.
pub fn path_value(param: &Param, value: &Value) -> String {
    let name = enc(&param.name);
    let explode = param.explode;
    match (param.style, shape(value)) {
        (Style::Label, Shape::One(s)) => format!(".{}", enc(&s)),
        (Style::Label, Shape::List(items)) => {
            let sep = if explode { "." } else { "," };
            format!(".{}", join_encoded(&items, sep))
        }
        (Style::Label, Shape::Pairs(pairs)) => format!(".{}", pairs_text(&pairs, explode, ".")),
        (Style::Matrix, Shape::One(s)) if s.is_empty() => format!(";{name}"),
        (Style::Matrix, Shape::One(s)) => format!(";{name}={}", enc(&s)),
        (Style::Matrix, Shape::List(items)) if explode => items
            .iter()
            .map(|i| format!(";{name}={}", enc(i)))
            .collect(),
        (Style::Matrix, Shape::List(items)) => format!(";{name}={}", join_encoded(&items, ",")),
        (Style::Matrix, Shape::Pairs(pairs)) if explode => {
            format!(";{}", pairs_text(&pairs, true, ";"))
        }
        (Style::Matrix, Shape::Pairs(pairs)) => {
            format!(";{name}={}", pairs_text(&pairs, false, ","))
        }
        (_, shape) => simple(shape, explode, true),
    }
}

/// `simple`: `blue`, `blue,black,brown`, `R,100,G,200` (or `R=100,G=200` exploded),
/// percent-encoded when `encode`.
fn simple(shape: Shape<'_>, explode: bool, encode: bool) -> String {
    let e = |s: &str| if encode { enc(s) } else { s.to_string() };
    match shape {
        Shape::One(s) => e(&s),
        Shape::List(items) => items.iter().map(|i| e(i)).collect::<Vec<_>>().join(","),
        Shape::Pairs(pairs) if explode => pairs
            .iter()
            .map(|(k, v)| format!("{}={}", e(k), e(v)))
            .collect::<Vec<_>>()
            .join(","),
        Shape::Pairs(pairs) => pairs
            .iter()
            .flat_map(|(k, v)| [e(k), e(v)])
            .collect::<Vec<_>>()
            .join(","),
    }
}

fn join_encoded(items: &[String], sep: &str) -> String {
    items.iter().map(|i| enc(i)).collect::<Vec<_>>().join(sep)
}

/// An object's pairs: `k=v` joined by `sep` when exploded, else `k,v,k,v`.
fn pairs_text(pairs: &[(&str, String)], explode: bool, sep: &str) -> String {
    if explode {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join(sep)
    } else {
        pairs
            .iter()
            .flat_map(|(k, v)| [enc(k), enc(v)])
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The query text of one parameter, its pairs joined by `&`, percent-encoded: `form`
/// (`color=blue&color=black` exploded, `color=blue,black` not), `spaceDelimited`
/// (`color=blue%20black`), `pipeDelimited` (`color=blue|black`) and `deepObject`
/// (`color[R]=100&color[G]=200`). An exploded empty array or object sends no pair: `None`.
pub fn query_pairs(param: &Param, value: &Value) -> Option<String> {
    let name = enc(&param.name);
    let explode = param.explode;
    let out = match (param.style, shape(value)) {
        (Style::DeepObject, Shape::Pairs(pairs)) => pairs
            .iter()
            .map(|(k, v)| format!("{name}[{}]={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&"),
        (Style::SpaceDelimited, Shape::List(items)) if !explode => {
            format!("{name}={}", join_encoded(&items, "%20"))
        }
        (Style::SpaceDelimited, Shape::Pairs(pairs)) if !explode => {
            format!("{name}={}", flat_pairs(&pairs, "%20"))
        }
        (Style::PipeDelimited, Shape::List(items)) if !explode => {
            format!("{name}={}", join_encoded(&items, "|"))
        }
        (Style::PipeDelimited, Shape::Pairs(pairs)) if !explode => {
            format!("{name}={}", flat_pairs(&pairs, "|"))
        }
        // Form, and the delimited styles exploded, which the specification reads as form.
        (_, Shape::One(s)) => format!("{name}={}", enc(&s)),
        (_, Shape::List(items)) if explode => items
            .iter()
            .map(|i| format!("{name}={}", enc(i)))
            .collect::<Vec<_>>()
            .join("&"),
        (_, Shape::List(items)) => format!("{name}={}", join_encoded(&items, ",")),
        (_, Shape::Pairs(pairs)) if explode => pairs_text(&pairs, true, "&"),
        (_, Shape::Pairs(pairs)) => format!("{name}={}", flat_pairs(&pairs, ",")),
    };
    (!out.is_empty()).then_some(out)
}

fn flat_pairs(pairs: &[(&str, String)], sep: &str) -> String {
    pairs
        .iter()
        .flat_map(|(k, v)| [enc(k), enc(v)])
        .collect::<Vec<_>>()
        .join(sep)
}

/// A header's value, `simple` style, not percent-encoded.
pub fn header_value(param: &Param, value: &Value) -> String {
    simple(shape(value), param.explode, false)
}

/// A cookie parameter's `name=value` pairs, `form` style, joined by `; ` (an exploded array or
/// object is one cookie per item, as a form query is one pair per item), values
/// percent-encoded. `None` for an exploded empty array or object.
pub fn cookie_pairs(param: &Param, value: &Value) -> Option<String> {
    let name = enc(&param.name);
    let out = match shape(value) {
        Shape::One(s) => format!("{name}={}", enc(&s)),
        Shape::List(items) if param.explode => items
            .iter()
            .map(|i| format!("{name}={}", enc(i)))
            .collect::<Vec<_>>()
            .join("; "),
        Shape::List(items) => format!("{name}={}", join_encoded(&items, ",")),
        Shape::Pairs(pairs) if param.explode => pairs_text(&pairs, true, "; "),
        Shape::Pairs(pairs) => format!("{name}={}", flat_pairs(&pairs, ",")),
    };
    (!out.is_empty()).then_some(out)
}

/// What one non-path parameter adds to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Serialized {
    /// Pairs for the query string, already encoded and joined by `&`.
    Query(String),
    /// A header: its name and value.
    Header(String, String),
    /// `name=value` pairs for the `Cookie` header, joined by `; `.
    Cookie(String),
}

/// What `param` sends with the value `sent`; `None` when it is left out.
pub fn serialize(param: &Param, sent: &ParamSent) -> Option<Serialized> {
    match sent {
        ParamSent::Absent => None,
        ParamSent::Json(v) => serialize_json(param, v),
        ParamSent::Raw(raw) => Some(match param.location {
            ParamIn::Query | ParamIn::Path => {
                Serialized::Query(format!("{}={}", enc(&param.name), enc(raw)))
            }
            ParamIn::Header => Serialized::Header(param.name.clone(), raw.clone()),
            ParamIn::Cookie => Serialized::Cookie(format!("{}={raw}", enc(&param.name))),
        }),
    }
}

/// What `param` sends with the JSON value `value`, serialized by its style.
pub fn serialize_json(param: &Param, value: &Value) -> Option<Serialized> {
    match param.location {
        ParamIn::Query | ParamIn::Path => query_pairs(param, value).map(Serialized::Query),
        ParamIn::Header => Some(Serialized::Header(
            param.name.clone(),
            header_value(param, value),
        )),
        ParamIn::Cookie => cookie_pairs(param, value).map(Serialized::Cookie),
    }
}

/// Why a header or cookie value cannot go in an HTTP header: a control character (other than a
/// tab, which RFC 9110 5.5 allows inside a value) or a character beyond ASCII.
pub fn header_problem(value: &str) -> Option<String> {
    let bad = value
        .chars()
        .find(|c| (c.is_control() && *c != '\t') || !c.is_ascii())?;
    Some(format!(
        "holds {} ({:?}), which cannot be sent in an HTTP header",
        if bad.is_control() {
            "a control character"
        } else {
            "a character beyond ASCII"
        },
        bad
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn param(location: ParamIn, style: Style, explode: bool) -> Param {
        Param {
            name: "color".into(),
            location,
            required: false,
            schema: json!({}),
            style,
            explode,
            example: None,
            base: None,
            pointer: String::new(),
        }
    }

    fn empty() -> Value {
        json!("")
    }
    fn string() -> Value {
        json!("blue")
    }
    fn array() -> Value {
        json!(["blue", "black", "brown"])
    }
    fn object() -> Value {
        json!({"R": 100, "G": 200, "B": 150})
    }

    /// OpenAPI 3.1 4.8.12.4, "Style Examples": each row, with the columns empty, string, array,
    /// object.
    #[test]
    fn path_styles_follow_the_table_of_the_specification() {
        let rows: [(Style, bool, [&str; 4]); 6] = [
            (
                Style::Matrix,
                false,
                [
                    ";color",
                    ";color=blue",
                    ";color=blue,black,brown",
                    ";color=R,100,G,200,B,150",
                ],
            ),
            (
                Style::Matrix,
                true,
                [
                    ";color",
                    ";color=blue",
                    ";color=blue;color=black;color=brown",
                    ";R=100;G=200;B=150",
                ],
            ),
            (
                Style::Label,
                false,
                [".", ".blue", ".blue,black,brown", ".R,100,G,200,B,150"],
            ),
            (
                Style::Label,
                true,
                [".", ".blue", ".blue.black.brown", ".R=100.G=200.B=150"],
            ),
            (
                Style::Simple,
                false,
                ["", "blue", "blue,black,brown", "R,100,G,200,B,150"],
            ),
            (
                Style::Simple,
                true,
                ["", "blue", "blue,black,brown", "R=100,G=200,B=150"],
            ),
        ];
        for (style, explode, want) in rows {
            let p = param(ParamIn::Path, style, explode);
            let got = [empty(), string(), array(), object()].map(|v| path_value(&p, &v));
            assert_eq!(got, want.map(String::from), "{style:?} explode={explode}");
        }
    }

    #[test]
    fn query_styles_follow_the_table_of_the_specification() {
        let form = param(ParamIn::Query, Style::Form, false);
        let got = [empty(), string(), array(), object()].map(|v| query_pairs(&form, &v));
        assert_eq!(
            got,
            [
                "color=",
                "color=blue",
                "color=blue,black,brown",
                "color=R,100,G,200,B,150"
            ]
            .map(|s| Some(s.to_string()))
        );
        let exploded = param(ParamIn::Query, Style::Form, true);
        let got = [empty(), string(), array(), object()].map(|v| query_pairs(&exploded, &v));
        assert_eq!(
            got,
            [
                "color=",
                "color=blue",
                "color=blue&color=black&color=brown",
                "R=100&G=200&B=150"
            ]
            .map(|s| Some(s.to_string()))
        );
        let space = param(ParamIn::Query, Style::SpaceDelimited, false);
        assert_eq!(
            query_pairs(&space, &array()).unwrap(),
            "color=blue%20black%20brown"
        );
        assert_eq!(
            query_pairs(&space, &object()).unwrap(),
            "color=R%20100%20G%20200%20B%20150"
        );
        let pipe = param(ParamIn::Query, Style::PipeDelimited, false);
        assert_eq!(
            query_pairs(&pipe, &array()).unwrap(),
            "color=blue|black|brown"
        );
        assert_eq!(
            query_pairs(&pipe, &object()).unwrap(),
            "color=R|100|G|200|B|150"
        );
        let deep = param(ParamIn::Query, Style::DeepObject, true);
        assert_eq!(
            query_pairs(&deep, &object()).unwrap(),
            "color[R]=100&color[G]=200&color[B]=150"
        );
        // An exploded empty array sends nothing.
        assert_eq!(query_pairs(&exploded, &json!([])), None);
    }

    #[test]
    fn values_are_percent_encoded_per_component_and_delimiters_are_not() {
        let form = param(ParamIn::Query, Style::Form, false);
        assert_eq!(
            query_pairs(&form, &json!(["a,b", "c&d", "é /"])).unwrap(),
            "color=a%2Cb,c%26d,%C3%A9%20%2F"
        );
        let deep = param(ParamIn::Query, Style::DeepObject, true);
        assert_eq!(
            query_pairs(&deep, &json!({"a[0]": "x=y"})).unwrap(),
            "color[a%5B0%5D]=x%3Dy"
        );
        let path = param(ParamIn::Path, Style::Simple, false);
        assert_eq!(path_value(&path, &json!("a/b?c")), "a%2Fb%3Fc");
        assert_eq!(path_value(&path, &json!(12)), "12");
        assert_eq!(path_value(&path, &json!(true)), "true");
    }

    #[test]
    fn header_and_cookie_follow_simple_and_form() {
        let h = param(ParamIn::Header, Style::Simple, false);
        assert_eq!(header_value(&h, &array()), "blue,black,brown");
        assert_eq!(header_value(&h, &object()), "R,100,G,200,B,150");
        let he = param(ParamIn::Header, Style::Simple, true);
        assert_eq!(header_value(&he, &object()), "R=100,G=200,B=150");
        assert_eq!(header_value(&he, &json!("a b/c")), "a b/c");
        let c = param(ParamIn::Cookie, Style::Form, false);
        assert_eq!(cookie_pairs(&c, &string()).unwrap(), "color=blue");
        assert_eq!(
            cookie_pairs(&c, &array()).unwrap(),
            "color=blue,black,brown"
        );
        assert_eq!(
            cookie_pairs(&c, &json!("a;b c")).unwrap(),
            "color=a%3Bb%20c"
        );
        let ce = param(ParamIn::Cookie, Style::Form, true);
        assert_eq!(
            cookie_pairs(&ce, &array()).unwrap(),
            "color=blue; color=black; color=brown"
        );
        assert_eq!(cookie_pairs(&ce, &object()).unwrap(), "R=100; G=200; B=150");
    }

    #[test]
    fn a_raw_value_is_sent_as_it_is() {
        let q = param(ParamIn::Query, Style::Form, true);
        assert_eq!(
            serialize(&q, &ParamSent::Raw("a b&c".into())),
            Some(Serialized::Query("color=a%20b%26c".into()))
        );
        let h = param(ParamIn::Header, Style::Simple, false);
        assert_eq!(
            serialize(&h, &ParamSent::Raw("x, y".into())),
            Some(Serialized::Header("color".into(), "x, y".into()))
        );
        let c = param(ParamIn::Cookie, Style::Form, false);
        assert_eq!(
            serialize(&c, &ParamSent::Raw("v".into())),
            Some(Serialized::Cookie("color=v".into()))
        );
        assert_eq!(serialize(&c, &ParamSent::Absent), None);
        assert!(header_problem("a\r\nb").is_some());
        assert!(header_problem("a\tb").is_none());
        assert!(header_problem("é").is_some());
    }
}
