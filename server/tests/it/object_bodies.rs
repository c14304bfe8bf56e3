//! How the object routes shape what they answer: one gzip stream from many pieces, and property
//! masks.

mod gzip {
    use std::io::{self, Read};

    use bytes::Bytes;
    use fleck_server::rest::objects::gzip::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn pieces_come_out_as_one_gzip_stream() {
        let pieces = futures::stream::iter(["[", "{\"a\":1}", ",", "{\"b\":2}", "]"])
            .map(|p| Ok(Bytes::from_static(p.as_bytes())));
        let bytes = axum::body::to_bytes(body(pieces), usize::MAX)
            .await
            .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "[{\"a\":1},{\"b\":2}]");
    }

    #[tokio::test]
    async fn a_failing_source_ends_the_body_with_its_error() {
        let pieces = futures::stream::iter([
            Ok(Bytes::from_static(b"start")),
            Err(io::Error::other("the database went away")),
        ]);
        let result = axum::body::to_bytes(body(pieces), usize::MAX).await;
        assert!(result.is_err());
    }
}

mod mask {
    use fleck_server::rest::objects::mask::*;

    const OBJECT: &str =
        r#"{"id":"abc","name":"wall","height":3.50,"@displayValue":[{"referencedId":"x"}]}"#;

    #[test]
    fn include_keeps_the_listed_properties_and_the_id() {
        let mask = Mask::Include(vec!["height".into()]);
        assert_eq!(mask.apply(OBJECT), r#"{"id":"abc","height":3.50}"#);
    }

    #[test]
    fn exclude_drops_the_listed_properties() {
        let mask = Mask::Exclude(vec!["@displayValue".into(), "name".into()]);
        assert_eq!(mask.apply(OBJECT), r#"{"id":"abc","height":3.50}"#);
    }
}
