//! The start (members, projects) and task imports and predictions.

use super::*;

impl Engine {
    pub(super) fn start(&mut self) {
        for m in 0..self.members.len() {
            let mut s = self.begin("member.upserted", None);
            let mb = &self.members[m];
            field_str(&mut s, "member_id", &mb.id);
            field_str(&mut s, "name", &mb.name);
            field_str(&mut s, "email", &mb.email);
            field_str(&mut s, "role", mb.role.as_str());
            s.push('}');
            let key = mb.id.clone();
            self.out.push_back(SimEvent {
                at: ms_to_datetime(self.now),
                key,
                json: s,
            });
        }
        for p in 0..self.projects.len() {
            let mut s = self.begin("project.upserted", Some(p));
            let pr = &self.projects[p];
            field_str(&mut s, "title", &pr.title);
            field_int(&mut s, "overlap", pr.overlap as i64);
            field_fixed(&mut s, "agreement_threshold", pr.threshold_pct, 2);
            field_str(&mut s, "review_criteria", pr.criteria.as_str());
            push_key(&mut s, "controls");
            s.push('[');
            for (i, c) in pr.controls.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str("{\"name\":");
                push_json_str(&mut s, c.name);
                field_str(&mut s, "kind", c.kind_str());
                push_key(&mut s, "labels");
                s.push('[');
                for (k, l) in c.labels.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    push_json_str(&mut s, l);
                }
                s.push(']');
                field_bool(&mut s, "multiple", c.kind == ControlKind::Multi);
                if c.kind == ControlKind::Rating {
                    field_int(&mut s, "min", 1);
                    field_int(&mut s, "max", RATING_MAX as i64);
                }
                field_fixed(&mut s, "weight", c.weight_pct, 2);
                s.push('}');
            }
            s.push(']');
            self.finish(s, p);
        }
        for p in 0..self.projects.len() {
            let remaining = self.tasks_per_project;
            self.after(
                SEC + p as i64 * 200,
                Action::Import {
                    project: p as u32,
                    remaining,
                },
            );
        }
        for m in 0..self.members.len() {
            self.plan_shift(m);
        }
        self.after(HOUR, Action::Retire);
    }

    pub(super) fn import(&mut self, p: usize, remaining: u32) {
        let t = self.next_task;
        self.next_task += 1;
        let truth = draw_truth(&mut self.rng, &self.projects[p].controls);
        let base = self.projects[p].overlap;
        let custom = base < self.projects[p].annotators.len() as u32 && self.rng.gen_bool(0.03);
        let overlap = if custom { base + 1 } else { base };
        let mut s = self.begin("task.created", Some(p));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        if custom {
            field_int(&mut s, "overlap", overlap as i64);
        }
        self.finish(s, p);
        self.tasks.insert(
            t,
            Task {
                project: p,
                overlap,
                created: self.now,
                truth,
                anns: Vec::new(),
                touched: Vec::new(),
                claimed: 0,
                filled: 0,
                in_open: true,
                has_gt: false,
                state: TaskState::Initial,
            },
        );
        self.projects[p].open.push_back(t);
        self.projects[p].available += 1;
        if self.projects[p].model.is_some() && self.rng.gen_bool(0.92) {
            let d = self.rng.gen_range(2 * SEC..40 * SEC);
            self.after(d, Action::Predict { task: t });
        }
        if self.rng.gen_bool(0.002) {
            let d = self.rng.gen_range(10 * MIN..DAY);
            self.after(d, Action::DeleteTask { task: t });
        }
        if remaining > 1 {
            let d = self.rng.gen_range(30..400);
            self.after(
                d,
                Action::Import {
                    project: p as u32,
                    remaining: remaining - 1,
                },
            );
        } else {
            self.projects[p].import_pending = false;
        }
    }

    /// Schedules a new import batch for a project running low on work.
    pub(super) fn request_import(&mut self, p: usize, starving: bool) {
        if self.projects[p].import_pending {
            return;
        }
        self.projects[p].import_pending = true;
        // Replace what was finished since the last import (at least half
        // the initial import), so the backlog stays steady at any intensity.
        let done = std::mem::take(&mut self.projects[p].done_since_import);
        let tpp = self.tasks_per_project;
        let batch = done.clamp((tpp / 2).max(1), 20 * tpp);
        let now = self.now;
        if let Some(model) = self.projects[p].model.as_mut() {
            if now - model.since > MODEL_RELEASE_EVERY {
                model.bump(now);
            }
        }
        let d = if starving {
            self.rng.gen_range(30 * SEC..3 * MIN)
        } else {
            self.rng.gen_range(2 * MIN..20 * MIN)
        };
        self.after(
            d,
            Action::Import {
                project: p as u32,
                remaining: batch,
            },
        );
    }

    pub(super) fn predict(&mut self, t: u64) {
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let Some(model) = self.projects[p].model.as_ref() else {
            return;
        };
        let (vals, correct) = draw_answer(
            &mut self.rng,
            &self.projects[p].controls,
            &task.truth,
            model.accuracy,
        );
        let score = if correct {
            self.rng.gen_range(700..990)
        } else {
            self.rng.gen_range(350..800)
        };
        let n = self.next_prediction;
        self.next_prediction += 1;
        let mut s = self.begin("prediction.created", Some(p));
        field_str(&mut s, "prediction_id", &format!("pr-{n}"));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        let version = &self.projects[p]
            .model
            .as_ref()
            .expect("checked above")
            .version;
        field_str(&mut s, "model_version", version);
        field_fixed(&mut s, "score", score, 3);
        push_key(&mut s, "result");
        push_result(&mut s, &mut self.rng, &self.projects[p].controls, &vals);
        self.finish(s, p);
        if self.rng.gen_bool(0.003) {
            let d = self.rng.gen_range(30 * MIN..2 * DAY);
            self.after(
                d,
                Action::DeletePrediction {
                    task: t,
                    prediction: n,
                },
            );
        }
    }
}
