//! JS argument → `trtc_core::value::Value`.

use trtc_core::value::Value;
use wasm_bindgen::{JsCast, JsValue};

const MAX_DEPTH: u32 = 6;

pub fn to_value(v: &JsValue) -> Value {
    convert(v, MAX_DEPTH)
}

fn convert(v: &JsValue, depth: u32) -> Value {
    if v.is_undefined() {
        return Value::Undefined;
    }
    if v.is_null() {
        return Value::Null;
    }
    if let Some(b) = v.as_bool() {
        return Value::Bool(b);
    }
    if let Some(n) = v.as_f64() {
        return Value::Number(n);
    }
    if let Some(s) = v.as_string() {
        return Value::String(s);
    }
    if v.is_function() {
        return Value::Function;
    }
    if js_sys::Array::is_array(v) {
        if depth == 0 {
            return Value::Array(Vec::new());
        }
        let arr: &js_sys::Array = v.unchecked_ref();
        return Value::Array(arr.iter().map(|x| convert(&x, depth - 1)).collect());
    }
    let tag = crate::js::to_string_tag(v);
    if tag == "Object" {
        if depth == 0 {
            return Value::Object(Vec::new());
        }
        let obj: &js_sys::Object = v.unchecked_ref();
        let props = js_sys::Object::keys(obj)
            .iter()
            .filter_map(|k| {
                let key = k.as_string()?;
                let val = js_sys::Reflect::get(obj, &k).unwrap_or(JsValue::UNDEFINED);
                Some((key, convert(&val, depth - 1)))
            })
            .collect();
        return Value::Object(props);
    }
    // Subclasses count as their base: a canvas or an element capture gives a
    // CanvasCaptureMediaStreamTrack, which is a MediaStreamTrack.
    let class = if v.is_instance_of::<web_sys::MediaStreamTrack>() {
        "MediaStreamTrack".to_string()
    } else {
        tag
    };
    Value::Host {
        class,
        element: v.is_instance_of::<web_sys::HtmlElement>(),
    }
}

/// `obj[key]`, `undefined` when `obj` is not an object or a function.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() || obj.is_function() {
        js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// Builds a plain object from `(key, value)` pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A short description of a JS value for log lines and messages: `name: message` for errors,
/// the text of strings and numbers, otherwise its type. (Rust's `{:?}` of a `JsValue` would
/// pull the wasm-bindgen JS glue's whole `debugString` into the bundle.)
pub fn describe(v: &JsValue) -> String {
    let name = get(v, "name").as_string();
    let message = get(v, "message").as_string();
    match (name, message) {
        (Some(n), Some(m)) => format!("{n}: {m}"),
        (None, Some(m)) => m,
        _ => v
            .as_string()
            .or_else(|| v.as_f64().map(trtc_proto::format_f64))
            .unwrap_or_else(|| v.js_typeof().as_string().unwrap_or_default()),
    }
}

/// Calls `obj[name](...args)`; an error when it is not a function or throws.
pub fn call(obj: &JsValue, name: &str, args: &[JsValue]) -> std::result::Result<JsValue, JsValue> {
    let f: js_sys::Function = get(obj, name)
        .dyn_into()
        .map_err(|_| JsValue::from_str(&format!("{name} is not supported by this browser")))?;
    f.apply(obj, &args.iter().collect::<js_sys::Array>())
}
