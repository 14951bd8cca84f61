//! A JS-like value tree: what the glue makes of an argument before validating it.
//!
//! Host objects (DOM elements, `MediaStreamTrack`, …) are kept as their class name only; the glue
//! keeps the JS handle itself.

/// A JS value as the validator and the config parsers see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `undefined` (also what [`Value::get`] returns for a missing property).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, `NaN` and infinities included.
    Number(f64),
    /// A string.
    String(String),
    /// An array, items in order.
    Array(Vec<Value>),
    /// A plain object, keys in insertion order.
    Object(Vec<(String, Value)>),
    /// A function (its body is not kept).
    Function,
    /// A non-plain object: `class` as `Object.prototype.toString` names it (e.g. `HTMLDivElement`,
    /// `MediaStreamTrack`), `element` when it is an `HTMLElement`.
    Host {
        /// The class name, e.g. `HTMLDivElement`.
        class: String,
        /// Whether it is an `HTMLElement`.
        element: bool,
    },
}

static UNDEFINED: Value = Value::Undefined;

impl Value {
    /// A property of an object; `Undefined` when missing or when `self` is not an object.
    pub fn get(&self, key: &str) -> &Value {
        match self {
            Value::Object(props) => props
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&UNDEFINED),
            _ => &UNDEFINED,
        }
    }

    /// Whether this is `undefined` (a missing argument or property).
    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one (no conversion from strings or booleans).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one (no truthiness).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The type name used in error messages (`received type: …`).
    pub fn type_name(&self) -> &str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Function => "function",
            Value::Host { class, .. } => class,
        }
    }

    /// How the value is shown in a message (`received: …`), like JS string conversion.
    pub fn display(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|v| v.display())
                .collect::<Vec<_>>()
                .join(","),
            Value::Object(_) => "[object Object]".into(),
            Value::Function => "function".into(),
            Value::Host { class, .. } => format!("[object {class}]"),
        }
    }
}

/// A number as JS prints it (integers without `.0`; see [`trtc_proto::format_f64`]).
pub fn format_number(n: f64) -> String {
    trtc_proto::format_f64(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_like_js() {
        let rows = [
            (Value::Number(3.0), "3"),
            (Value::Number(1.5), "1.5"),
            (Value::Number(f64::NAN), "NaN"),
            (Value::Null, "null"),
            (Value::Undefined, "undefined"),
            (Value::Object(vec![]), "[object Object]"),
            (
                Value::Array(vec![Value::Number(1.0), Value::String("a".into())]),
                "1,a",
            ),
        ];
        for (v, s) in rows {
            assert_eq!(v.display(), s);
        }
    }

    #[test]
    fn get_missing_is_undefined() {
        let o = Value::Object(vec![("a".into(), Value::Bool(true))]);
        assert_eq!(o.get("a"), &Value::Bool(true));
        assert!(o.get("b").is_undefined());
        assert!(Value::Null.get("a").is_undefined());
    }
}
