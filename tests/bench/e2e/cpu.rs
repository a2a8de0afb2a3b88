//! Where the CPU went during a measured phase: the ingestor's, ClickHouse's
//! and Kafka's CPU seconds (user + system, from `/proc/PID/stat`) and the
//! whole machine's busy and idle seconds (`/proc/stat`). On two cores shared
//! by all three, this tells whether a phase was CPU-bound and who spent it.
//! Per thread of the ingestor (grouped by name), the seconds on a CPU and
//! the seconds spent runnable but waiting for one (`/proc/PID/task/TID/schedstat`):
//! a thread that waits for a CPU was slowed by the others, not by its work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// CPU counters at one moment, in clock ticks (threads: nanoseconds).
#[derive(Debug, Clone, Default)]
pub struct CpuSample {
    ingestor: Option<u64>,
    /// Per thread id of the ingestor: its name, ns on a CPU, ns runnable waiting for one.
    ingestor_threads: BTreeMap<u32, (String, u64, u64)>,
    clickhouse: Option<u64>,
    kafka: Option<u64>,
    machine_busy: Option<u64>,
    machine_idle: Option<u64>,
}

/// CPU seconds spent between two samples; `None` where a counter could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct CpuSeconds {
    pub ingestor: Option<f64>,
    /// The ingestor's threads by name, most CPU first (threads that ended
    /// before the second sample are not counted).
    pub ingestor_threads: Vec<ThreadSeconds>,
    pub clickhouse: Option<f64>,
    pub kafka: Option<f64>,
    /// All cores together: seconds not idle (includes the three above and the bench itself).
    pub machine_busy: Option<f64>,
    /// All cores together: idle and I/O-wait seconds.
    pub machine_idle: Option<f64>,
}

/// The threads of one name, between two samples.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadSeconds {
    pub name: String,
    pub threads: usize,
    /// Seconds on a CPU.
    pub on_cpu: f64,
    /// Seconds runnable but waiting for a CPU (others ran).
    pub waiting_for_cpu: f64,
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
            ingestor_threads: thread_times(self.ingestor),
            clickhouse: self.clickhouse.and_then(process_ticks),
            kafka: self.kafka.and_then(process_ticks),
            machine_busy,
            machine_idle,
        }
    }

    /// The seconds spent from `start` to `end`.
    pub fn between(&self, start: &CpuSample, end: &CpuSample) -> CpuSeconds {
        let seconds = |a: Option<u64>, b: Option<u64>| {
            Some(b?.checked_sub(a?)? as f64 / self.ticks_per_second)
        };
        let mut by_name: BTreeMap<&str, ThreadSeconds> = BTreeMap::new();
        for (tid, (name, cpu, wait)) in &end.ingestor_threads {
            let (cpu_before, wait_before) = start
                .ingestor_threads
                .get(tid)
                .map_or((0, 0), |(_, cpu, wait)| (*cpu, *wait));
            let entry = by_name.entry(name).or_insert_with(|| ThreadSeconds {
                name: name.clone(),
                threads: 0,
                on_cpu: 0.0,
                waiting_for_cpu: 0.0,
            });
            entry.threads += 1;
            entry.on_cpu += cpu.saturating_sub(cpu_before) as f64 / 1e9;
            entry.waiting_for_cpu += wait.saturating_sub(wait_before) as f64 / 1e9;
        }
        let mut ingestor_threads: Vec<ThreadSeconds> = by_name.into_values().collect();
        ingestor_threads.sort_by(|a, b| b.on_cpu.total_cmp(&a.on_cpu));
        CpuSeconds {
            ingestor: seconds(start.ingestor, end.ingestor),
            ingestor_threads,
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

/// Per thread of `pid`: name, ns on a CPU and ns waiting on a run queue
/// (the first two fields of `/proc/PID/task/TID/schedstat`).
fn thread_times(pid: u32) -> BTreeMap<u32, (String, u64, u64)> {
    let mut threads = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return threads;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let Some(tid) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let Ok(schedstat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        let mut fields = schedstat.split_whitespace().map(str::parse::<u64>);
        if let (Some(Ok(cpu)), Some(Ok(wait))) = (fields.next(), fields.next()) {
            threads.insert(tid, (name.trim().to_string(), cpu, wait));
        }
    }
    threads
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
