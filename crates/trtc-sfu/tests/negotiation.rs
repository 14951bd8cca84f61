//! The server makes every offer; one outstanding per peer; slots follow publish/sources/peers.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::World;
use str0m::media::{Direction, MediaKind};
use str0m::Rtc;
use trtc_sfu::{Kind, SfuEvent, Slot};

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;

fn set(slots: &[Slot]) -> BTreeSet<(Option<u64>, bool)> {
    slots
        .iter()
        .map(|s| (s.source, s.kind == Kind::Video))
        .collect()
}

fn both(source: Option<u64>) -> [(Option<u64>, bool); 2] {
    [(source, false), (source, true)]
}

#[test]
fn first_offers_carry_own_upstream_and_existing_remote_tracks() {
    let mut w = World::new();
    w.join(A);
    w.sfu.set_publish(A, true, true, w.now);
    w.settle();
    assert_eq!(w.offers_for(A).len(), 1);
    assert_eq!(set(w.offers_for(A)[0]), both(None).into());

    // A late joiner: its first offer already has A's tracks, in one offer.
    w.join(B);
    assert!(
        w.offers_for(B).is_empty(),
        "nothing to offer before B has a slot"
    );
    w.add_sources(B, A);
    assert_eq!(
        w.offers_for(B).len(),
        1,
        "add_source for audio and video made one offer"
    );
    assert_eq!(set(w.offers_for(B)[0]), both(Some(A)).into());
    assert!(
        w.answer_results.iter().all(|(_, r)| r.is_ok()),
        "{:?}",
        w.answer_results
    );
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));

    // Mids are unique within a peer.
    let mids: BTreeSet<&str> = w.offers_for(B)[0].iter().map(|s| s.mid.as_str()).collect();
    assert_eq!(mids.len(), 2);
}

#[test]
fn one_offer_at_a_time_and_changes_are_queued() {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.join(C);
    w.client(C).auto_answer = false;
    w.sfu.set_publish(A, true, false, w.now);
    w.add_sources(C, A);
    assert_eq!(w.offers_for(C).len(), 1);
    assert!(w.sfu.has_pending_offer(C));

    // While C's offer is outstanding, more changes come: A adds video, B publishes.
    w.sfu.set_publish(A, true, true, w.now);
    w.sfu.set_publish(B, true, true, w.now);
    w.add_sources(C, B);
    w.run_for(Duration::from_millis(100));
    assert_eq!(
        w.offers_for(C).len(),
        1,
        "no second offer while one is outstanding"
    );

    // The answer releases the queued changes, all in one offer.
    w.answer_next(C).expect("answer accepted");
    assert_eq!(w.offers_for(C).len(), 2);
    assert_eq!(
        set(w.offers_for(C)[1]),
        [
            (Some(A), false),
            (Some(A), true),
            (Some(B), false),
            (Some(B), true)
        ]
        .into()
    );
    w.answer_next(C).expect("second answer accepted");
    assert!(!w.sfu.has_pending_offer(C));
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
}

#[test]
fn removing_a_peer_renegotiates_its_subscribers() {
    let mut w = World::new();
    for p in [A, B, C] {
        w.join(p);
    }
    w.sfu.set_publish(A, true, true, w.now);
    w.sfu.set_publish(C, true, false, w.now);
    w.add_sources(B, A);
    w.add_sources(B, C);
    w.subscribe(B, A, Kind::Audio, true);
    w.subscribe(B, A, Kind::Video, true);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_secs(1));
    assert!(w.c(B).rx_from(A, Kind::Audio).frames > 0);
    let offers_before = w.offers_for(B).len();

    w.sfu.remove_peer(A);
    w.settle();
    assert!(!w.sfu.has_peer(A));
    let offers = w.offers_for(B);
    assert_eq!(
        offers.len(),
        offers_before + 1,
        "B got a renegotiation offer"
    );
    assert_eq!(
        set(offers.last().unwrap()),
        [(Some(C), false)].into(),
        "without A's slots"
    );
    assert!(w.answer_results.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(w.disconnected(A), None, "remove_peer emits no event");

    // B stays connected; nothing more from A; A's client is told goodbye.
    let got = w.c(B).rx_from(A, Kind::Audio).frames;
    w.run_for(Duration::from_secs(1));
    assert_eq!(w.c(B).rx_from(A, Kind::Audio).frames, got);
    assert!(w.sfu.is_connected(B));
    assert!(
        w.c(A).closed,
        "A's client saw the server close the connection"
    );

    // A returns with the same id: a fresh peer; B must be given the source again.
    w.new_connection(A);
    w.sfu.add_peer(A, w.now);
    w.sfu.set_publish(A, true, false, w.now);
    w.settle();
    assert_eq!(
        set(w.offers_for(B).last().unwrap()),
        [(Some(C), false)].into()
    );
    w.add_sources(B, A);
    assert_eq!(
        set(w.offers_for(B).last().unwrap()),
        [(Some(C), false), (Some(A), false)].into()
    );
}

