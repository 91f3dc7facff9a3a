//! The emulator's Socket Mode side: `apps.connections.open` hands out a `ws://127.0.0.1:…` URL
//! served here. Each connection is greeted with `hello`, like Slack; tests push envelopes down
//! the newest connection, read the app's acknowledgements, ask it to reconnect (`disconnect`)
//! or drop the connection without a word.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::Message;

/// What goes down a connection: a frame, or the order to drop it.
enum Down {
    Frame(String),
    Drop,
}

#[derive(Default)]
struct Hub {
    /// The newest open connection's outgoing queue.
    current: Option<mpsc::UnboundedSender<Down>>,
    /// Connections greeted so far.
    hellos: usize,
    /// Every acknowledgement the app sent, in order.
    acks: Vec<Value>,
}

/// The Socket Mode endpoint: its address and what happened on it.
#[derive(Clone)]
pub struct SocketHub {
    pub addr: std::net::SocketAddr,
    hub: Arc<Mutex<Hub>>,
    changed: Arc<Notify>,
    server: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for SocketHub {
    fn drop(&mut self) {
        if Arc::strong_count(&self.server) == 1 {
            self.server.abort();
        }
    }
}

impl SocketHub {
    /// Listens on a free local port.
    pub async fn start() -> anyhow::Result<SocketHub> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let hub = Arc::new(Mutex::new(Hub::default()));
        let changed = Arc::new(Notify::new());
        let (h, c) = (hub.clone(), changed.clone());
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, h.clone(), c.clone()));
            }
        });
        Ok(SocketHub {
            addr,
            hub,
            changed,
            server: Arc::new(server),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Connections greeted so far (one more after each reconnect).
    pub fn connections(&self) -> usize {
        self.lock().hellos
    }

    /// Every acknowledgement received so far.
    pub fn acks(&self) -> Vec<Value> {
        self.lock().acks.clone()
    }

    /// Sends `frame` down the newest connection; false when none is open.
    pub fn send(&self, frame: &Value) -> bool {
        self.lock()
            .current
            .as_ref()
            .is_some_and(|tx| tx.send(Down::Frame(frame.to_string())).is_ok())
    }

    /// Asks the app to reconnect, as Slack does before it retires a connection.
    pub fn disconnect(&self, reason: &str) -> bool {
        self.send(&json!({ "type": "disconnect", "reason": reason, "debug_info": { "host": "emulator" } }))
    }

    /// Drops the newest connection without a close frame (a network failure).
    pub fn drop_connection(&self) -> bool {
        let current = self.lock().current.take();
        current.is_some_and(|tx| tx.send(Down::Drop).is_ok())
    }

    /// Waits until `check` holds (checked on every change), up to `within`.
    pub async fn wait_until(&self, within: Duration, check: impl Fn(&SocketHub) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let changed = self.changed.notified();
            if check(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return check(self);
            }
        }
    }

    /// The acknowledgement of `envelope_id`, waiting up to `within` for it.
    pub async fn ack_of(&self, envelope_id: &str, within: Duration) -> Option<Value> {
        let find = |h: &SocketHub| {
            h.acks()
                .into_iter()
                .find(|a| a["envelope_id"] == envelope_id)
        };
        self.wait_until(within, |h| find(h).is_some()).await;
        find(self)
    }
}

/// One connection: greet, then relay frames down and record acknowledgements coming up.
async fn serve(stream: tokio::net::TcpStream, hub: Arc<Mutex<Hub>>, changed: Arc<Notify>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let hello = json!({ "type": "hello", "num_connections": 1,
        "debug_info": { "host": "emulator", "approximate_connection_time": 18060 },
        "connection_info": { "app_id": "A0PARTNERBOT" } });
    if sink.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    {
        let mut h = hub.lock().unwrap_or_else(|p| p.into_inner());
        h.current = Some(tx);
        h.hellos += 1;
    }
    changed.notify_waiters();
    loop {
        tokio::select! {
            down = rx.recv() => match down {
                Some(Down::Frame(text)) => {
                    if sink.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                // Dropping both halves closes the TCP connection with no close frame.
                Some(Down::Drop) | None => break,
            },
            up = source.next() => match up {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(ack) = serde_json::from_str::<Value>(&text) {
                        hub.lock().unwrap_or_else(|p| p.into_inner()).acks.push(ack);
                        changed.notify_waiters();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
    changed.notify_waiters();
}
