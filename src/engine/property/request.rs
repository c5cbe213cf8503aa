//! What a property generates for an operation: its body when it takes one; for an operation
//! without a body, its query, header and cookie parameters as one object (a schema of the
//! parameters, each required as declared), sent as parameter overrides; nothing when it has
//! neither.

use serde_json::{json, Map, Value};

use crate::cases::{ParamSent, ParamValue};
use crate::contract::{BodyKind, Operation, Param, ParamIn};

/// What the properties of an operation draw.
pub enum Generated {
    /// The request body, from the request schema.
    Body(Value),
    /// The parameters, from this object schema of them.
    Params(Value),
    /// No body and no parameter to generate.
    Nothing,
}

/// What the properties of `contract` draw.
pub fn generated(contract: &Operation) -> Generated {
    if contract.endpoint.body_kind != BodyKind::None {
        return Generated::Body(contract.request_schema.clone());
    }
    let params = sent(contract);
    if params.is_empty() {
        return Generated::Nothing;
    }
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (key, p) in &params {
        properties.insert(key.clone(), bounded(&p.schema));
        if p.required {
            required.push(Value::from(key.as_str()));
        }
    }
    Generated::Params(json!({
        "type": "object",
        "properties": properties,
        "required": required,
    }))
}

/// A parameter's schema with its strings and arrays bounded where it sets no bound: a value goes
/// into the request line or a header, and RFC 9110 4.1 asks servers to take only 8,000 octets
/// there, so a long generated string would be refused with 414 or 431 by a correct server.
/// An empty string or array is no value either (OpenAPI's `allowEmptyValue`, false by default).
/// What is generated stays valid: the bounds only narrow what the schema allows.
fn bounded(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        let min = |key: &str, o: &Map<String, Value>| o.get(key).and_then(Value::as_u64);
        // OpenAPI's `allowEmptyValue` is false unless said: `?name=` is no value.
        if !object.contains_key("minLength") {
            object.insert("minLength".into(), 1.into());
        }
        if !object.contains_key("minItems") {
            object.insert("minItems".into(), 1.into());
        }
        if !object.contains_key("maxLength") {
            let at_least = min("minLength", object).unwrap_or(0).max(64);
            object.insert("maxLength".into(), at_least.into());
        }
        if !object.contains_key("maxItems") {
            let at_least = min("minItems", object).unwrap_or(0).max(4);
            object.insert("maxItems".into(), at_least.into());
        }
        if let Some(items) = object.get("items").map(bounded) {
            object.insert("items".into(), items);
        }
    }
    schema
}

/// Whether the properties of `contract` send generated parameters rather than a body.
pub fn in_params(contract: &Operation) -> bool {
    matches!(generated(contract), Generated::Params(_))
}

/// The query, header and cookie parameters, each under its key in the generated object: its
/// name, or `location.name` when another location has a parameter of that name.
fn sent(contract: &Operation) -> Vec<(String, &Param)> {
    let params: Vec<&Param> = contract
        .endpoint
        .params
        .iter()
        .filter(|p| p.location != ParamIn::Path && !crate::cases::derive::ignored(p))
        .collect();
    params
        .iter()
        .map(|p| {
            let clash = params
                .iter()
                .any(|q| q.name == p.name && q.location != p.location);
            let key = match clash {
                true => format!("{}.{}", p.location.as_str(), p.name),
                false => p.name.clone(),
            };
            (key, *p)
        })
        .collect()
}

/// The parameter overrides a generated object gives: each parameter it holds with its value,
/// each it leaves out absent (whatever its base value), keys no parameter has ignored.
pub fn overrides(contract: &Operation, value: &Value) -> Vec<ParamValue> {
    sent(contract)
        .into_iter()
        .map(|(key, p)| ParamValue {
            location: p.location,
            name: p.name.clone(),
            value: match value.get(&key) {
                Some(v) => ParamSent::Json(v.clone()),
                None => ParamSent::Absent,
            },
        })
        .collect()
}

/// Whether a server could read the generated object as a valid request: a query string, a
/// header and a cookie hold text, so `"1"` and `1` are the same value there, and a broken
/// object whose every value reads as valid text is no invalid request (what is no object sends
/// nothing, which is valid when no parameter is required).
pub fn reads_valid(contract: &Operation, value: &Value) -> bool {
    // What is no object sends no parameter at all.
    let empty = Map::new();
    let object = value.as_object().unwrap_or(&empty);
    sent(contract).into_iter().all(|(key, p)| {
        let Some(v) = object.get(&key) else {
            return !p.required;
        };
        let Ok(validator) = jsonschema::validator_for(&p.schema) else {
            return false;
        };
        crate::contract::passes_as_sent(&validator, v)
    })
}

