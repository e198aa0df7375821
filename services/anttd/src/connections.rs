//! The accept loop, bounded: at most `limits::CONNECTIONS_MAX` connections are served at
//! once. Beyond it the server stops accepting, so new connections wait in the kernel's
//! listen backlog (their TCP handshake completes, their first call waits) until one
//! closes; a client's connect or call deadline bounds that wait. Waiting rather than
//! closing them: a burst of clients is served in turn instead of being turned away to retry.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::Connected;

/// One accepted connection holding its place among the `max` served; the place is given
/// back when the server drops the connection.
#[derive(Debug)]
pub struct Bounded<IO> {
    io: IO,
    _place: OwnedSemaphorePermit,
}

/// `incoming`, taking a new connection only while fewer than `max` are open.
pub fn bounded<IO, S>(incoming: S, max: usize) -> impl Stream<Item = io::Result<Bounded<IO>>> + Send + 'static
where
    S: Stream<Item = io::Result<IO>> + Send + 'static,
    IO: Send + 'static,
{
    let places = Arc::new(Semaphore::new(max));
    let state = (Box::pin(incoming), places);
    futures::stream::unfold(state, move |(mut incoming, places)| async move {
        let place = match Arc::clone(&places).try_acquire_owned() {
            Ok(place) => place,
            Err(_) => {
                tracing::warn!(
                    connections_max = max,
                    "connection bound reached: new connections wait until one closes"
                );
                // The semaphore is never closed, so this only ends with the stream.
                Arc::clone(&places).acquire_owned().await.ok()?
            }
        };
        let accepted = incoming.next().await?;
        let item = accepted.map(|io| Bounded { io, _place: place });
        Some((item, (incoming, places)))
    })
}

impl<IO: Connected> Connected for Bounded<IO> {
    // The inner connection's own, so that `Request::remote_addr` and, under TLS,
    // `Request::peer_certs` find what they look for.
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Bounded<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Bounded<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
