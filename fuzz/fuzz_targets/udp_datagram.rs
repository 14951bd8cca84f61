//! Datagrams into the SFU (`trtc_sfu::Sfu::handle_datagram`, the sans-IO core the server's UDP
//! driver feeds every datagram it reads): from the address of a peer that is connected for real
//! (ICE and DTLS done with a str0m client in memory), so they reach that peer's DTLS and SRTP;
//! from other ports of its host and from strangers, which routing must drop; shaped as STUN
//! (naming the peer's ufrag or not, with lying lengths), DTLS records, RTP/RTCP, or raw bytes,
//! with time passing in between. Then the genuine client's traffic carries on.
//!
//! Properties: no panic, no endless loop; routing asks at most one peer per datagram
//! (`Sfu::route_probes`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use trtc_fuzz::{UdpInput, UdpSession};

fuzz_target!(|input: UdpInput| {
    let mut s = UdpSession::new();
    s.run(&input);
});
