//! moto for the benchmarks: started through scripts/moto on a free port, stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Moto {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is killed and waited for by `Moto`'s Drop; the panic path leaves it to exit with the bench.
#[allow(clippy::zombie_processes)]
pub fn start_moto(work: &Path) -> Moto {
    let status = Command::new(root().join("scripts/moto"))
        .arg("--install-only")
        .status()
        .unwrap();
    assert!(status.success());
    let port_file = work.join("moto.port");
    let child = Command::new(root().join("scripts/moto"))
        .stdout(std::fs::File::create(&port_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        let port = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|t| t.lines().next()?.trim().parse::<u16>().ok());
        if let Some(port) = port
            && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        {
            return Moto { child, port };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto did not start");
}

pub fn aws_env<'a>(command: &'a mut Command, endpoint: &str) -> &'a mut Command {
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIABENCH")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
}
