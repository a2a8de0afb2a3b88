//! Finishing work: annotations, updates, reviews, ground truth.

use super::*;

impl Engine {
    pub(super) fn work_done(&mut self, m: usize) {
        let Some(work) = self.members[m].work.take() else {
            return;
        };
        match work.kind {
            WorkKind::Annotate { skip } => self.finish_annotation(m, work, skip),
            WorkKind::SelfUpdate { ann } => self.finish_update(m, work, ann, false),
            WorkKind::Rework { ann } => self.finish_update(m, work, ann, true),
            WorkKind::Review { ann } => self.finish_review(m, work, ann),
            WorkKind::GroundTruth => self.finish_ground_truth(m, work),
        }
        self.sync_state(work.task);
        let ends_at = self.members[m].session.as_ref().map_or(0, |s| s.ends_at);
        if let Some(s) = self.members[m].session.as_mut() {
            s.task = None;
        }
        if self.now >= ends_at {
            self.end_session(m, false);
        } else {
            self.next_work(m);
        }
    }

    pub(super) fn finish_annotation(&mut self, m: usize, work: Work, skip: bool) {
        let t = work.task;
        let Some(task) = self.tasks.get_mut(&t) else {
            return; // deleted while open: the work is lost
        };
        task.claimed = task.claimed.saturating_sub(1);
        let p = task.project;
        let acc = self.members[m].accuracy;
        let (vals, correct) = if skip {
            (Vec::new(), false)
        } else {
            draw_answer(&mut self.rng, &self.projects[p].controls, &task.truth, acc)
        };
        let n = self.next_ann;
        self.next_ann += 1;
        let completed = self.completion_time(i64::MIN);
        let ty = if skip {
            "annotation.skipped"
        } else {
            "annotation.submitted"
        };
        self.emit_annotation(ty, p, t, n, m, work.dur, skip, false, completed, &vals);
        let task = self.tasks.get_mut(&t).expect("still present");
        let idx = task.anns.len() as u32;
        task.anns.push(Ann {
            n,
            member: m as u32,
            lead_ms: work.dur,
            completed,
            correct,
            skipped: skip,
            gt: false,
            deleted: false,
            revision: 0,
            review: ReviewState::NotQueued,
            last_review: 0,
        });
        if skip {
            return;
        }
        task.filled += 1;
        if task.filled == task.overlap {
            let project = &mut self.projects[p];
            project.available = project.available.saturating_sub(1);
            project.done_since_import += 1;
        }
        if task.filled >= task.overlap {
            self.on_overlap_reached(t);
        }
        if self.rng.gen_bool(0.004) {
            let d = self.rng.gen_range(MIN..6 * HOUR);
            self.after(d, Action::DeleteAnnotation { task: t, ann: idx });
        }
        if self.rng.gen_bool(self.members[m].update_rate) {
            self.members[m].pending_update = Some((t, idx));
        }
    }

    /// Queues annotations for review once a task has its overlap.
    pub(super) fn on_overlap_reached(&mut self, t: u64) {
        let Some(task) = self.tasks.get_mut(&t) else {
            return;
        };
        let p = task.project;
        if self.projects[p].reviewers.is_empty() {
            return;
        }
        let criteria = self.projects[p].criteria;
        let mut push = Vec::new();
        match criteria {
            Criteria::One => {
                if task
                    .anns
                    .iter()
                    .all(|a| !a.active() || a.review == ReviewState::NotQueued)
                {
                    let active: Vec<usize> = (0..task.anns.len())
                        .filter(|&i| task.anns[i].active())
                        .collect();
                    if let Some(&i) = active.choose(&mut self.rng) {
                        push.push(i);
                    }
                }
            }
            Criteria::All => push.extend((0..task.anns.len()).filter(|&i| {
                task.anns[i].active() && task.anns[i].review == ReviewState::NotQueued
            })),
            Criteria::None => {
                for i in 0..task.anns.len() {
                    if task.anns[i].active()
                        && task.anns[i].review == ReviewState::NotQueued
                        && self.rng.gen_bool(0.05)
                    {
                        push.push(i);
                    }
                }
            }
        }
        for i in push {
            let a = &mut task.anns[i];
            a.review = ReviewState::Pending;
            self.projects[p]
                .review_q
                .push_back((t, i as u32, a.revision));
        }
        let q = &mut self.projects[p].review_q;
        while q.len() > REVIEW_QUEUE_CAP {
            q.pop_front();
        }
    }

