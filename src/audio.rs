//! Web Audio: one `AudioContext` for the whole SDK, and the local microphone's graph
//! (source → capture gain → analyser; → publish gain → the published track; → ear-monitor
//! gain → speakers).

use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    AnalyserNode, AudioContext, AudioContextState, GainNode, MediaStream,
    MediaStreamAudioDestinationNode, MediaStreamAudioSourceNode, MediaStreamTrack,
};

thread_local! {
    static CONTEXT: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

/// The SDK's one `AudioContext`, created on first use and resumed if the browser suspended it.
pub fn context() -> Result<AudioContext, JsValue> {
    let ctx = CONTEXT.with(|c| -> Result<AudioContext, JsValue> {
        let mut slot = c.borrow_mut();
        if let Some(ctx) = slot.as_ref() {
            if ctx.state() != AudioContextState::Closed {
                return Ok(ctx.clone());
            }
        }
        let ctx = AudioContext::new()?;
        *slot = Some(ctx.clone());
        Ok(ctx)
    })?;
    resume(&ctx);
    Ok(ctx)
}

/// The SDK's context if it was created.
pub fn existing_context() -> Option<AudioContext> {
    CONTEXT.with(|c| c.borrow().clone())
}

/// The sample rate of the SDK's context, if it exists (no context is created for this).
pub fn sample_rate() -> Option<f64> {
    CONTEXT.with(|c| c.borrow().as_ref().map(|ctx| ctx.sample_rate() as f64))
}

/// Asks a suspended context to run (it may need a user gesture; then it resumes on the next one).
pub fn resume(ctx: &AudioContext) {
    if ctx.state() == AudioContextState::Suspended {
        if let Ok(p) = ctx.resume() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(p).await;
            });
        }
    }
}

fn stream_of(track: &MediaStreamTrack) -> Result<MediaStream, JsValue> {
    MediaStream::new_with_tracks(&js_sys::Array::of1(track))
}

/// Measures the level of a (remote) track: source → analyser, nothing audible.
pub struct LevelMeter {
    source: MediaStreamAudioSourceNode,
    analyser: AnalyserNode,
    buffer: RefCell<Vec<f32>>,
    sample_rate: f64,
}

impl LevelMeter {
    pub fn new(track: &MediaStreamTrack, window: u32) -> Result<LevelMeter, JsValue> {
        let ctx = context()?;
        let analyser = ctx.create_analyser()?;
        analyser.set_fft_size(window);
        let source = ctx.create_media_stream_source(&stream_of(track)?)?;
        source.connect_with_audio_node(&analyser)?;
        Ok(LevelMeter {
            source,
            analyser,
            buffer: RefCell::new(Vec::new()),
            sample_rate: ctx.sample_rate() as f64,
        })
    }

    pub fn set_window(&self, window: u32) {
        if self.analyser.fft_size() != window {
            self.analyser.set_fft_size(window);
        }
    }

    /// The level 0..=1 over the analysis window (same measure as the microphone's).
    pub fn level(&self) -> f64 {
        let mut buf = self.buffer.borrow_mut();
        buf.resize(self.analyser.fft_size() as usize, 0.0);
        self.analyser.get_float_time_domain_data(&mut buf);
        trtc_core::volume::level(&buf, self.sample_rate)
    }
}

impl Drop for LevelMeter {
    fn drop(&mut self) {
        let _ = self.source.disconnect();
        let _ = self.analyser.disconnect();
    }
}

/// Plays a remote track louder than its media element can (`setRemoteAudioVolume` above 100):
/// source → gain → the speakers, through the SDK's one context.
pub struct Amplifier {
    source: MediaStreamAudioSourceNode,
    gain: GainNode,
}

impl Amplifier {
    pub fn new(track: &MediaStreamTrack, gain: f64) -> Result<Amplifier, JsValue> {
        let ctx = context()?;
        let source = ctx.create_media_stream_source(&stream_of(track)?)?;
        let node = ctx.create_gain()?;
        node.gain().set_value(gain as f32);
        source.connect_with_audio_node(&node)?;
        node.connect_with_audio_node(&ctx.destination())?;
        Ok(Amplifier { source, gain: node })
    }

    pub fn set_gain(&self, gain: f64) {
        self.gain.gain().set_value(gain as f32);
    }
}

impl Drop for Amplifier {
    fn drop(&mut self) {
        let _ = self.source.disconnect();
        let _ = self.gain.disconnect();
    }
}

