//! The bot participant: one load-client user that joins a room through the real signalling and
//! publishes the compiled-in [`Clip`] (a moving test pattern and a beeping tone), so that a test
//! with a single page sees and hears a remote user. The server starts bots in dev mode
//! (`POST /trtc/dev/bot`); anything else may start one with [`Bot::spawn`].

use std::net::IpAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use trtc_proto::RoomId;

use crate::clip::Clip;
use crate::media::VideoConfig;
use crate::user::{run_user, Common, Phase, UserReport, UserSpec};

/// Where and as whom a bot joins.
#[derive(Debug, Clone)]
pub struct BotConfig {
    /// `ws://host:port/trtc/ws` of the server.
    pub ws_url: String,
    /// The application it joins in.
    pub sdk_app_id: u64,
    /// The application's secret key (the bot signs its own userSig).
    pub key: String,
    /// The room.
    pub room: RoomId,
    /// Its userId.
    pub user_id: String,
    /// The local address its media socket binds to (the server's loopback, usually).
    pub bind_ip: IpAddr,
}

/// A running bot; it leaves the room when stopped or dropped.
pub struct Bot {
    phase: watch::Sender<Phase>,
    task: Option<tokio::task::JoinHandle<UserReport>>,
}

impl Bot {
    /// Starts a bot on the current tokio runtime.
    pub fn spawn(cfg: BotConfig) -> Bot {
        let clip = Clip::bot();
        let common = Arc::new(Common {
            ws_url: cfg.ws_url,
            sdk_app_id: cfg.sdk_app_id,
            key: cfg.key,
            room: cfg.room,
            bind_ip: cfg.bind_ip,
            transport: crate::user::Transport::Udp,
            video: VideoConfig {
                kbps: 250,
                fps: clip.fps,
                keyframe_interval: Duration::ZERO,
                key_ratio: 1,
                max_payload: 1100,
            },
            audio_bytes: 0,
            clip: Some(clip),
            small: None,
            subscribe_small: false,
            scene: trtc_core::room::Scene::Rtc,
        });
        let spec = UserSpec {
            user_id: cfg.user_id,
            publish_audio: true,
            publish_video: true,
            subscribe_audio: false,
            subscribe_video: false,
            room: None,
        };
        let (phase, rx) = watch::channel(Phase::Warmup);
        let task = tokio::spawn(run_user(spec, common, rx, Arc::new(AtomicUsize::new(0))));
        Bot {
            phase,
            task: Some(task),
        }
    }

    /// Whether it is still in the room (it stops by itself when the room is lost: kicked,
    /// dismissed, the server gone).
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Leaves the room and waits for the bot to finish; what it sent, or why it failed.
    pub async fn stop(mut self) -> Option<UserReport> {
        let _ = self.phase.send(Phase::Stop);
        self.task.take()?.await.ok()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.phase.send(Phase::Stop);
    }
}