#[test]
fn unpublishing_and_removing_sources_remove_slots() {
    let mut w = World::new();
    for p in [A, B] {
        w.join(p);
    }
    w.sfu.set_publish(A, true, true, w.now);
    w.add_sources(B, A);
    w.subscribe(B, A, Kind::Audio, true);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_secs(1));

    // A stops sending audio.
    w.sfu.set_publish(A, false, true, w.now);
    w.settle();
    assert_eq!(set(w.offers_for(A).last().unwrap()), [(None, true)].into());
    assert_eq!(
        set(w.offers_for(B).last().unwrap()),
        [(Some(A), true)].into()
    );
    assert!(w.events.iter().any(|(_, e)| *e
        == SfuEvent::Publishing {
            peer: A,
            kind: Kind::Audio,
            active: false
        }));
    // The stopped m-line is inactive on the client.
    let old_audio_mid = w.offers_for(B)[0]
        .iter()
        .find(|s| s.kind == Kind::Audio)
        .unwrap()
        .mid
        .clone();
    let dir = w
        .c(B)
        .rtc
        .media(old_audio_mid.as_str().into())
        .map(|m| m.direction());
    assert!(matches!(dir, None | Some(Direction::Inactive)), "{dir:?}");

    // The room layer takes A's video away from B.
    w.sfu.remove_source(B, A, Kind::Video, w.now);
    w.settle();
    assert!(w.offers_for(B).last().unwrap().is_empty());

    // A publishes audio again: a new slot (a new mid) for A; B gets a slot for it by itself,
    // as the room layer's registration of A's audio for B is still there.
    w.sfu.set_publish(A, true, true, w.now);
    w.settle();
    let a_audio = w
        .offers_for(A)
        .last()
        .unwrap()
        .iter()
        .find(|s| s.kind == Kind::Audio)
        .unwrap()
        .mid
        .clone();
    assert_ne!(
        a_audio,
        w.offers_for(A)[0]
            .iter()
            .find(|s| s.kind == Kind::Audio)
            .unwrap()
            .mid
    );
    assert_eq!(
        set(w.offers_for(B).last().unwrap()),
        [(Some(A), false)].into()
    );
    assert!(
        w.answer_results.iter().all(|(_, r)| r.is_ok()),
        "{:?}",
        w.answer_results
    );
    // And forwarding resumes on the new slot (B's subscription survived).
    w.run_for(Duration::from_millis(500));
    let before = w.c(B).rx_from(A, Kind::Audio).frames;
    w.run_for(Duration::from_secs(1));
    assert!(w.c(B).rx_from(A, Kind::Audio).frames >= before + 40);
}

/// An answer to some other offer: parses, but does not fit.
fn foreign_answer(now: Instant) -> String {
    let mut offerer = Rtc::new(now);
    let mut api = offerer.sdp_api();
    api.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
    api.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
    api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    let (offer, _pending) = api.apply().unwrap();
    let mut answerer = Rtc::new(now);
    answerer
        .sdp_api()
        .accept_offer(offer)
        .unwrap()
        .to_sdp_string()
}

