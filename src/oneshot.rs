//! A one-value channel between Rust tasks on the page's one thread: a waiting call gets a
//! [`Receiver`] that a later decision completes with a typed value (no JS promise, no strings).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// The sender went away without a value.
    closed: bool,
}

/// Completes the paired [`Receiver`].
pub struct Sender<T>(Rc<RefCell<Slot<T>>>);

/// Resolves to the sent value, or `None` if the sender was dropped first.
pub struct Receiver<T>(Rc<RefCell<Slot<T>>>);

pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
        closed: false,
    }));
    (Sender(slot.clone()), Receiver(slot))
}

impl<T> Sender<T> {
    pub fn send(self, value: T) {
        let waker = {
            let mut s = self.0.borrow_mut();
            s.value = Some(value);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = self.0.borrow_mut();
            s.closed = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = self.0.borrow_mut();
        if let Some(v) = s.value.take() {
            return Poll::Ready(Some(v));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A flag that ends waits: [`Cancel::guard`] resolves to `None` once [`Cancel::cancel`] is
/// called. A closed peer connection never settles some of its promises; a task awaiting one
/// would live (and keep the connection reachable) for ever without it.
#[derive(Clone, Default)]
pub struct Cancel(Rc<RefCell<CancelState>>);

#[derive(Default)]
struct CancelState {
    cancelled: bool,
    wakers: Vec<Waker>,
}

impl Cancel {
    pub fn cancel(&self) {
        let wakers = {
            let mut s = self.0.borrow_mut();
            s.cancelled = true;
            std::mem::take(&mut s.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    /// `fut`'s output, or `None` if cancelled first (then `fut` is dropped).
    pub fn guard<F: Future>(&self, fut: F) -> Guarded<F> {
        Guarded {
            fut: Box::pin(fut),
            cancel: self.clone(),
        }
    }
}

/// See [`Cancel::guard`].
pub struct Guarded<F: Future> {
    fut: Pin<Box<F>>,
    cancel: Cancel,
}

impl<F: Future> Future for Guarded<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        if self.cancel.0.borrow().cancelled {
            return Poll::Ready(None);
        }
        if let Poll::Ready(v) = self.fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        let mut s = self.cancel.0.borrow_mut();
        if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            s.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
