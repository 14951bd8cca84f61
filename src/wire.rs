//! The server's messages, read from a signalling socket's text with the shared decoder
//! (`trtc_proto::light`) over the browser's `JSON.parse`.

use trtc_proto::ServerMsg;
use wasm_bindgen::{JsCast, JsValue};

use crate::value::get;

/// A parsed JSON value from the browser's `JSON.parse`, read by the shared decoder.
struct JsTree(JsValue);

impl trtc_proto::JsonTree for JsTree {
    fn member(&self, key: &str) -> Option<Self> {
        if !self.0.is_object() {
            return None;
        }
        let v = get(&self.0, key);
        (!v.is_undefined()).then_some(JsTree(v))
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn is_null(&self) -> bool {
        self.0.is_null()
    }
    fn elements(&self) -> Option<Vec<Self>> {
        if !js_sys::Array::is_array(&self.0) {
            return None;
        }
        let arr: &js_sys::Array = self.0.unchecked_ref();
        Some(arr.iter().map(JsTree).collect())
    }
}

/// A server message from JSON text; refuses oversized or malformed frames.
pub fn decode(text: &str) -> Result<ServerMsg, String> {
    ServerMsg::check_size(text.len()).map_err(|e| e.to_string())?;
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_string())?;
    ServerMsg::from_tree(&JsTree(value)).map_err(|e| e.to_string())
}