/// The local microphone's processing graph.
pub struct MicGraph {
    ctx: AudioContext,
    source: RefCell<Option<MediaStreamAudioSourceNode>>,
    capture_gain: GainNode,
    analyser: AnalyserNode,
    ear_gain: GainNode,
    ear_on: Cell<bool>,
    publish_gain: GainNode,
    publish_track: MediaStreamTrack,
    buffer: RefCell<Vec<f32>>,
}

impl MicGraph {
    pub fn new(track: &MediaStreamTrack, window: u32) -> Result<MicGraph, JsValue> {
        let ctx = context()?;
        let capture_gain = ctx.create_gain()?;
        let analyser = ctx.create_analyser()?;
        let ear_gain = ctx.create_gain()?;
        let publish_gain = ctx.create_gain()?;
        let destination: MediaStreamAudioDestinationNode = ctx.create_media_stream_destination()?;
        capture_gain.connect_with_audio_node(&analyser)?;
        capture_gain.connect_with_audio_node(&ear_gain)?;
        capture_gain.connect_with_audio_node(&publish_gain)?;
        publish_gain.connect_with_audio_node(&destination)?;
        let publish_track: MediaStreamTrack = destination
            .stream()
            .get_audio_tracks()
            .get(0)
            .dyn_into()
            .map_err(|_| JsValue::from_str("no track from the audio destination"))?;
        let g = MicGraph {
            ctx,
            source: RefCell::new(None),
            capture_gain,
            analyser,
            ear_gain,
            ear_on: Cell::new(false),
            publish_gain,
            publish_track,
            buffer: RefCell::new(Vec::new()),
        };
        g.set_window(window);
        g.set_source(track)?;
        Ok(g)
    }

    pub fn sample_rate(&self) -> f64 {
        self.ctx.sample_rate() as f64
    }

    /// Feeds the graph from `track` (on start and on a microphone switch).
    pub fn set_source(&self, track: &MediaStreamTrack) -> Result<(), JsValue> {
        let node = self.ctx.create_media_stream_source(&stream_of(track)?)?;
        node.connect_with_audio_node(&self.capture_gain)?;
        if let Some(old) = self.source.replace(Some(node)) {
            let _ = old.disconnect();
        }
        resume(&self.ctx);
        Ok(())
    }

    /// Disconnects the source (the microphone was released).
    pub fn clear_source(&self) {
        if let Some(old) = self.source.take() {
            let _ = old.disconnect();
        }
    }

    /// `captureVolume`: 100 = unchanged, above amplifies.
    pub fn set_capture_volume(&self, volume: f64) {
        self.capture_gain.gain().set_value((volume / 100.0) as f32);
    }

    /// The processed track that is published (capture volume applied, silent while muted).
    pub fn publish_track(&self) -> MediaStreamTrack {
        Clone::clone(&self.publish_track)
    }

    /// Silences (or not) what is published.
    pub fn set_publish_muted(&self, muted: bool) {
        self.publish_gain
            .gain()
            .set_value(if muted { 0.0 } else { 1.0 });
    }

    /// `earMonitorVolume` 0..=100; returns whether the monitor is now playing.
    pub fn set_ear_volume(&self, volume: f64) -> bool {
        self.ear_gain.gain().set_value((volume / 100.0) as f32);
        let want = volume > 0.0;
        if want != self.ear_on.get() {
            if want {
                let _ = self
                    .ear_gain
                    .connect_with_audio_node(&self.ctx.destination());
            } else {
                let _ = self.ear_gain.disconnect();
            }
            self.ear_on.set(want);
        }
        want
    }

    pub fn ear_on(&self) -> bool {
        self.ear_on.get()
    }

    /// The analysis window in samples (a power of two).
    pub fn set_window(&self, window: u32) {
        if self.analyser.fft_size() != window {
            self.analyser.set_fft_size(window);
        }
    }

    /// The level 0..=1 over the analysis window.
    pub fn level(&self) -> f64 {
        if self.source.borrow().is_none() {
            return 0.0;
        }
        let mut buf = self.buffer.borrow_mut();
        buf.resize(self.analyser.fft_size() as usize, 0.0);
        self.analyser.get_float_time_domain_data(&mut buf);
        trtc_core::volume::level(&buf, self.sample_rate())
    }

    pub fn close(&self) {
        self.clear_source();
        let _ = self.capture_gain.disconnect();
        let _ = self.ear_gain.disconnect();
        let _ = self.publish_gain.disconnect();
        let _ = self.analyser.disconnect();
        self.publish_track.stop();
        self.ear_on.set(false);
    }
}

impl Drop for MicGraph {
    fn drop(&mut self) {
        self.close();
    }
}
