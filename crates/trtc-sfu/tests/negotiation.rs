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
    w.watch(B, A);
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
    w.watch(C, A);
    assert_eq!(w.offers_for(C).len(), 1);
    assert!(w.sfu.has_pending_offer(C));

    // While C's offer is outstanding, more changes come: A adds video, B publishes.
    w.sfu.set_publish(A, true, true, w.now);
    w.sfu.set_publish(B, true, true, w.now);
    w.watch(C, B);
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
    w.watch(B, A);
    w.watch(B, C);
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
    w.watch(B, A);
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
    w.watch(B, A);
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
        w.watch(A, B);
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
    w.watch(B, A);
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
    // A leaves: B's next offer makes A's media m-lines inactive (kept for reuse) and keeps the
    // application one open.
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
    let video = last
        .split("\r\nm=")
        .find(|section| section.starts_with("video "))
        .expect("a video m-line");
    assert!(
        video.lines().any(|l| l == "a=inactive"),
        "A's video m-line is inactive: {video}"
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
    w.watch(B, A);
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

/// The m-lines of `peer`'s last offer: (media type, inactive).
fn m_lines(w: &World, peer: u64) -> Vec<(String, bool)> {
    let sdp = w
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SfuEvent::Offer { peer: p, sdp, .. } if *p == peer => Some(sdp.clone()),
            _ => None,
        })
        .next_back()
        .expect("an offer");
    sdp.split("\r\nm=")
        .skip(1)
        .map(|section| {
            let kind = section.split(' ').next().unwrap_or_default().to_string();
            (kind, section.lines().any(|l| l == "a=inactive"))
        })
        .collect()
}

#[test]
fn a_subscribers_sdp_stays_bounded_while_publishers_come_and_go() {
    // B watches one publisher at a time; twenty come and go. Each one's audio and video reuse
    // the m-lines the one before left idle.
    let mut w = World::new();
    w.join(B);
    let mut sizes = Vec::new();
    for i in 0..20u64 {
        let p = 100 + i;
        w.join(p);
        w.sfu.set_publish(p, true, true, w.now);
        w.watch(B, p);
        assert!(w.run_until(Duration::from_secs(5), World::all_connected));
        w.run_for(Duration::from_millis(300));
        assert!(
            w.c(B).rx_from(p, Kind::Video).keyframes >= 1,
            "publisher {i}: B sees its video"
        );
        let slots = w.c(B).slots.clone();
        assert_eq!(set(&slots), both(Some(p)).into(), "publisher {i}");
        sizes.push(m_lines(&w, B).len());
        w.sfu.remove_peer(p);
        w.clients.remove(&p);
        w.settle();
    }
    // The data channel, one audio and one video m-line, for ever.
    assert!(
        sizes.iter().all(|n| *n == 3),
        "m-lines per offer: {sizes:?}"
    );
    let lines = m_lines(&w, B);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().skip(1).all(|(_, inactive)| *inactive),
        "{lines:?}"
    );
}

#[test]
fn an_audience_rendering_nine_of_fifty_videos_has_nine_video_m_lines() {
    let mut w = World::new();
    w.join(B);
    for p in 100..150u64 {
        w.join(p);
        w.sfu.set_publish(p, true, true, w.now);
        w.sfu.add_source(B, p, Kind::Audio, w.now);
        w.sfu.add_source(B, p, Kind::Video, w.now);
    }
    for p in 100..109u64 {
        w.sfu.subscribe(B, p, Kind::Video, true, w.now);
    }
    w.settle();
    assert!(w.run_until(Duration::from_secs(10), World::all_connected));
    let slots = &w.c(B).slots;
    let videos = slots.iter().filter(|s| s.kind == Kind::Video).count();
    let audios = slots.iter().filter(|s| s.kind == Kind::Audio).count();
    assert_eq!((audios, videos), (50, 9));
    let lines = m_lines(&w, B);
    assert_eq!(lines.iter().filter(|(k, _)| k == "video").count(), 9);
    // Watching another instead of one of the nine swaps it on the same m-line.
    w.subscribe(B, 100, Kind::Video, false);
    w.subscribe(B, 120, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        m_lines(&w, B).iter().filter(|(k, _)| k == "video").count(),
        9
    );
    assert!(w.c(B).rx_from(120, Kind::Video).keyframes >= 1);
}

