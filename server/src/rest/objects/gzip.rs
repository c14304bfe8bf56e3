//! Response bodies gzipped on the blocking threads. Compressing a large download on the async
//! workers held up every other request of a two-core server: under tree downloads, GraphQL's
//! median went from 77 ms to 1–2 s. The pieces being compressed at once are fewer than the
//! cores, so however many downloads run, the async workers keep a core for small requests.

use std::io::{self, Write};

use axum::body::Body;
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures::{Stream, StreamExt, TryStreamExt};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// Pieces compressed at once by the whole process: one less than the cores, at least one.
static COMPRESSING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cores.saturating_sub(1).max(1)))
});

type Encoder = GzEncoder<Vec<u8>>;
type Compressing = tokio::task::JoinHandle<io::Result<(Bytes, Option<Encoder>)>>;

enum State {
    Start(Box<Encoder>),
    /// A piece being compressed; the next one is fetched meanwhile.
    Compressing(Compressing),
    Done,
}

/// `pieces` gzipped at the fastest level as a response body. Each piece is compressed on a
/// blocking thread while the next is fetched; no thread is held while the client is slow.
pub fn body(pieces: impl Stream<Item = io::Result<Bytes>> + Send + 'static) -> Body {
    let start = (
        pieces.boxed().fuse(),
        State::Start(Box::new(GzEncoder::new(Vec::new(), Compression::fast()))),
    );
    let gzipped = futures::stream::unfold(start, |(mut pieces, state)| async move {
        let compressing = match state {
            State::Done => return None,
            State::Start(encoder) => {
                let piece = pieces.next().await;
                in_turn(*encoder, piece).await
            }
            State::Compressing(compressing) => compressing,
        };
        let next = pieces.next().await;
        let compressed = compressing
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e)));
        Some(match compressed {
            Ok((out, Some(encoder))) => {
                let compressing = in_turn(encoder, next).await;
                (Ok(out), (pieces, State::Compressing(compressing)))
            }
            Ok((out, None)) => (Ok(out), (pieces, State::Done)),
            Err(e) => (Err(e), (pieces, State::Done)),
        })
    });
    // The encoder holds back what it has not yet compressed: no empty frames.
    Body::from_stream(gzipped.try_filter(|out| std::future::ready(!out.is_empty())))
}

/// Compresses one piece on a blocking thread once a turn is free.
async fn in_turn(encoder: Encoder, piece: Option<io::Result<Bytes>>) -> Compressing {
    let turn = COMPRESSING.clone().acquire_owned().await;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        compress(encoder, piece)
    })
}

/// Compresses one piece, handing the encoder back; at the end of the pieces (`None`), finishes
/// the stream and hands back no encoder.
fn compress(
    mut encoder: Encoder,
    piece: Option<io::Result<Bytes>>,
) -> io::Result<(Bytes, Option<Encoder>)> {
    match piece {
        Some(piece) => {
            encoder.write_all(&piece?)?;
            let out = std::mem::take(encoder.get_mut());
            Ok((Bytes::from(out), Some(encoder)))
        }
        None => Ok((Bytes::from(encoder.finish()?), None)),
    }
}
