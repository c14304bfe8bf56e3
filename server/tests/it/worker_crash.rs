//! Scaling out, as operators run it: one `fleck serve --no-workers` and two `fleck worker`
//! processes on PostgreSQL and Redis. One worker is killed with SIGKILL while it draws a preview;
//! its job's lease runs out and the other worker does it, so no job is lost, and none is done
//! twice (each preview is drawn once, and at most twice attempted).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{embedded_config, service, TempDatabase};
use fleck_core::auth::Actor;
use fleck_core::authz::Visibility;
use fleck_core::config::RedisConfig;
use fleck_core::objects::batch;
use fleck_core::previews::PreviewStatus;
use fleck_core::projects::versions::{self, ModelRef, NewVersion};
use fleck_core::queue::JobState;
use fleck_core::testing;
use fleck_core::Core;

const FLECK: &str = env!("CARGO_BIN_EXE_fleck");
const PREVIEWS: usize = 6;

struct Process {
    child: Child,
    log: std::path::PathBuf,
}

impl Process {
    fn start(dir: &Path, name: &str, env: &[(String, String)], args: &[&str]) -> Process {
        let log = dir.join(format!("{name}.log"));
        let mut command = Command::new(FLECK);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        Process {
            child: command.spawn().expect("fleck starts"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A model big enough that drawing its preview takes a while: a grid of boxes.
fn model(seed: usize) -> (String, String) {
    let mut children = Vec::new();
    let mut refs = Vec::new();
    for n in 0..200 {
        let (x, y) = ((n % 20) as f64 * 2.0, (n / 20) as f64 * 2.0 + seed as f64);
        let id = format!("{:032x}", seed * 1000 + n + 1);
        let vertices: Vec<f64> = [
            [0., 0., 0.],
            [1., 0., 0.],
            [1., 1., 0.],
            [0., 1., 0.],
            [0., 0., 1.],
            [1., 0., 1.],
            [1., 1., 1.],
            [0., 1., 1.],
        ]
        .iter()
        .flat_map(|p| [p[0] + x, p[1] + y, p[2]])
        .collect();
        let faces = [
            4, 0, 3, 2, 1, 4, 4, 5, 6, 7, 4, 0, 1, 5, 4, 4, 1, 2, 6, 5, 4, 2, 3, 7, 6, 4, 3, 0, 4,
            7,
        ];
        children.push(serde_json::json!({ "id": id, "speckle_type": "Objects.Geometry.Mesh", "units": "m", "vertices": vertices, "faces": faces }));
        refs.push(id);
    }
    let root_id = format!("{:032x}", 0xfff000 + seed);
    let closure: serde_json::Map<String, serde_json::Value> =
        refs.iter().map(|r| (r.clone(), 1.into())).collect();
    let root = serde_json::json!({
        "id": root_id,
        "speckle_type": "Base",
        "@elements": refs.iter().map(|r| serde_json::json!({ "referencedId": r, "speckle_type": "reference" })).collect::<Vec<_>>(),
        "__closure": closure,
    });
    children.push(root);
    (root_id, serde_json::Value::Array(children).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_loses_no_job_and_none_runs_twice() {
    let Some(redis_url) = service("FLECK_TEST_REDIS_URL") else {
        return;
    };
    let Some(database) = TempDatabase::create("fleck_s_").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let prefix = crate::support::random_name("crash:");
    let env: Vec<(String, String)> = [
        ("DATABASE_URL", database.url.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("FLECK_DATA_DIR", dir.path().to_str().unwrap()),
        ("FLECK_SECRET", "a shared secret that is long enough 0123"),
        ("FLECK_PUBLIC_URL", base.as_str()),
        ("FLECK_BIND", &format!("127.0.0.1:{port}")),
        ("FLECK_JOB_LEASE_SECONDS", "3"),
        ("FLECK_WORKER_CONCURRENCY", "1"),
        ("FLECK_LOG", "info,sqlx=warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();

    let api = Process::start(dir.path(), "serve", &env, &["serve", "--no-workers"]);
    let started = Instant::now();
    while reqwest::get(format!("{base}/readiness"))
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "fleck serve did not start:\n{}",
            api.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The versions (and their preview jobs) are made before any worker runs.
    let mut config = embedded_config(dir.path(), &base);
    config.database_url = database.url.clone();
    config.redis = Some(RedisConfig {
        url: redis_url.clone(),
        key_prefix: prefix.clone(),
    });
    let core = Core::connect(config).await.unwrap();
    let actor = Actor::from_session(testing::verified_user(&core, "Ops").await);
    let (project, main) =
        testing::project_with_main_model(&core, &actor, "Crash", Visibility::Public).await;
    let mut roots = Vec::new();
    for seed in 0..PREVIEWS {
        let (root, objects) = model(seed);
        core.objects()
            .insert_objects(&project, batch::parse(objects.as_bytes(), 1 << 24).unwrap())
            .await
            .unwrap();
        let input = NewVersion {
            model: ModelRef::Id(main.id.clone()),
            object_id: root.clone(),
            message: None,
            source_application: None,
            total_children_count: None,
            parents: vec![],
        };
        versions::create(&core, &actor, &project, input)
            .await
            .unwrap();
        roots.push(root);
    }

    let worker_args = ["worker", "--only", "previews"];
    let mut doomed = Process::start(dir.path(), "worker-a", &env, &worker_args);
    let survivor = Process::start(dir.path(), "worker-b", &env, &worker_args);
    // Kill worker A in the middle of a render: each worker runs one job at a time, so once two
    // previews are being drawn, A is drawing one of them.
    let deadline = Instant::now() + Duration::from_secs(60);
    while previews_in(&core, &project, &roots, PreviewStatus::Rendering).await < 2 {
        assert!(
            Instant::now() < deadline,
            "the workers never started:\n{}\n{}",
            doomed.log(),
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = previews_in(&core, &project, &roots, PreviewStatus::Done).await;
        if done == PREVIEWS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {PREVIEWS} previews were drawn\nworker B:\n{}",
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every preview job succeeded once; none is left or failed.
    let counts = core.database().queue.counts().await.unwrap();
    let previews: Vec<_> = counts.iter().filter(|c| c.kind == "preview").collect();
    assert_eq!(previews.len(), 1, "{counts:?}");
    assert_eq!(
        (previews[0].state, previews[0].count),
        (JobState::Succeeded, PREVIEWS as i64)
    );
    // Each was drawn by exactly one worker (the killed render never finished).
    let drawn = doomed.log().matches("preview drawn").count()
        + survivor.log().matches("preview drawn").count();
    assert_eq!(
        drawn,
        PREVIEWS,
        "worker A:\n{}\nworker B:\n{}",
        doomed.log(),
        survivor.log()
    );
    // The job that was cut short was attempted again, and nothing more than that.
    let mut retried = 0;
    for root in &roots {
        let preview = core
            .database()
            .previews
            .preview(&project, root)
            .await
            .unwrap()
            .unwrap();
        assert!(preview.attempts <= 2, "{preview:?}");
        retried += usize::from(preview.attempts == 2);
    }
    assert_eq!(retried, 1, "the interrupted preview was taken over");
    // The API serves the drawn previews.
    let image = reqwest::get(format!("{base}/preview/{project}/objects/{}", roots[0]))
        .await
        .unwrap();
    assert!(image.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));

    drop(survivor);
    drop(api);
    core.database().store.close().await;
    database.drop_database().await;
}

/// How many of the previews of `roots` are in `status`.
async fn previews_in(
    core: &Core,
    project_id: &str,
    roots: &[String],
    status: PreviewStatus,
) -> usize {
    let mut count = 0;
    for root in roots {
        let preview = core
            .database()
            .previews
            .preview(project_id, root)
            .await
            .unwrap()
            .unwrap();
        count += usize::from(preview.status == status);
    }
    count
}