#[test]
fn stopping_and_starting_a_video_again_keeps_its_slot_with_no_offer() {
    // `stopRemoteVideo` then `startRemoteVideo` of the same user: the slot stays the user's
    // (still sending), so neither needs an offer and the browser sees nothing change.
    let mut w = World::new();
    for p in [A, B] {
        w.join(p);
    }
    w.sfu.set_publish(A, true, true, w.now);
    w.watch(B, A);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_millis(500));
    let mid = w.c(B).mid_of(Some(A), Kind::Video).expect("a video slot");
    let offers = w.offers_for(B).len();
    w.subscribe(B, A, Kind::Video, false);
    w.run_for(Duration::from_millis(500));
    assert_eq!(w.offers_for(B).len(), offers, "no offer for the stop");
    assert_eq!(w.c(B).mid_of(Some(A), Kind::Video), Some(mid), "kept");
    let stopped = w.c(B).rx_from(A, Kind::Video);
    w.run_for(Duration::from_millis(500));
    assert_eq!(
        w.c(B).rx_from(A, Kind::Video).frames,
        stopped.frames,
        "nothing is sent while stopped"
    );
    let t = w.now;
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    assert_eq!(w.offers_for(B).len(), offers, "no offer for the start");
    assert_eq!(
        w.c(B).mid_of(Some(A), Kind::Video),
        Some(mid),
        "the same slot"
    );
    assert!(
        w.c(A).keyframe_requests_since(t) >= 1,
        "the publisher was asked for a keyframe"
    );
    let after = w.c(B).rx_from(A, Kind::Video);
    assert!(
        after.frames >= stopped.frames + 10 && after.keyframes > stopped.keyframes,
        "{stopped:?} then {after:?}"
    );
}

#[test]
fn a_stopped_video_keeps_its_slot_until_another_video_needs_it() {
    // B renders A, stops, renders C: C takes A's m-line (nothing else is free); rendering A
    // again then takes a new one. The publisher that left frees its slot at once.
    let mut w = World::new();
    for p in [A, B, C] {
        w.join(p);
    }
    w.sfu.set_publish(A, true, true, w.now);
    w.sfu.set_publish(C, false, true, w.now);
    w.watch(B, A);
    w.sfu.add_source(B, C, Kind::Video, w.now);
    w.settle();
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    let mid = w.c(B).mid_of(Some(A), Kind::Video).expect("a video slot");
    let lines = m_lines(&w, B).len();
    w.subscribe(B, A, Kind::Video, false);
    w.subscribe(B, C, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        w.c(B).mid_of(Some(C), Kind::Video),
        Some(mid),
        "turned over"
    );
    assert_eq!(w.c(B).mid_of(Some(A), Kind::Video), None);
    assert!(w.c(B).rx_from(C, Kind::Video).keyframes >= 1);
    assert_eq!(m_lines(&w, B).len(), lines, "no m-line added");
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        m_lines(&w, B).len(),
        lines + 1,
        "both rendered: two video m-lines"
    );
    let before = w.c(B).rx_from(A, Kind::Video);
    w.run_for(Duration::from_millis(500));
    assert!(w.c(B).rx_from(A, Kind::Video).frames > before.frames);
    // C leaves: its slot goes idle (inactive) in the next offer at once.
    w.sfu.remove_peer(C);
    w.clients.remove(&C);
    w.settle();
    let idle = m_lines(&w, B)
        .iter()
        .filter(|(k, inactive)| k == "video" && *inactive)
        .count();
    assert_eq!(idle, 1, "{:?}", m_lines(&w, B));
    assert_eq!(m_lines(&w, B).len(), lines + 1);
}

#[test]
fn a_reused_slot_in_a_rejected_offer_is_reused_again_by_the_next() {
    let mut w = World::new();
    for p in [A, B, C] {
        w.join(p);
    }
    w.sfu.set_publish(A, true, true, w.now);
    w.sfu.set_publish(C, false, true, w.now);
    w.watch(B, A);
    w.sfu.add_source(B, C, Kind::Video, w.now);
    w.settle();
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    let mid = w.c(B).mid_of(Some(A), Kind::Video).expect("a video slot");
    w.subscribe(B, A, Kind::Video, false);
    assert_eq!(w.c(B).mid_of(Some(A), Kind::Video), Some(mid), "kept");
    // The offer that turns it over to C is answered with nonsense: refused, and made again.
    w.client(B).auto_answer = false;
    w.subscribe(B, C, Kind::Video, true);
    let offers = w.offers_for(B).len();
    assert_eq!(
        w.offers_for(B).last().and_then(|slots| slots
            .iter()
            .find(|s| s.kind == Kind::Video)
            .map(|s| s.source)),
        Some(Some(C)),
        "offered to C"
    );
    w.client(B).unanswered.clear();
    let now = w.now;
    assert!(w.sfu.accept_answer(B, &foreign_answer(now), now).is_err());
    w.settle();
    assert_eq!(w.offers_for(B).len(), offers + 1, "offered again");
    w.answer_next(B)
        .expect("the new offer's answer is accepted");
    w.client(B).auto_answer = true;
    assert_eq!(
        w.c(B).mid_of(Some(C), Kind::Video),
        Some(mid),
        "the same m-line"
    );
    let before = w.c(B).rx_from(C, Kind::Video);
    w.run_for(Duration::from_secs(1));
    let after = w.c(B).rx_from(C, Kind::Video);
    assert!(
        after.frames >= before.frames + 10,
        "{before:?} then {after:?}"
    );
    assert_eq!(m_lines(&w, B).len(), 3, "no m-line was added");
}
