//! Rare deletions and housekeeping (retiring old tasks).

use super::*;

impl Engine {
    pub(super) fn delete_annotation(&mut self, t: u64, a: u32) {
        let Some(task) = self.tasks.get_mut(&t) else {
            return;
        };
        let ann = &mut task.anns[a as usize];
        if ann.deleted {
            return;
        }
        ann.deleted = true;
        let n = ann.n;
        let counted = !ann.skipped && !ann.gt;
        let p = task.project;
        if counted {
            task.filled = task.filled.saturating_sub(1);
            if task.filled + 1 == task.overlap {
                let project = &mut self.projects[p];
                project.available += 1;
                project.done_since_import = project.done_since_import.saturating_sub(1);
            }
            if task.filled < task.overlap && !task.in_open {
                task.in_open = true;
                self.projects[p].open.push_back(t);
            }
        }
        let with_task = self.rng.gen_bool(0.6);
        let mut s = self.begin("annotation.deleted", Some(p));
        field_str(&mut s, "annotation_id", &format!("a-{n}"));
        if with_task {
            field_str(&mut s, "task_id", &format!("t-{t}"));
        }
        self.finish(s, p);
        self.sync_state(t);
    }

    pub(super) fn delete_review(&mut self, t: u64, a: u32, r: u64) {
        let Some(task) = self.tasks.get_mut(&t) else {
            return;
        };
        let p = task.project;
        let ann = &mut task.anns[a as usize];
        if ann.last_review == r && !ann.deleted {
            ann.review = ReviewState::Deleted;
        }
        let mut s = self.begin("review.deleted", Some(p));
        field_str(&mut s, "review_id", &format!("r-{r}"));
        self.finish(s, p);
        self.sync_state(t);
    }

    pub(super) fn delete_prediction(&mut self, t: u64, n: u64) {
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let mut s = self.begin("prediction.deleted", Some(p));
        field_str(&mut s, "prediction_id", &format!("pr-{n}"));
        self.finish(s, p);
    }

    pub(super) fn delete_task(&mut self, t: u64) {
        let Some(task) = self.tasks.remove(&t) else {
            return;
        };
        let p = task.project;
        if task.filled < task.overlap {
            let project = &mut self.projects[p];
            project.available = project.available.saturating_sub(1);
        }
        let mut s = self.begin("task.deleted", Some(p));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        self.finish(s, p);
    }

    pub(super) fn retire(&mut self) {
        let now = self.now;
        let projects = &mut self.projects;
        self.tasks.retain(|_, t| {
            let age = now - t.created;
            let keep = age < TASK_MAX_AGE && (age < TASK_RETIRE_AGE || t.filled < t.overlap);
            if !keep && t.filled < t.overlap {
                let project = &mut projects[t.project];
                project.available = project.available.saturating_sub(1);
            }
            keep
        });
        self.after(HOUR, Action::Retire);
    }
}