/// The parameter a pointer into the generated object is at, and its location.
pub fn param_at(contract: &Operation, pointer: &str) -> Option<(ParamIn, String)> {
    let key = crate::contract::pointer::first_token(pointer)?;
    sent(contract)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| (p.location, p.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::property::Property;
    use proptest::strategy::{Strategy, ValueTree};

    #[test]
    fn generated_parameters_are_bounded_and_never_empty_where_the_schema_is_silent() {
        let b = bounded(&json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(b["minItems"], 1);
        assert_eq!(b["maxItems"], 4);
        assert_eq!(b["items"]["minLength"], 1);
        assert_eq!(b["items"]["maxLength"], 64);
        // What the schema says stays, and a bound below its minimum is raised to it.
        let b = bounded(&json!({"type": "string", "minLength": 0, "maxLength": 500}));
        assert_eq!(
            (b["minLength"].clone(), b["maxLength"].clone()),
            (json!(0), json!(500))
        );
        let b = bounded(&json!({"type": "string", "minLength": 100}));
        assert_eq!(b["maxLength"], 100);
    }

    fn param(name: &str, location: ParamIn, required: bool, schema: Value) -> Param {
        Param {
            name: name.into(),
            location,
            required,
            schema,
            style: location.default_style(),
            explode: true,
            example: None,
            base: None,
            pointer: String::new(),
        }
    }

    #[test]
    fn a_broken_parameter_object_a_server_reads_as_valid_text_is_no_invalid_request() {
        let mut op = Operation::embedded().unwrap();
        op.endpoint.body_kind = BodyKind::None;
        op.endpoint.params = vec![
            param("n", ParamIn::Query, true, json!({"type": "integer"})),
            param("s", ParamIn::Query, false, json!({"type": "string"})),
        ];
        // `"1"` for an integer and `1` for a string are the same text on the wire.
        assert!(reads_valid(&op, &json!({"n": "1", "s": 1})));
        assert!(reads_valid(&op, &json!({"n": 1})));
        // No object sends no parameter: valid only when none is required.
        assert!(!reads_valid(&op, &json!([1])));
        op.endpoint.params[0].required = false;
        assert!(reads_valid(&op, &json!([1])));
        op.endpoint.params[0].required = true;
        // These stay broken: letters for an integer, a required one left out.
        assert!(!reads_valid(&op, &json!({"n": "x"})));
        assert!(!reads_valid(&op, &json!({"s": "a"})));
    }

    #[test]
    fn an_operation_without_a_body_generates_its_parameters() {
        let mut op = Operation::embedded().unwrap();
        assert!(matches!(generated(&op), Generated::Body(_)));
        op.endpoint.body_kind = BodyKind::None;
        assert!(matches!(generated(&op), Generated::Nothing));
        op.endpoint.params = vec![
            param(
                "id",
                ParamIn::Query,
                true,
                json!({"type": "integer", "maximum": 9}),
            ),
            param("id", ParamIn::Header, false, json!({"type": "string"})),
            param("p", ParamIn::Path, true, json!({"type": "string"})),
        ];
        let Generated::Params(schema) = generated(&op) else {
            panic!("parameters to generate");
        };
        assert_eq!(schema["required"], json!(["query.id"]));
        assert!(
            schema["properties"].get("p").is_none(),
            "a path value is the run's"
        );
        for prop in Property::ALL {
            let strategy = prop.strategy(&schema).unwrap();
            let mut runner = crate::cases::generate::runner(7);
            for _ in 0..16 {
                let (value, fault) = strategy.new_tree(&mut runner).unwrap().current();
                let case = prop.case(&op, "x".into(), value, fault);
                assert_eq!(case.request.params.len(), 2);
                assert_eq!(case.request.body, crate::cases::Body::Empty);
                if let Some(name) = &case.offending {
                    assert_eq!(name, "id");
                }
            }
        }
        let o = overrides(&op, &json!({"query.id": 3}));
        assert_eq!(o[0].value, ParamSent::Json(json!(3)));
        assert_eq!(o[1].value, ParamSent::Absent);
    }
}
