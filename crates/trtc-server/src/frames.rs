//! A gate under the WebSocket library: the bytes a client sends reach tungstenite one whole
//! frame at a time, and only frames within the connection's current limit.
//!
//! tungstenite reserves a frame's announced length as soon as it has read the frame's header
//! (`FrameCodec::read_frame`: `in_buffer.reserve(len)`), before any of the payload has
//! arrived: 14 bytes announcing 16 MiB cost the server 16 MiB (the heap grew by 2 GB for 1,000
//! such sockets). Behind this gate tungstenite sees a frame's header only once the whole frame
//! is here, so what a connection holds grows with what it has actually sent, never with what
//! it announced; and a frame (or a fragmented message) over the limit is refused from its
//! header, before its payload is read ([`TooLong`]).
//!
//! The limit is shared with the connection's task ([`FrameGate::limit`]): small until the
//! connection has joined a room (a `join` is well under 16 KiB), then the signalling message
//! cap. Frames are released one at a time and the next header is only looked at when
//! tungstenite asks for more, which it does after it has handed out the previous message: so a
//! `join` raises the limit before the frame after it is judged.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read from the socket in one go.
const CHUNK: usize = 8 * 1024;
/// A buffer that grew past this for one large frame is given back once that frame is out.
const KEEP_CAPACITY: usize = 64 * 1024;

/// The error a read fails with when a frame or message is over the limit (an
/// [`io::ErrorKind::InvalidData`] error wrapping this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// The announced size of the frame, or of the message so far with it.
    pub size: u64,
    /// The limit in force.
    pub limit: usize,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a message of {} bytes is over the limit of {} bytes",
            self.size, self.limit
        )
    }
}

impl std::error::Error for TooLong {}

impl TooLong {
    /// The [`TooLong`] inside an IO error, if that is what it is.
    pub fn from_io(e: &io::Error) -> Option<TooLong> {
        e.get_ref()?.downcast_ref::<TooLong>().copied()
    }
}

/// See the module docs.
pub struct FrameGate<S> {
    inner: S,
    limit: Arc<AtomicUsize>,
    /// Bytes read from `inner`; `buf[start..]` not yet handed out.
    buf: Vec<u8>,
    start: usize,
    /// Bytes from `start` that may be handed out (a whole frame).
    ready: usize,
    /// Payload bytes of the data message being assembled (its frames without FIN so far).
    message: u64,
    eof: bool,
}

impl<S> FrameGate<S> {
    /// A gate over `inner` that lets through frames within `limit` bytes (read at each frame).
    pub fn new(inner: S, limit: Arc<AtomicUsize>) -> Self {
        FrameGate {
            inner,
            limit,
            buf: Vec::new(),
            start: 0,
            ready: 0,
            message: 0,
            eof: false,
        }
    }

