//! The wire between a worker and its child: length-prefixed frames (an 8-byte little-endian
//! length, then that many bytes) over the child's stdin and stdout. File bytes, objects' JSON
//! and PNGs pass through as they are, with no escaping.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest frame either side accepts: no single file, object or image comes near it.
pub const MAX_FRAME: u64 = 2 * 1024 * 1024 * 1024;

fn too_long(length: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a frame of {length} bytes is longer than the limit of {MAX_FRAME}"),
    )
}

/// A frame's bytes once all `length` of them came: memory grows with what the other side sent,
/// never with the length it claimed.
fn whole(bytes: Vec<u8>, length: u64) -> io::Result<Vec<u8>> {
    if bytes.len() as u64 == length {
        Ok(bytes)
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("a frame ended after {} of its {length} bytes", bytes.len()),
        ))
    }
}

fn not_json(error: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

pub fn write(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(&(bytes.len() as u64).to_le_bytes())?;
    out.write_all(bytes)
}

pub fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    write(out, &serde_json::to_vec(value).map_err(not_json)?)
}

pub fn read(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut length = [0u8; 8];
    input.read_exact(&mut length)?;
    let length = u64::from_le_bytes(length);
    if length > MAX_FRAME {
        return Err(too_long(length));
    }
    let mut bytes = Vec::new();
    input.take(length).read_to_end(&mut bytes)?;
    whole(bytes, length)
}

pub fn read_json<T: DeserializeOwned>(input: &mut impl Read) -> io::Result<T> {
    serde_json::from_slice(&read(input)?).map_err(not_json)
}

pub async fn send(out: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> io::Result<()> {
    out.write_u64_le(bytes.len() as u64).await?;
    out.write_all(bytes).await
}

pub async fn send_json(
    out: &mut (impl AsyncWrite + Unpin),
    value: &impl Serialize,
) -> io::Result<()> {
    send(out, &serde_json::to_vec(value).map_err(not_json)?).await
}

pub async fn receive(input: &mut (impl AsyncRead + Unpin)) -> io::Result<Vec<u8>> {
    let length = input.read_u64_le().await?;
    if length > MAX_FRAME {
        return Err(too_long(length));
    }
    let mut bytes = Vec::new();
    input.take(length).read_to_end(&mut bytes).await?;
    whole(bytes, length)
}

pub async fn receive_json<T: DeserializeOwned>(
    input: &mut (impl AsyncRead + Unpin),
) -> io::Result<T> {
    serde_json::from_slice(&receive(input).await?).map_err(not_json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_written_by_one_side_are_read_whole_by_the_other() {
        let mut wire = Vec::new();
        write(&mut wire, b"file bytes").unwrap();
        write_json(&mut wire, &serde_json::json!({"a": 1})).unwrap();
        write(&mut wire, b"").unwrap();
        let mut input = wire.as_slice();
        assert_eq!(receive(&mut input).await.unwrap(), b"file bytes");
        let value: serde_json::Value = receive_json(&mut input).await.unwrap();
        assert_eq!(value["a"], 1);
        assert!(receive(&mut input).await.unwrap().is_empty());
        assert!(receive(&mut input).await.is_err(), "nothing more to read");

        let mut back = Vec::new();
        send(&mut back, b"png").await.unwrap();
        assert_eq!(read(&mut back.as_slice()).unwrap(), b"png");
    }

    #[test]
    fn a_length_past_the_limit_is_refused_before_allocating() {
        let mut wire = (MAX_FRAME + 1).to_le_bytes().to_vec();
        wire.extend_from_slice(b"x");
        let error = read(&mut wire.as_slice()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
