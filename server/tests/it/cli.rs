//! The `fleck` binary as operators use it: help, admin commands, start-up failures, shutdown.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, free_port};
use fleck_server::cli::render::first_id;
use serde_json::json;

const FLECK: &str = env!("CARGO_BIN_EXE_fleck");

/// `fleck` with a clean environment (no inherited DATABASE_URL etc.) and data in `dir`.
fn fleck(dir: &std::path::Path) -> Command {
    let mut command = Command::new(FLECK);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FLECK_DATA_DIR", dir)
        .current_dir(dir);
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_documents_every_option_with_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = fleck(dir.path()).arg("--help").output().unwrap();
    let (help, _) = text(&output);
    assert!(output.status.success());
    for name in [
        "FLECK_BIND",
        "FLECK_PUBLIC_URL",
        "FLECK_DATA_DIR",
        "DATABASE_URL",
        "REDIS_URL",
        "S3_ENDPOINT",
        "S3_BUCKET",
        "S3_REGION",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
        "SMTP_URL",
        "MAIL_FROM",
        "FLECK_CONFIG",
    ] {
        assert!(help.contains(name), "--help does not mention {name}");
    }
    for command in ["serve", "worker", "migrate", "admin"] {
        assert!(help.contains(command), "--help does not list `{command}`");
    }
}

#[test]
fn admin_creates_users_changes_roles_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| fleck(dir.path()).args(args).output().unwrap();

    let first = run(&[
        "admin",
        "create-user",
        "--email",
        "Ada@Example.com",
        "--name",
        "Ada",
        "--password",
        "correct horse",
    ]);
    let (out, err) = text(&first);
    assert!(first.status.success(), "{err}");
    assert!(
        out.contains("server:admin"),
        "the first user becomes admin: {out}"
    );

    let mut second = fleck(dir.path())
        .args([
            "admin",
            "create-user",
            "--email",
            "bob@example.com",
            "--name",
            "Bob",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    second
        .stdin
        .take()
        .unwrap()
        .write_all(b"battery staple\n")
        .unwrap();
    let second = second.wait_with_output().unwrap();
    assert!(second.status.success());
    assert!(text(&second).0.contains("server:user"));

    for (email, name, password, why) in [
        (
            "ADA@example.com",
            "Ada 2",
            "correct horse",
            "already exists",
        ),
        ("eve@example.com", "Eve", "short", "at least 8 characters"),
    ] {
        let refused = run(&[
            "admin",
            "create-user",
            "--email",
            email,
            "--name",
            name,
            "--password",
            password,
        ]);
        assert!(!refused.status.success(), "{email}");
        assert!(text(&refused).1.contains(why), "{email}: {why}");
    }

    let demote_last_admin = run(&["admin", "set-role", "ada@example.com", "user"]);
    assert!(!demote_last_admin.status.success());
    assert!(text(&demote_last_admin).1.contains("at least one admin"));

    assert!(run(&["admin", "set-role", "bob@example.com", "admin"])
        .status
        .success());
    assert!(run(&["admin", "set-role", "ada@example.com", "guest"])
        .status
        .success());

    let listed = run(&["admin", "list-users", "--json"]);
    let users: Vec<serde_json::Value> = text(&listed)
        .0
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let roles: Vec<(&str, &str)> = users
        .iter()
        .map(|u| (u["email"].as_str().unwrap(), u["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("ada@example.com", "server:guest"),
            ("bob@example.com", "server:admin")
        ]
    );

    let search = run(&["admin", "list-users", "--search", "bob"]);
    let (table, _) = text(&search);
    assert!(
        table.contains("bob@example.com") && !table.contains("ada@example.com"),
        "{table}"
    );
}

#[test]
fn migrate_and_check_work_on_a_fresh_folder() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = fleck(dir.path()).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{:?}", text(&migrate));
    assert!(dir.path().join("fleck.db").exists());
    let check = fleck(dir.path()).args(["admin", "check"]).output().unwrap();
    let (out, _) = text(&check);
    assert!(check.status.success());
    for backend in ["sqlite", "disk", "memory", "outbox"] {
        assert!(out.contains(backend), "{out}");
    }
}

/// A backend's name, the settings that point at a closed port, and what the error must mention.
type Case = (
    &'static str,
    Vec<(&'static str, String)>,
    &'static [&'static str],
);

/// An unreachable backend stops start-up at once with one line naming it and where it was sought.
#[test]
fn unreachable_backends_fail_fast_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let closed = free_port();
    let cases: [Case; 4] = [
        (
            "PostgreSQL",
            vec![(
                "DATABASE_URL",
                format!("postgres://fleck:hunter2@127.0.0.1:{closed}/fleck"),
            )],
            &["PostgreSQL", "127.0.0.1"],
        ),
        (
            "Redis",
            vec![("REDIS_URL", format!("redis://127.0.0.1:{closed}"))],
            &["Redis", "127.0.0.1"],
        ),
        (
            "S3",
            vec![
                ("S3_ENDPOINT", format!("http://127.0.0.1:{closed}")),
                ("S3_BUCKET", "fleck".into()),
                ("S3_ACCESS_KEY", "key".into()),
                ("S3_SECRET_KEY", "secret".into()),
            ],
            &["S3", "127.0.0.1"],
        ),
        (
            "SMTP",
            vec![("SMTP_URL", format!("smtp://127.0.0.1:{closed}"))],
            &["SMTP", "127.0.0.1"],
        ),
    ];
    for (what, env, mentions) in cases {
        let started = Instant::now();
        let output = fleck(dir.path())
            .arg("serve")
            .env("FLECK_BIND", format!("127.0.0.1:{}", free_port()))
            .envs(env)
            .output()
            .unwrap();
        let (_, err) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} took {:?}",
            started.elapsed()
        );
        let line = err.trim();
        assert_eq!(line.lines().count(), 1, "{what}: one line, got:\n{err}");
        assert!(line.starts_with("fleck: cannot start"), "{line}");
        for mention in mentions {
            assert!(
                line.contains(mention),
                "{what}: {line:?} does not mention {mention}"
            );
        }
        assert!(
            !line.contains("panicked") && !line.contains("hunter2"),
            "{line}"
        );
    }
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_upload_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(dir.path(), 1).await;

    // An upload link as a client gets one: an account, a project, a file reserved in it.
    let url = upload_link(&base).await;
    // A body that trickles in over about a second.
    let chunks = futures::stream::unfold(0, |n| async move {
        if n == 10 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Some((Ok::<_, std::io::Error>(vec![b'x'; 1000]), n + 1))
    });
    let upload = tokio::spawn(
        reqwest::Client::new()
            .put(url.clone())
            .body(reqwest::Body::wrap_stream(chunks))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.id().unwrap();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();

    let response = upload
        .await
        .unwrap()
        .expect("the upload is answered, not cut off");
    assert_eq!(response.status(), 200);
    exits_cleanly(&mut server, "after draining").await;
    let key = url::Url::parse(&url)
        .unwrap()
        .path()
        .trim_start_matches("/storage/")
        .to_string();
    assert_eq!(
        std::fs::metadata(dir.path().join("blobs").join(key))
            .unwrap()
            .len(),
        10_000
    );
}

