//! nginx (Debian's package) started by the bench on a free port from a
//! config template in tools/bench/, in a directory of its own that is
//! removed with it.

use std::collections::HashMap;

use crate::procs::{Process, free_port};

/// A running nginx and its directory (removed on drop, after the process).
pub struct Nginx {
    pub process: Process,
    _dir: TempDir,
}

/// Starts nginx from `template` with `{{DIR}}`, `{{PORT}}` and each
/// `(placeholder, value)` of `fill` filled in.
pub fn start(template: &str, fill: &[(&str, String)]) -> anyhow::Result<Nginx> {
    let dir = TempDir::new("bench-nginx")?;
    let port = free_port();
    let mut config = template.replace("{{DIR}}", &dir.path).replace("{{PORT}}", &port.to_string());
    for (placeholder, value) in fill {
        config = config.replace(placeholder, value);
    }
    let config_path = format!("{}/nginx.conf", dir.path);
    std::fs::write(&config_path, config)?;
    let env = HashMap::from([("PORT".to_owned(), port.to_string())]);
    let process =
        Process::spawn("nginx", "nginx".into(), &["-p", &dir.path, "-c", &config_path, "-g", "daemon off;"], &env)?;
    Ok(Nginx { process, _dir: dir })
}

/// A directory removed on drop.
struct TempDir {
    path: String,
}

impl TempDir {
    fn new(prefix: &str) -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path)?;
        Ok(Self { path: path.display().to_string() })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
