//! Gzip of download bodies on the blocking pool. Compressing a large tree takes seconds of CPU;
//! on the async workers it would hold up every small request (GraphQL, pings) queued behind it.

use std::io::{self, Write};

use axum::body::Body;
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

/// Chunks compressed ahead of a slow reader; each is at most one input chunk's worth.
const AHEAD: usize = 4;

/// `body` gzipped, chunk by chunk, each chunk's compression on a blocking thread.
pub fn gzipped<S>(body: S) -> Body
where
    S: Stream<Item = io::Result<Bytes>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        if let Err(e) = compress(body, &tx).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// Compresses until the body ends or the reader goes away (a send fails: nothing to do).
async fn compress<S>(body: S, tx: &mpsc::Sender<io::Result<Bytes>>) -> io::Result<()>
where
    S: Stream<Item = io::Result<Bytes>> + Send + 'static,
{
    let mut body = std::pin::pin!(body);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let (back, out) = off_thread(move || {
            encoder.write_all(&chunk)?;
            let out = std::mem::take(encoder.get_mut());
            Ok((encoder, out))
        })
        .await?;
        encoder = back;
        if !out.is_empty() && tx.send(Ok(Bytes::from(out))).await.is_err() {
            return Ok(());
        }
    }
    let tail = off_thread(move || encoder.finish()).await?;
    let _ = tx.send(Ok(Bytes::from(tail))).await;
    Ok(())
}

async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[tokio::test]
    async fn chunks_come_out_as_one_gzip_stream() {
        let parts: Vec<io::Result<Bytes>> = (0..50)
            .map(|i| Ok(Bytes::from(format!("line {i}\n").repeat(1000))))
            .collect();
        let body = gzipped(futures::stream::iter(parts));
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        let expected: String = (0..50)
            .map(|i| format!("line {i}\n").repeat(1000))
            .collect();
        assert_eq!(text, expected);
    }

    #[tokio::test]
    async fn a_failing_body_ends_the_download_with_an_error() {
        let parts: Vec<io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"x")),
            Err(io::Error::other("the database went away")),
        ];
        let body = gzipped(futures::stream::iter(parts));
        assert!(axum::body::to_bytes(body, usize::MAX).await.is_err());
    }
}
