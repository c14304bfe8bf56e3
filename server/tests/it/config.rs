//! Configuration: defaults that need nothing installed, a file under flags and environment, and
//! the checks on what is given.

use fleck_server::config::*;

#[test]
fn defaults_need_nothing_installed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ConfigArgs {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let (config, options) = settings.resolve().unwrap();
    assert_eq!(options.bind.to_string(), "127.0.0.1:3000");
    assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
    assert!(config.database_url.starts_with("sqlite://"));
    assert!(config.redis.is_none() && config.s3.is_none() && config.smtp_url.is_none());
    // The generated secret is kept, so links stay valid across restarts.
    let again = ConfigArgs {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    assert_eq!(again.resolve().unwrap().0.secret, config.secret);
}

#[test]
fn file_fills_what_flags_and_environment_leave_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleck.toml");
    std::fs::write(
        &path,
        "bind = \"0.0.0.0:8080\"\ndatabase_url = \"postgres://db/fleck\"\n",
    )
    .unwrap();
    let settings = ConfigArgs {
        database_url: Some("sqlite://x.db".into()),
        ..Default::default()
    }
    .with_file(Some(&path))
    .unwrap();
    assert_eq!(settings.bind.unwrap().to_string(), "0.0.0.0:8080");
    assert_eq!(settings.database_url.as_deref(), Some("sqlite://x.db"));
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "databse_url = \"x\"\n").unwrap();
    assert!(ConfigArgs::default().with_file(Some(&typo)).is_err());
}

#[test]
fn trusted_proxies_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let settings = |list: &str| ConfigArgs {
        data_dir: Some(dir.path().to_path_buf()),
        trusted_proxies: Some(list.into()),
        ..Default::default()
    };
    let (_, options) = settings("10.0.0.0/8, 192.0.2.1").resolve().unwrap();
    assert!(options
        .trusted_proxies
        .contains("10.2.3.4".parse().unwrap()));
    assert!(!options
        .trusted_proxies
        .contains("11.2.3.4".parse().unwrap()));
    let err = settings("10.0.0.0/8, lb.internal").resolve().unwrap_err();
    assert!(err.to_string().contains("FLECK_TRUSTED_PROXIES"), "{err}");
}

#[test]
fn s3_needs_bucket_and_keys() {
    let settings = ConfigArgs {
        s3_endpoint: Some("http://127.0.0.1:9000".into()),
        secret: Some("x".repeat(32)),
        ..Default::default()
    };
    let err = settings.resolve().unwrap_err().to_string();
    assert!(err.contains("S3_BUCKET"), "{err}");
}
