//! A TCP proxy that cuts every connection through it, now and then: what
//! a collector restart or a load balancer's reset does to requests in
//! flight.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Copies `from` to `to` until `from` ends or either fails.
async fn pump(from: &TcpStream, to: &TcpStream) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if from.readable().await.is_err() {
            return;
        }
        let n = match from.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(_) => return,
        };
        let mut off = 0;
        while off < n {
            if to.writable().await.is_err() {
                return;
            }
            match to.try_write(&buf[off..n]) {
                Ok(k) => off += k,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

/// Forwards 127.0.0.1:port to `target`; every `every`, `times` times,
/// closes every connection open then (with a reset: linger 0).
pub struct Cutter {
    rt: Option<tokio::runtime::Runtime>,
    pub addr: SocketAddr,
    cut: Arc<AtomicU64>,
}

impl Cutter {
    pub fn start(target: SocketAddr, every: Duration, times: u32) -> Cutter {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let cut = Arc::new(AtomicU64::new(0));
        let counted = cut.clone();
        let addr = rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
            let addr = listener.local_addr().expect("bound");
            let (tx, rx) = watch::channel(0u32);
            tokio::spawn(async move {
                for i in 1..=times {
                    tokio::time::sleep(every).await;
                    let _ = tx.send(i);
                }
                // Keeps the channel open: connections live on.
                std::future::pending::<()>().await;
            });
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let mut rx = rx.clone();
                    let counted = counted.clone();
                    tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(target).await else {
                            return;
                        };
                        rx.borrow_and_update();
                        tokio::select! {
                            () = pump(&client, &server) => {}
                            () = pump(&server, &client) => {}
                            _ = rx.changed() => {
                                counted.fetch_add(1, Ordering::Relaxed);
                                let _ = client.set_zero_linger();
                                let _ = server.set_zero_linger();
                            }
                        }
                    });
                }
            });
            addr
        });
        Cutter {
            rt: Some(rt),
            addr,
            cut,
        }
    }

    /// Connections cut so far.
    pub fn cut(&self) -> u64 {
        self.cut.load(Ordering::Relaxed)
    }
}

impl Drop for Cutter {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