    /// Reads and throws away what the client sends, for at most `max_bytes` and `within`, or
    /// until it closes: after a refusal, so that closing does not reset a connection the client
    /// is still writing to (it would lose the reason it was sent).
    pub async fn discard(&mut self, max_bytes: usize, within: std::time::Duration)
    where
        S: AsyncRead + Unpin,
    {
        use tokio::io::AsyncReadExt;
        self.buf = Vec::new();
        self.start = 0;
        self.ready = 0;
        let mut scratch = [0u8; CHUNK];
        let mut left = max_bytes;
        let _ = tokio::time::timeout(within, async {
            while left > 0 {
                match self.inner.read(&mut scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        })
        .await;
    }

    /// Bytes held for frames not yet complete (for tests and diagnostics).
    pub fn held(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Looks at the frame at `buf[start..]`: its length once it is all here, `None` while it is
    /// not, an error when it is over the limit.
    fn scan(&mut self) -> io::Result<Option<usize>> {
        let data = &self.buf[self.start..];
        let Some(&[b0, b1]) = data.get(..2) else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let control = b0 & 0x08 != 0;
        let len7 = b1 & 0x7F;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let header = 2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 };
        let Some(h) = data.get(..header) else {
            return Ok(None);
        };
        let len: u64 = match ext {
            2 => u64::from(u16::from_be_bytes([h[2], h[3]])),
            8 => u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]),
            _ => u64::from(len7),
        };
        let limit = self.limit.load(Ordering::Relaxed);
        let size = if control {
            len
        } else {
            self.message.saturating_add(len)
        };
        if size > limit as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                TooLong { size, limit },
            ));
        }
        let total = header as u64 + len;
        if (data.len() as u64) < total {
            return Ok(None);
        }
        if !control {
            self.message = if fin { 0 } else { size };
        }
        Ok(Some(total as usize))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FrameGate<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready > 0 {
                let n = this.ready.min(out.remaining());
                out.put_slice(&this.buf[this.start..this.start + n]);
                this.start += n;
                this.ready -= n;
                if this.start == this.buf.len() {
                    if this.buf.capacity() > KEEP_CAPACITY {
                        this.buf = Vec::new();
                    } else {
                        this.buf.clear();
                    }
                    this.start = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if let Some(frame) = this.scan()? {
                this.ready = frame;
                continue;
            }
            if this.eof {
                // A frame cut short is not handed over (its header would make the reader
                // reserve its announced length): the reader sees the end of the stream.
                this.buf = Vec::new();
                this.start = 0;
                return Poll::Ready(Ok(()));
            }
            if this.start > 0 {
                this.buf.drain(..this.start);
                this.start = 0;
                if this.buf.capacity() > KEEP_CAPACITY && this.buf.len() < KEEP_CAPACITY / 2 {
                    this.buf.shrink_to(KEEP_CAPACITY);
                }
            }
            let mut chunk = [0u8; CHUNK];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    if rb.filled().is_empty() {
                        this.eof = true;
                    } else {
                        this.buf.extend_from_slice(rb.filled());
                    }
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FrameGate<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A masked client frame.
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
        let n = payload.len();
        if n < 126 {
            f.push(0x80 | n as u8);
        } else if n < 65536 {
            f.push(0x80 | 126);
            f.extend((n as u16).to_be_bytes());
        } else {
            f.push(0x80 | 127);
            f.extend((n as u64).to_be_bytes());
        }
        f.extend([0, 0, 0, 0]);
        f.extend(payload);
        f
    }

    async fn read_some<S: AsyncRead + Unpin>(g: &mut FrameGate<S>) -> io::Result<Vec<u8>> {
        let mut out = vec![0u8; 1 << 21];
        let n = g.read(&mut out).await?;
        out.truncate(n);
        Ok(out)
    }

    #[tokio::test]
    async fn frames_come_out_whole_and_one_at_a_time() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let mut g = FrameGate::new(server, Arc::new(AtomicUsize::new(1000)));
        let a = frame(true, 1, b"hello");
        let b = frame(true, 1, &[7u8; 300]);
        let mut both = a.clone();
        both.extend(&b);
        // The second frame arrives in two parts.
        client.write_all(&both[..both.len() - 10]).await.unwrap();
        assert_eq!(read_some(&mut g).await.unwrap(), a);
        let reader = tokio::spawn(async move {
            let got = read_some(&mut g).await.unwrap();
            (got, g)
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!reader.is_finished(), "half a frame is held back");
        client.write_all(&both[both.len() - 10..]).await.unwrap();
        let (got, _g) = reader.await.unwrap();
        assert_eq!(got, b);
    }

    #[tokio::test]
    async fn an_announced_frame_over_the_limit_is_refused_from_its_header() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let mut g = FrameGate::new(server, Arc::new(AtomicUsize::new(16 * 1024)));
        // 14 bytes announcing 16 MiB.
        let mut header = vec![0x82, 0x80 | 127];
        header.extend((16u64 << 20).to_be_bytes());
        header.extend([1, 2, 3, 4]);
        client.write_all(&header).await.unwrap();
        let e = read_some(&mut g).await.unwrap_err();
        assert_eq!(
            TooLong::from_io(&e),
            Some(TooLong {
                size: 16 << 20,
                limit: 16 * 1024
            })
        );
        assert!(g.held() <= 14);
    }

    #[tokio::test]
    async fn what_is_held_is_what_was_sent_not_what_was_announced() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let mut g = FrameGate::new(server, Arc::new(AtomicUsize::new(2 << 20)));
        let mut header = vec![0x81, 0x80 | 127];
        header.extend((1u64 << 20).to_be_bytes());
        header.extend([0, 0, 0, 0]);
        client.write_all(&header).await.unwrap();
        client.write_all(&[b'x'; 100]).await.unwrap();
        let reader = tokio::spawn(async move {
            let r = tokio::time::timeout(std::time::Duration::from_millis(50), read_some(&mut g));
            assert!(r.await.is_err(), "nothing comes out of an incomplete frame");
            g
        });
        let g = reader.await.unwrap();
        assert_eq!(g.held(), 114);
        assert!(g.buf.capacity() < 64 * 1024, "{}", g.buf.capacity());
    }

    #[tokio::test]
    async fn fragments_count_toward_the_message_and_the_limit_can_rise() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let limit = Arc::new(AtomicUsize::new(100));
        let mut g = FrameGate::new(server, limit.clone());
        // 60 + (ping) + 60 bytes of one message: the ping does not count, the second part
        // takes the message over 100.
        let first = frame(false, 1, &[1u8; 60]);
        let ping = frame(true, 9, b"p");
        let second = frame(true, 0, &[2u8; 60]);
        client.write_all(&first).await.unwrap();
        client.write_all(&ping).await.unwrap();
        client.write_all(&second).await.unwrap();
        assert_eq!(read_some(&mut g).await.unwrap(), first);
        assert_eq!(read_some(&mut g).await.unwrap(), ping);
        let e = read_some(&mut g).await.unwrap_err();
        assert_eq!(TooLong::from_io(&e).map(|t| t.size), Some(120));

        // The same with the limit raised before the second part is looked at.
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let limit = Arc::new(AtomicUsize::new(100));
        let mut g = FrameGate::new(server, limit.clone());
        let mut all = first.clone();
        all.extend(&second);
        let big = frame(true, 2, &[3u8; 70_000]);
        all.extend(&big);
        client.write_all(&all).await.unwrap();
        assert_eq!(read_some(&mut g).await.unwrap(), first);
        limit.store(1 << 20, Ordering::Relaxed);
        assert_eq!(read_some(&mut g).await.unwrap(), second);
        let mut got = Vec::new();
        while got.len() < big.len() {
            got.extend(read_some(&mut g).await.unwrap());
        }
        assert_eq!(got, big);
        assert!(
            g.buf.capacity() <= KEEP_CAPACITY,
            "a large frame's buffer is given back"
        );
        // The end of the stream is the end.
        drop(client);
        assert_eq!(read_some(&mut g).await.unwrap(), Vec::<u8>::new());
    }
}