#[test]
fn bad_answers_are_errors_not_panics() {
    let mut w = World::new();
    w.join(A);
    w.client(A).auto_answer = false;
    w.sfu.set_publish(A, true, true, w.now);
    w.settle();
    assert_eq!(w.offers_for(A).len(), 1);

    // Not SDP at all: refused by the parser.
    for junk in [
        "",
        "hello",
        "v=0\r\n",
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        "\u{0}\u{ff}",
    ] {
        let e = trtc_sfu::parse_answer(junk).unwrap_err();
        assert!(e.contains("does not parse"), "{e}");
    }
    // One answer per offer: an answer that does not parse uses the offer up and counts as a
    // failed answer; a new offer follows.
    let e = w.sfu.accept_answer(A, "hello", w.now).unwrap_err();
    assert!(e.contains("does not parse"), "{e}");
    assert!(!w.sfu.has_pending_offer(A), "the offer is used up");
    // Another answer to it is refused without a look.
    let e = w.sfu.accept_answer(A, "hello", w.now).unwrap_err();
    assert!(e.contains("no offer is outstanding"), "{e}");
    w.settle();
    assert_eq!(
        w.offers_for(A).len(),
        2,
        "a new offer follows an answer that does not parse"
    );

    // SDP that str0m rejects: an error and a fresh offer.
    let e = w
        .sfu
        .accept_answer(A, &foreign_answer(w.now), w.now)
        .unwrap_err();
    assert!(e.contains("rejected"), "{e}");
    w.settle();
    assert_eq!(
        w.offers_for(A).len(),
        3,
        "a new offer follows a rejected answer"
    );
    assert_eq!(set(w.offers_for(A)[2]), both(None).into());

    // The browser makes a new connection for it and all is well.
    w.new_connection(A);
    w.client(A).unanswered.drain(..2);
    w.answer_next(A).expect("a good answer is accepted");
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));

    // A connected peer: a rejected renegotiation answer leaves the connection alone.
    w.join(B);
    w.sfu.set_publish(B, true, false, w.now);
    w.sfu.add_source(A, B, Kind::Audio, w.now);
    w.sfu.subscribe(A, B, Kind::Audio, true, w.now);
    w.settle();
    let n = w.offers_for(A).len();
    assert!(w
        .sfu
        .accept_answer(A, &foreign_answer(w.now), w.now)
        .is_err());
    w.settle();
    assert_eq!(w.offers_for(A).len(), n + 1);
    w.client(A).unanswered.remove(0);
    w.answer_next(A).expect("the re-offer is answered");
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_secs(1));
    assert!(
        w.c(A).rx_from(B, Kind::Audio).frames > 30,
        "media flows after the recovery"
    );
    assert!(w.c(B).rx_total_frames() == 0);

    // Answers with no offer outstanding, or for unknown peers.
    assert!(w.sfu.accept_answer(B, "v=0", w.now).is_err());
    assert!(w.sfu.accept_answer(99, "v=0", w.now).is_err());
}

/// `answer` with the codec of `pt` renamed in its last m-line that names it.
fn recodec_last(answer: &str, pt: &str, from: &str, to: &str) -> String {
    let needle = format!("a=rtpmap:{pt} {from}");
    let at = answer
        .rfind(&needle)
        .expect("the payload type is in the answer");
    let mut out = answer.to_string();
    out.replace_range(at..at + needle.len(), &format!("a=rtpmap:{pt} {to}"));
    out
}

/// str0m 0.25 panics ("Pt locked multiple times") on an answer that gives one payload type
/// two codecs in two m-lines (found by `fuzz/`, target `sdp_answer`). The SFU refuses it
/// before str0m sees it, like an answer that does not parse: an error, the offer is used up and
/// a new one follows, and the browser's real answer to that one is taken.
#[test]
fn an_answer_with_one_payload_type_for_two_codecs_is_refused_not_a_panic() {
    for recoded in ["video", "audio"] {
        let mut w = World::new();
        w.join(A);
        w.join(B);
        w.sfu.set_publish(A, true, true, w.now);
        w.sfu.set_publish(B, true, true, w.now);
        w.settle();
        w.client(A).auto_answer = false;
        w.add_sources(A, B);
        assert!(w.sfu.has_pending_offer(A));
        let (offer, _) = w.client(A).unanswered.last().cloned().expect("an offer");
        assert!(offer.matches("m=video").count() >= 2, "{offer}");
        // Answer-shaped text made from the offer (the client's own connection is left as it
        // is, to answer the next offer for real).
        let good = offer.replace("a=setup:actpass", "a=setup:active");
        let codec = |name: &str| {
            good.lines()
                .find_map(|l| l.strip_prefix("a=rtpmap:")?.strip_suffix(name))
                .expect("the codec is in the answer")
                .to_string()
        };
        let bad = if recoded == "video" {
            recodec_last(&good, &codec(" VP8/90000"), "VP8/90000", "VP9/90000")
        } else {
            recodec_last(&good, &codec(" opus/48000/2"), "opus/48000/2", "PCMU/8000")
        };
        let offers_before = w.offers_for(A).len();
        let e = w.sfu.accept_answer(A, &bad, w.now).unwrap_err();
        assert!(e.contains("payload type") && e.contains("RFC 8843"), "{e}");
        assert!(!w.sfu.has_pending_offer(A), "the offer is used up");
        w.settle();
        assert_eq!(w.offers_for(A).len(), offers_before + 1, "a new offer");
        assert_eq!(w.disconnected(A), None);

        // The browser's answer to the new offer is accepted.
        let stale = w.client(A).unanswered.len() - 1;
        w.client(A).unanswered.drain(..stale);
        w.answer_next(A).expect("the real answer");
        assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    }
}

