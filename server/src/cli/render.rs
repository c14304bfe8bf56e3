//! `fleck render`: draws a model to a PNG with the preview renderer, from a file of Speckle
//! objects or from a server. Handy for checking the headless path on a new machine.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context as _};
use clap::Args;
use fleck_viewer::headless::{preview_views, Headless};
use fleck_viewer::{ObjectSource, Scene};
use serde_json::{json, Value};

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// A JSON file of Speckle objects (an array, root first, or `id<TAB>json` lines), or a URL:
    /// `<server>/objects/<project>/<object>` or `<server>/projects/<project>/models/<model>`
    pub source: String,
    /// Where to write the PNG
    pub out: PathBuf,
    #[arg(long, default_value_t = 700)]
    pub width: u32,
    #[arg(long, default_value_t = 400)]
    pub height: u32,
    /// Which of the 24 preview angles (15° apart) to draw
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..24))]
    pub angle: u32,
    /// A personal access token, for models that are not public
    #[arg(long, env = "FLECK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

pub async fn render(args: RenderArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (text, root) = if args.source.starts_with("http://") || args.source.starts_with("https://")
    {
        download(&args.source, args.token.as_deref()).await?
    } else {
        let text = std::fs::read_to_string(&args.source)
            .with_context(|| format!("cannot read {}", args.source))?;
        let root = first_id(&text)
            .with_context(|| format!("{} holds no Speckle object with an id", args.source))?;
        (text, root)
    };
    let loaded = started.elapsed();
    let (width, height, angle) = (args.width, args.height, args.angle as usize);
    let (scene, image, renderer) = tokio::task::spawn_blocking(move || {
        let mut source = ObjectSource::new();
        if text.trim_start().starts_with(['[', '{']) {
            source
                .insert_json(&text)
                .context("the objects are not valid JSON")?;
        } else {
            source.insert_lines(&text);
        }
        let scene = Scene::build(&source, &root);
        let headless = Headless::new()?;
        let view = preview_views(&scene, 24, width as f32 / height as f32)[angle];
        let image = headless.render(&scene, &[view], width, height)?.remove(0);
        anyhow::Ok((scene, image, headless.renderer_name()))
    })
    .await??;
    std::fs::write(&args.out, image.png()?)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "wrote {} ({width}×{height}): {} triangles in {} objects; loaded in {} ms, drawn in {} ms on {renderer}",
        args.out.display(),
        scene.triangle_count(),
        scene.objects.len(),
        loaded.as_millis(),
        (started.elapsed() - loaded).as_millis(),
    );
    if scene.is_empty() {
        eprintln!("note: the model has no geometry the viewer can draw");
    }
    Ok(())
}

/// The id of the first object in a JSON array or object, or in `id<TAB>json` lines.
pub fn first_id(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(trimmed).ok()?;
        let first = match &value {
            Value::Array(items) => items.first()?,
            object => object,
        };
        return first.get("id")?.as_str().map(str::to_string);
    }
    let line = trimmed.lines().next()?;
    let (id, _) = line.split_once('\t')?;
    Some(id.to_string())
}

/// Fetches a model's objects from a Fleck (or Speckle) server: the text and the root's id.
async fn download(url: &str, token: Option<&str>) -> anyhow::Result<(String, String)> {
    let parsed = url::Url::parse(url).with_context(|| format!("{url} is not a URL"))?;
    let segments: Vec<&str> = parsed
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let client = reqwest::Client::new();
    let authorise = |request: reqwest::RequestBuilder| match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let (project, object) = match segments.as_slice() {
        ["objects", project, object] => (project.to_string(), object.to_string()),
        ["projects", project, "models", model] => {
            let model = model.split('@').next().unwrap_or(model);
            let mut graphql = parsed.clone();
            graphql.set_path("/graphql");
            let query = json!({
                "query": "query($p: String!, $m: String!) { project(id: $p) { model(id: $m) { versions(limit: 1) { items { referencedObject } } } } }",
                "variables": { "p": project, "m": model },
            });
            let answer: Value = authorise(client.post(graphql).json(&query))
                .send()
                .await
                .with_context(|| format!("cannot reach {url}"))?
                .json()
                .await
                .context("the server's GraphQL answer is not JSON")?;
            if let Some(error) = answer.pointer("/errors/0/message").and_then(Value::as_str) {
                bail!("the server refused: {error}");
            }
            let object = answer
                .pointer("/data/project/model/versions/items/0/referencedObject")
                .and_then(Value::as_str)
                .context("the model has no versions")?;
            (project.to_string(), object.to_string())
        }
        _ => bail!("expected <server>/objects/<project>/<object> or <server>/projects/<project>/models/<model>, not {url}"),
    };
    let mut objects = parsed.clone();
    objects.set_path(&format!("/objects/{project}/{object}"));
    objects.set_query(None);
    let response = authorise(client.get(objects).header("accept", "text/plain"))
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    if !response.status().is_success() {
        bail!("the server answered {} for the objects", response.status());
    }
    // Speckle servers, Fleck among them, send object trees gzipped whatever the client asked.
    let gzipped = response
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .is_some_and(|encoding| encoding == "gzip");
    let body = response.bytes().await?;
    let text = if gzipped {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut text)
            .context("the server's gzipped objects do not unpack")?;
        text
    } else {
        String::from_utf8(body.to_vec()).context("the server's objects are not UTF-8 text")?
    };
    Ok((text, object))
}