    pub(super) fn finish_update(&mut self, m: usize, work: Work, a: u32, rework: bool) {
        let t = work.task;
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let ann = &task.anns[a as usize];
        if ann.deleted {
            return;
        }
        let p = task.project;
        let acc = self.members[m].accuracy;
        // Second looks fix many mistakes; rework after a rejection more so.
        let acc = acc + (1.0 - acc) * if rework { 0.7 } else { 0.5 };
        let (vals, correct) =
            draw_answer(&mut self.rng, &self.projects[p].controls, &task.truth, acc);
        let (n, prev_lead, prev_completed) = (ann.n, ann.lead_ms, ann.completed);
        let lead = prev_lead + work.dur;
        let completed = self.completion_time(prev_completed);
        self.emit_annotation(
            "annotation.updated",
            p,
            t,
            n,
            m,
            lead,
            false,
            false,
            completed,
            &vals,
        );
        let task = self.tasks.get_mut(&t).expect("still present");
        let ann = &mut task.anns[a as usize];
        ann.lead_ms = lead;
        ann.completed = completed;
        ann.correct = correct;
        ann.revision += 1;
        // A changed annotation under (or after a rejected) review goes back
        // to the reviewers.
        if (ann.review == ReviewState::Pending || rework) && !self.projects[p].reviewers.is_empty()
        {
            ann.review = ReviewState::Pending;
            let rev = ann.revision;
            self.projects[p].review_q.push_back((t, a, rev));
        }
    }

    pub(super) fn finish_review(&mut self, m: usize, work: Work, a: u32) {
        let t = work.task;
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let ann = &task.anns[a as usize];
        if ann.deleted {
            return;
        }
        let p = task.project;
        let (strict, fix_bias) = (self.members[m].strictness, self.members[m].fix_bias);
        let outcome = if ann.correct {
            let u: f64 = self.rng.gen();
            if u < 0.92 {
                ReviewState::Accepted
            } else if u < 0.97 {
                ReviewState::Fixed
            } else {
                ReviewState::Rejected
            }
        } else if self.rng.gen_bool(strict) {
            if self.rng.gen_bool(fix_bias) {
                ReviewState::Fixed
            } else {
                ReviewState::Rejected
            }
        } else {
            ReviewState::Accepted
        };
        let (ann_n, annotator) = (ann.n, ann.member as usize);
        let mut dur = work.dur;
        if outcome == ReviewState::Fixed {
            dur += dur * 4 / 5;
        }
        let completed = self.completion_time(i64::MIN);
        let started = completed - dur.max(1000);
        let r = self.next_review;
        self.next_review += 1;
        let mut s = self.begin("review.submitted", Some(p));
        field_str(&mut s, "review_id", &format!("r-{r}"));
        field_str(&mut s, "annotation_id", &format!("a-{ann_n}"));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        field_str(&mut s, "reviewer_id", &self.members[m].id);
        let outcome_str = match outcome {
            ReviewState::Accepted => "accepted",
            ReviewState::Fixed => "fixed_and_accepted",
            _ => "rejected",
        };
        field_str(&mut s, "outcome", outcome_str);
        field_time(&mut s, "started_at", started);
        field_time(&mut s, "completed_at", completed);
        if outcome == ReviewState::Fixed {
            push_key(&mut s, "fixed_result");
            let truth = &self.tasks[&t].truth;
            push_result(&mut s, &mut self.rng, &self.projects[p].controls, truth);
        }
        self.finish(s, p);
        let task = self.tasks.get_mut(&t).expect("still present");
        let ann = &mut task.anns[a as usize];
        ann.review = outcome;
        ann.last_review = r;
        if outcome == ReviewState::Fixed {
            ann.correct = true;
        }
        if outcome == ReviewState::Rejected && self.rng.gen_bool(0.75) {
            let rw = &mut self.members[annotator].rework;
            if rw.len() < REWORK_CAP {
                rw.push_back((t, a, p));
            }
        }
        if self.rng.gen_bool(0.004) {
            let d = self.rng.gen_range(MIN..3 * HOUR);
            self.after(
                d,
                Action::DeleteReview {
                    task: t,
                    ann: a,
                    review: r,
                },
            );
        }
    }

    pub(super) fn finish_ground_truth(&mut self, m: usize, work: Work) {
        let t = work.task;
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let acc = self.members[m].accuracy;
        let (vals, correct) =
            draw_answer(&mut self.rng, &self.projects[p].controls, &task.truth, acc);
        let n = self.next_ann;
        self.next_ann += 1;
        let completed = self.completion_time(i64::MIN);
        self.emit_annotation(
            "annotation.submitted",
            p,
            t,
            n,
            m,
            work.dur,
            false,
            true,
            completed,
            &vals,
        );
        let task = self.tasks.get_mut(&t).expect("still present");
        task.anns.push(Ann {
            n,
            member: m as u32,
            lead_ms: work.dur,
            completed,
            correct,
            skipped: false,
            gt: true,
            deleted: false,
            revision: 0,
            review: ReviewState::NotQueued,
            last_review: 0,
        });
    }
}