#[test]
fn repeated_rejected_answers_close_the_peer() {
    let mut w = World::new();
    w.join(A);
    w.client(A).auto_answer = false;
    w.sfu.set_publish(A, true, false, w.now);
    w.settle();
    for i in 0..trtc_sfu::MAX_FAILED_ANSWERS {
        assert_eq!(w.disconnected(A), None);
        assert!(
            w.sfu
                .accept_answer(A, &foreign_answer(w.now), w.now)
                .is_err(),
            "answer {i}"
        );
        w.settle();
    }
    assert!(
        w.disconnected(A).is_some_and(|r| r.contains("rejected")),
        "{:?}",
        w.disconnected(A)
    );
    assert!(!w.sfu.has_peer(A));
}

#[test]
fn unknown_peers_and_self_references_are_ignored() {
    let mut w = World::new();
    w.join(A);
    let now = w.now;
    w.sfu.set_publish(42, true, true, now);
    w.sfu.add_source(42, A, Kind::Audio, now);
    w.sfu.add_source(A, 42, Kind::Audio, now);
    w.sfu.add_source(A, A, Kind::Audio, now);
    w.sfu.subscribe(A, 42, Kind::Video, true, now);
    w.sfu.subscribe(42, A, Kind::Video, true, now);
    w.sfu.remove_source(A, 42, Kind::Video, now);
    w.sfu.remove_peer(42);
    w.sfu.handle_timeout(now);
    w.settle();
    assert!(w.offers_for(A).is_empty(), "nothing happened to A");
    assert!(w.events.is_empty(), "{:?}", w.events);
}

#[test]
fn the_bundle_tag_is_a_data_channel_that_is_never_stopped() {
    // Stopping the m-line that is the BUNDLE tag makes a browser reset its transport (the
    // connection closes), so the first m-line of every peer is an application one.
    let mut w = World::new();
    w.join(A);
    w.sfu.set_publish(A, true, true, w.now);
    w.settle();
    w.join(B);
    w.add_sources(B, A);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    let sdps_for = |w: &World, peer| -> Vec<String> {
        w.events
            .iter()
            .filter_map(|(_, e)| match e {
                trtc_sfu::SfuEvent::Offer { peer: p, sdp, .. } if *p == peer => Some(sdp.clone()),
                _ => None,
            })
            .collect()
    };
    let first = &sdps_for(&w, B)[0];
    let first_m = first.lines().find(|l| l.starts_with("m=")).unwrap();
    assert!(first_m.starts_with("m=application"), "{first_m}");
    // A leaves: B's next offer stops A's media m-lines but keeps the application one open.
    w.sfu.remove_peer(A);
    w.settle();
    let offers = sdps_for(&w, B);
    assert!(offers.len() >= 2, "B was renegotiated");
    let last = offers.last().unwrap();
    let app = last
        .lines()
        .find(|l| l.starts_with("m=application"))
        .unwrap();
    assert!(
        !app.starts_with("m=application 0 "),
        "the tag stays open: {app}"
    );
    assert!(
        last.lines().any(|l| l.starts_with("m=video 0 ")),
        "A's video m-line is stopped"
    );
}

/// Every Opus line of the server's offers, upstream (the browser sends) and downstream (the
/// server sends), says `stereo=1; sprop-stereo=1`: a browser encodes two channels only when the
/// description it was given has `stereo=1`, and the subscribers learn the stream may be stereo.
/// Answers without stereo are still accepted and media flows (str0m matches Opus by codec).
#[test]
fn offers_carry_opus_stereo_both_ways() {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.sfu.set_publish(A, true, true, w.now);
    w.add_sources(B, A);
    w.settle();
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    for peer in [A, B] {
        let sdp = w
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                SfuEvent::Offer { peer: p, sdp, .. } if *p == peer => Some(sdp.clone()),
                _ => None,
            })
            .next_back()
            .expect("an offer");
        let opus_pt = sdp
            .lines()
            .find_map(|l| l.strip_prefix("a=rtpmap:")?.strip_suffix(" opus/48000/2"))
            .expect("Opus is offered")
            .to_string();
        let fmtp: Vec<&str> = sdp
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("a=fmtp:{opus_pt} ")))
            .collect();
        assert_eq!(fmtp.len(), 1, "one audio m-line for {peer}: {sdp}");
        let params: BTreeSet<&str> = fmtp[0].split(';').map(str::trim).collect();
        for p in [
            "stereo=1",
            "sprop-stereo=1",
            "minptime=10",
            "useinbandfec=1",
        ] {
            assert!(params.contains(p), "{p} in {:?} (peer {peer})", fmtp[0]);
        }
    }
    // B receives A's audio (the test clients answer with str0m's defaults: no stereo).
    w.subscribe(B, A, Kind::Audio, true);
    w.run_for(Duration::from_secs(1));
    let audio = w.c(B).rx_from(A, Kind::Audio);
    assert!(audio.frames >= 40, "Opus flows to B: {audio:?}");
}
