//! Who may join: the userSig check a join goes through ([`Auth`]) and the one the server uses,
//! TLS-sig v2 against each configured app's secret key ([`Apps`]).

use std::collections::HashMap;

use trtc_proto::code;

/// Checks a join's userSig; returns the TRTC code and a message when it fails.
pub trait Auth {
    /// `Ok` when `user_sig` proves `user_id` of `sdk_app_id` at `now_unix`; otherwise the code
    /// for [`trtc_proto::ServerMsg::JoinFailed`] and a message saying what was wrong.
    fn check(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Result<(), (i64, String)>;

    /// What `key`, a privateMapKey of `user_id` in `sdk_app_id`, grants at `now_unix`; otherwise
    /// a message saying what was wrong. By default none can be checked.
    fn private_map(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        key: &str,
        now_unix: u64,
    ) -> Result<PrivateMap, String> {
        let _ = (sdk_app_id, user_id, key, now_unix);
        Err("this server cannot check privateMapKeys".into())
    }
}

pub use trtc_usersig::private_map::{privilege, PrivateMap, PrivateRoom};

/// A boxed check is a check (the hub holds whichever one it was given).
impl<T: Auth + ?Sized> Auth for Box<T> {
    fn check(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Result<(), (i64, String)> {
        (**self).check(sdk_app_id, user_id, user_sig, now_unix)
    }

    fn private_map(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        key: &str,
        now_unix: u64,
    ) -> Result<PrivateMap, String> {
        (**self).private_map(sdk_app_id, user_id, key, now_unix)
    }
}

/// Secrets by sdkAppId, checked with TLS-sig v2.
#[derive(Debug, Clone, Default)]
pub struct Apps {
    keys: HashMap<u64, String>,
}

impl Apps {
    /// The apps as `(sdkAppId, secret key)`.
    pub fn new(apps: impl IntoIterator<Item = (u64, String)>) -> Self {
        Apps {
            keys: apps.into_iter().collect(),
        }
    }
    /// The secret key of an app, if it is configured.
    pub fn key(&self, sdk_app_id: u64) -> Option<&str> {
        self.keys.get(&sdk_app_id).map(String::as_str)
    }
    /// The configured sdkAppIds, in order.
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<_> = self.keys.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

impl Auth for Apps {
    fn check(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Result<(), (i64, String)> {
        let Some(key) = self.key(sdk_app_id) else {
            return Err((
                code::UNKNOWN_APP,
                format!("sdkAppId {sdk_app_id} is not configured on this server (start it with --app {sdk_app_id}:<secret key>)"),
            ));
        };
        trtc_usersig::verify(user_sig, sdk_app_id, key, user_id, now_unix)
            .map(|_| ())
            .map_err(|e| (e.code() as i64, format!("userSig check failed: {e}")))
    }

    fn private_map(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        key: &str,
        now_unix: u64,
    ) -> Result<PrivateMap, String> {
        let secret = self
            .key(sdk_app_id)
            .ok_or_else(|| format!("sdkAppId {sdk_app_id} is not configured on this server"))?;
        trtc_usersig::private_map::verify_private_map_key(
            key, sdk_app_id, secret, user_id, now_unix,
        )
        .map_err(|e| e.to_string())
    }
}
