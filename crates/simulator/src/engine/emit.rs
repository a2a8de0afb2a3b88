//! Writing events: the envelope, annotations, sessions, task states.

use super::*;

impl Engine {
    /// Starts an event: the envelope. `project` is None for org-level events.
    pub(super) fn begin(&mut self, ty: &str, project: Option<usize>) -> String {
        let n = self.emitted;
        self.emitted += 1;
        let mut s = String::with_capacity(320);
        s.push_str("{\"event_id\":\"");
        // UUID v4 layout; (hi, lo) is an injective function of n.
        let lo = mix(n.wrapping_add(self.id_salt.0));
        let hi = (mix(lo ^ self.id_salt.1) & !0xf003) | 0x4000 | (lo >> 62);
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        push_hex(&mut s, hi >> 32, 8);
        s.push('-');
        push_hex(&mut s, hi >> 16, 4);
        s.push('-');
        push_hex(&mut s, hi, 4);
        s.push('-');
        push_hex(&mut s, lo >> 48, 4);
        s.push('-');
        push_hex(&mut s, lo, 12);
        s.push('"');
        field_str(&mut s, "type", ty);
        field_int(&mut s, "schema_version", 1);
        field_time(&mut s, "occurred_at", self.now);
        if let Some(p) = project {
            let p = &self.projects[p];
            field_str(&mut s, "project_id", &p.id);
            field_str(&mut s, "workspace_id", &p.workspace_id);
        }
        field_str(&mut s, "org_id", &self.org_id);
        field_str(&mut s, "source", "simulator");
        s
    }

    pub(super) fn finish(&mut self, mut s: String, project: usize) {
        s.push('}');
        let key = self.projects[project].id.clone();
        self.out.push_back(SimEvent {
            at: ms_to_datetime(self.now),
            key,
            json: s,
        });
    }

    /// `completed_at`: usually now, sometimes a little earlier (producer lag).
    pub(super) fn completion_time(&mut self, not_before: i64) -> i64 {
        let t = if self.rng.gen_bool(0.03) {
            self.now - self.rng.gen_range(50..2500)
        } else {
            self.now
        };
        t.max(not_before + 1).min(self.now)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit_annotation(
        &mut self,
        ty: &str,
        project: usize,
        task: u64,
        ann_n: u64,
        member: usize,
        lead_ms: i64,
        cancelled: bool,
        gt: bool,
        completed: i64,
        vals: &[Val],
    ) {
        let mut s = self.begin(ty, Some(project));
        field_str(&mut s, "annotation_id", &format!("a-{ann_n}"));
        field_str(&mut s, "task_id", &format!("t-{task}"));
        field_str(&mut s, "member_id", &self.members[member].id);
        field_fixed(&mut s, "lead_time_seconds", lead_ms, 3);
        field_bool(&mut s, "was_cancelled", cancelled);
        field_bool(&mut s, "ground_truth", gt);
        field_time(&mut s, "completed_at", completed);
        push_key(&mut s, "result");
        push_result(
            &mut s,
            &mut self.rng,
            &self.projects[project].controls,
            vals,
        );
        self.finish(s, project);
    }

    pub(super) fn emit_session(&mut self, ty: &str, m: usize, project: usize, task: Option<u64>) {
        let mut s = self.begin(ty, Some(project));
        field_str(&mut s, "member_id", &self.members[m].id);
        if let Some(t) = task {
            field_str(&mut s, "task_id", &format!("t-{t}"));
        }
        self.finish(s, project);
    }

    /// With `emit_task_states`, emits `task.state_changed` when the derived
    /// state of the task moved.
    pub(super) fn sync_state(&mut self, t: u64) {
        if !self.cfg.emit_task_states {
            return;
        }
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let new = task.derive_state(self.projects[p].criteria);
        let old = task.state;
        if new == old {
            return;
        }
        if let Some(task) = self.tasks.get_mut(&t) {
            task.state = new;
        }
        let mut s = self.begin("task.state_changed", Some(p));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        field_str(&mut s, "from", old.as_str());
        field_str(&mut s, "to", new.as_str());
        self.finish(s, p);
    }
}
