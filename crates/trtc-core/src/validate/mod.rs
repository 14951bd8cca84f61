//! The parameter validator: TRTC's rule order and messages (reference §10).
//!
//! Each rule is checked in this order and the first failure is returned: required (5001), type
//! (5002), not empty (5003), not negative (5006), min (5007), max (5008), allowed values (5005),
//! nested properties, array items.

use crate::error::{extra, RtcErrorInfo};
use crate::value::{format_number, Value};

/// An accepted type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `string`.
    String,
    /// `number` (`NaN` included).
    Number,
    /// `boolean`.
    Boolean,
    /// A plain object.
    Object,
    /// An array.
    Array,
    /// A function.
    Function,
    /// `null` (e.g. `view: null`, render nowhere).
    Null,
    /// Any `HTMLElement`.
    Element,
    /// A `MediaStreamTrack`.
    Track,
    /// An `ArrayBuffer`.
    ArrayBuffer,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::Function => "function",
            Ty::Null => "null",
            Ty::Element => "HTMLElement",
            Ty::Track => "MediaStreamTrack",
            Ty::ArrayBuffer => "ArrayBuffer",
        }
    }

    fn matches(self, v: &Value) -> bool {
        match (self, v) {
            (Ty::String, Value::String(_)) => true,
            (Ty::Number, Value::Number(_)) => true,
            (Ty::Boolean, Value::Bool(_)) => true,
            (Ty::Object, Value::Object(_)) => true,
            (Ty::Array, Value::Array(_)) => true,
            (Ty::Function, Value::Function) => true,
            (Ty::Null, Value::Null) => true,
            (Ty::Element, Value::Host { element, .. }) => *element,
            (Ty::Track, Value::Host { class, .. }) => class == "MediaStreamTrack",
            (Ty::ArrayBuffer, Value::Host { class, .. }) => class == "ArrayBuffer",
            _ => false,
        }
    }
}

/// An allowed literal value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    /// A string equal to this.
    Str(&'static str),
    /// This boolean.
    Bool(bool),
    /// A number equal to this.
    Num(f64),
}

impl Lit {
    fn matches(self, v: &Value) -> bool {
        match (self, v) {
            (Lit::Str(a), Value::String(b)) => a == b,
            (Lit::Bool(a), Value::Bool(b)) => a == *b,
            (Lit::Num(a), Value::Number(b)) => a == *b,
            _ => false,
        }
    }

    fn display(self) -> String {
        match self {
            Lit::Str(s) => s.to_string(),
            Lit::Bool(b) => b.to_string(),
            Lit::Num(n) => format_number(n),
        }
    }
}

/// One validation rule for one key.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The parameter's name in messages; for a property, its key in the object.
    pub key: &'static str,
    /// `undefined` fails with 5001; otherwise `undefined` passes every rule.
    pub required: bool,
    /// Empty = any type.
    pub types: &'static [Ty],
    /// When false, an empty value fails with 5003: a blank string, `0` or `NaN`.
    pub allow_empty: bool,
    /// A number below 0 fails with 5006.
    pub not_negative: bool,
    /// A number below this (or `NaN`) fails with 5007.
    pub min: Option<f64>,
    /// A number above this (or `NaN`) fails with 5008.
    pub max: Option<f64>,
    /// Empty = any value.
    pub values: &'static [Lit],
    /// Rules for the properties of an object value.
    pub properties: &'static [Rule],
    /// The rule for each item of an array value.
    pub array_item: Option<&'static Rule>,
}

impl Rule {
    /// A rule that accepts anything: the base of struct-update syntax (`..Rule::DEFAULT`).
    pub const DEFAULT: Rule = Rule {
        key: "",
        required: false,
        types: &[],
        allow_empty: true,
        not_negative: false,
        min: None,
        max: None,
        values: &[],
        properties: &[],
        array_item: None,
    };
}

/// Validates `value` against `rule` for API `fn_name`.
pub fn validate(rule: &Rule, value: &Value, fn_name: &str) -> Result<(), RtcErrorInfo> {
    let k = rule.key;
    let fail = |code: i32, msg: String| Err(RtcErrorInfo::invalid_parameter(code, fn_name, &msg));
    if value.is_undefined() {
        if rule.required {
            return fail(
                extra::REQUIRED,
                format!("'{k}' is a required param when calling {fn_name}(), received: undefined."),
            );
        }
        return Ok(());
    }
    if !rule.types.is_empty() && !rule.types.iter().any(|t| t.matches(value)) {
        let want: Vec<_> = rule.types.iter().map(|t| t.name()).collect();
        return fail(
            extra::TYPE,
            format!(
                "'{k}' must be type of {} when calling {fn_name}(), received type: {}.",
                want.join("|"),
                value.type_name()
            ),
        );
    }
    if !rule.allow_empty {
        let empty = match value {
            Value::String(s) => s.trim().is_empty(),
            Value::Number(n) => *n == 0.0 || n.is_nan(),
            _ => false,
        };
        if empty {
            return fail(
                extra::EMPTY,
                format!(
                    "'{k}' cannot be empty when calling {fn_name}(), received: '{}'.",
                    value.display()
                ),
            );
        }
    }
    if let Value::Number(n) = value {
        if rule.not_negative && *n < 0.0 {
            return fail(
                extra::LESS_THAN_ZERO,
                format!(
                    "'{k}' cannot be less than 0 when calling {fn_name}(), received: {}.",
                    format_number(*n)
                ),
            );
        }
        if let Some(min) = rule.min {
            if *n < min || n.is_nan() {
                return fail(
                    extra::MIN,
                    format!(
                        "'{k}' must be greater than or equal to {} when calling {fn_name}(), received: {}.",
                        format_number(min),
                        format_number(*n)
                    ),
                );
            }
        }
        if let Some(max) = rule.max {
            if *n > max || n.is_nan() {
                return fail(
                    extra::MAX,
                    format!(
                        "'{k}' must be less than or equal to {} when calling {fn_name}(), received: {}.",
                        format_number(max),
                        format_number(*n)
                    ),
                );
            }
        }
    }
    if !rule.values.is_empty() && !rule.values.iter().any(|l| l.matches(value)) {
        let allowed: Vec<_> = rule.values.iter().map(|l| l.display()).collect();
        return fail(
            extra::RANGE,
            format!(
                "'{k}' must be one of {} when calling {fn_name}(), received: {}.",
                allowed.join("|"),
                value.display()
            ),
        );
    }
    if let Value::Object(_) = value {
        for p in rule.properties {
            validate(p, value.get(p.key), fn_name)?;
        }
    }
    if let (Some(item), Value::Array(items)) = (rule.array_item, value) {
        for v in items {
            validate(item, v, fn_name)?;
        }
    }
    Ok(())
}

/// The rules of the public API.
pub mod rules;

#[cfg(test)]
mod tests;