#[tokio::test]
async fn sigterm_turns_readiness_away_before_the_listener_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(dir.path(), 3).await;
    let pid = server.id().unwrap();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Draining: load balancers see 503 and move away; requests already routed here still work.
    let ready = reqwest::get(format!("{base}/readiness")).await.unwrap();
    assert_eq!(ready.status(), 503);
    let ping = reqwest::get(format!("{base}/api/ping")).await.unwrap();
    assert_eq!(ping.status(), 200);
    exits_cleanly(&mut server, "after the grace period").await;
}

/// Registers a user on the server at `base`, makes a project and reserves a file in it;
/// the file's upload link.
/// The server process exits `when`, within 10 s, successfully.
async fn exits_cleanly(server: &mut tokio::process::Child, when: &str) {
    let status = tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .unwrap_or_else(|_| panic!("the server exits {when}"))
        .unwrap();
    assert!(status.success(), "{when}: {status}");
}

async fn upload_link(base: &str) -> String {
    let token = support::register_at(base, "slow@example.com", "correct horse").await;
    let project = support::create_bare_project_at(base, &token, json!({ "name": "slow" })).await;
    support::upload_url_at(base, &token, &project, "slow.bin").await
}

/// `fleck serve` on a free port, once ready, with `grace` seconds of draining after SIGTERM;
/// the process and its base URL.
async fn serve(dir: &std::path::Path, grace: u64) -> (tokio::process::Child, String) {
    serve_with(dir, &[("FLECK_SHUTDOWN_GRACE_SECONDS", &grace.to_string())]).await
}

/// `fleck serve` on a free port with these variables set besides its own, once ready; the
/// process (killed when dropped) and its base URL.
pub(crate) async fn serve_with(
    dir: &std::path::Path,
    variables: &[(&str, &str)],
) -> (tokio::process::Child, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = tokio::process::Command::from(fleck(dir))
        .arg("serve")
        .env("FLECK_BIND", format!("127.0.0.1:{port}"))
        .env("FLECK_PUBLIC_URL", &base)
        .env("FLECK_SECRET", "a-secret-shared-with-the-test-0123456789")
        .envs(variables.iter().copied())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_until_ready(&base).await;
    (server, base)
}

async fn wait_until_ready(base: &str) {
    for _ in 0..200 {
        if let Ok(response) = reqwest::get(format!("{base}/readiness")).await {
            if response.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fleck serve did not become ready at {base}");
}

#[test]
fn the_root_is_the_first_object() {
    assert_eq!(first_id(r#"[{"id":"a"},{"id":"b"}]"#).as_deref(), Some("a"));
    assert_eq!(first_id(r#" {"id":"r"}"#).as_deref(), Some("r"));
    assert_eq!(first_id("x\t{\"id\":\"x\"}\ny\t{}").as_deref(), Some("x"));
    assert_eq!(first_id("[]"), None);
    assert_eq!(first_id("nothing"), None);
}
