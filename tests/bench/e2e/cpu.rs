//! Where the CPU went during a measured phase: the ingestor's, ClickHouse's
//! and Kafka's CPU seconds (user + system, from `/proc/PID/stat`) and the
//! whole machine's busy and idle seconds (`/proc/stat`). On two cores shared
//! by all three, this tells whether a phase was CPU-bound and who spent it.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// CPU counters at one moment, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSample {
    ingestor: Option<u64>,
    clickhouse: Option<u64>,
    kafka: Option<u64>,
    machine_busy: Option<u64>,
    machine_idle: Option<u64>,
}

/// CPU seconds spent between two samples; `None` where a counter could not be read.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CpuSeconds {
    pub ingestor: Option<f64>,
    pub clickhouse: Option<f64>,
    pub kafka: Option<f64>,
    /// All cores together: seconds not idle (includes the three above and the bench itself).
    pub machine_busy: Option<f64>,
    /// All cores together: idle and I/O-wait seconds.
    pub machine_idle: Option<f64>,
}

/// The processes whose CPU time is sampled.
#[derive(Debug, Clone)]
pub struct CpuWatch {
    ingestor: u32,
    clickhouse: Option<u32>,
    kafka: Option<u32>,
    ticks_per_second: f64,
}

impl CpuWatch {
    /// Watches `ingestor` and the local services whose pid files are in
    /// `services_dir` (`deploy/local/services`' state folder).
    pub fn new(ingestor: u32, services_dir: &Path) -> CpuWatch {
        CpuWatch {
            ingestor,
            clickhouse: read_pid(&services_dir.join("clickhouse/clickhouse.pid")),
            kafka: read_pid(&services_dir.join("kafka/kafka.pid")),
            ticks_per_second: ticks_per_second(),
        }
    }

    /// The counters now.
    pub fn sample(&self) -> CpuSample {
        let (machine_busy, machine_idle) = machine_ticks().unzip();
        CpuSample {
            ingestor: process_ticks(self.ingestor),
            clickhouse: self.clickhouse.and_then(process_ticks),
            kafka: self.kafka.and_then(process_ticks),
            machine_busy,
            machine_idle,
        }
    }

    /// The seconds spent from `start` to `end`.
    pub fn between(&self, start: CpuSample, end: CpuSample) -> CpuSeconds {
        let seconds = |a: Option<u64>, b: Option<u64>| {
            Some(b?.checked_sub(a?)? as f64 / self.ticks_per_second)
        };
        CpuSeconds {
            ingestor: seconds(start.ingestor, end.ingestor),
            clickhouse: seconds(start.clickhouse, end.clickhouse),
            kafka: seconds(start.kafka, end.kafka),
            machine_busy: seconds(start.machine_busy, end.machine_busy),
            machine_idle: seconds(start.machine_idle, end.machine_idle),
        }
    }
}

/// The state folder of `deploy/local/services`: `LABELPULSE_SERVICES_DIR`, else `.local`.
pub fn services_dir(root: &Path) -> PathBuf {
    std::env::var_os("LABELPULSE_SERVICES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".local"))
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// User + system ticks of `pid` (fields 14 and 15 of `/proc/PID/stat`,
/// counted after the parenthesized command name, which may hold spaces).
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// (busy, idle) ticks of all cores: the `cpu` line of `/proc/stat`, where
/// idle is `idle + iowait` (fields 4 and 5) and busy is every other field
/// up to `steal` (guest time is already inside user).
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let idle = fields.get(3)? + fields.get(4)?;
    let busy = fields.iter().sum::<u64>() - idle;
    Some((busy, idle))
}

/// `getconf CLK_TCK`, 100 when it cannot be asked.
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}
