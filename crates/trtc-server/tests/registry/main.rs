//! The room registry ([`trtc_server::room::Registry`]) on its own: messages in, effects out, no
//! IO and no clock (time is passed in). One file per behaviour.

mod admin;
mod caps;
mod custom;
mod lifecycle;
mod live;
mod preconnect;
mod private_map;
mod sessions;
mod sub_stream;
mod support;
