//! The experiment catalogue: every `*.toml` experiment of one folder, by
//! its file's stem, with the question it asks.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::runner::Experiment;

/// One experiment as the desk lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The file's stem: `payments-slow` for `payments-slow.toml`.
    pub id: String,
    pub title: String,
    pub question: String,
    /// Warm-up, faults and cool-down, in seconds.
    pub duration_s: u64,
    /// Why the desk cannot run it here (its faults stop containers and no
    /// Docker CLI is at hand); `None` when it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cannot_run: Option<String>,
}

/// The experiments of `dir`, read afresh at every call (files edited while
/// the desk runs are picked up), sorted by id. A file that does not parse
/// is left out and logged: one broken file must not hide the others.
pub fn list(dir: &Path, docker_available: bool) -> Vec<Entry> {
    let mut entries: Vec<Entry> = files(dir)
        .into_iter()
        .filter_map(|(id, path)| match Experiment::load(&path) {
            Ok(experiment) => Some(entry(id, &experiment, docker_available)),
            Err(error) => {
                tracing::warn!(file = %path.display(), "experiment left out of the catalogue: {error:#}");
                None
            }
        })
        .collect();
    entries.sort_by(|a, b| a.id.cmp(&b.id));
    entries
}

/// The experiment named `id`, with its file's path. Only ids listed by
/// [`files`] are looked up, so no id reaches outside `dir`.
pub fn find(dir: &Path, id: &str) -> Option<(PathBuf, anyhow::Result<Experiment>)> {
    let (_, path) = files(dir).into_iter().find(|(stem, _)| stem == id)?;
    let experiment = Experiment::load(&path);
    Some((path, experiment))
}

pub fn entry(id: String, experiment: &Experiment, docker_available: bool) -> Entry {
    let stops_containers = experiment.faults.iter().any(|fault| fault.container.is_some());
    let cannot_run = (stops_containers && !docker_available).then(|| {
        format!(
            "its faults act on containers and the desk has no Docker CLI: run it from the host \
             (target/release/chaos run chaos/experiments/{id}.toml)"
        )
    });
    Entry {
        id,
        title: experiment.title.clone(),
        question: experiment.question.trim().to_owned(),
        duration_s: (experiment.warmup + experiment.run_time()).as_secs(),
        cannot_run,
    }
}

/// `(stem, path)` of every `*.toml` file directly in `dir`.
fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    read.filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml") && path.is_file())
        .filter_map(|path| Some((path.file_stem()?.to_str()?.to_owned(), path)))
        .collect()
}

/// Whether `program` is an executable file on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
