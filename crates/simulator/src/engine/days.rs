//! Members' days: shifts, sessions, heartbeats, choosing the next work.

use super::*;

impl Engine {
    /// Finds the member's next working shift and schedules its first session.
    pub(super) fn plan_shift(&mut self, m: usize) {
        let today = self.now.div_euclid(DAY);
        let first = (today - 1).max(self.members[m].last_day + 1);
        for (attempt, day) in (first..).enumerate() {
            self.members[m].last_day = day;
            let weekday = (day + 3).rem_euclid(7); // 0 = Monday
            let p = if weekday < 5 {
                P_WORK_WEEKDAY
            } else {
                P_WORK_WEEKEND
            };
            let works = self.rng.gen_bool(p) || attempt > 30;
            let jitter = self.rng.gen_range(-20 * MIN..=20 * MIN);
            let start = day * DAY + self.members[m].shift_offset + jitter;
            let end = start + SHIFT;
            if works && end > self.now + 30 * MIN {
                // Start in a session with probability `duty`, otherwise in
                // a break, as a steady on/off rhythm would.
                let duty = self.members[m].duty;
                let delay = if self.rng.gen_bool(duty.clamp(0.0, 1.0)) {
                    self.rng.gen_range(0..=20 * MIN)
                } else {
                    self.break_ms(m)
                };
                let begin = start.max(self.now) + delay;
                self.members[m].shift_end = end;
                self.schedule(begin, Action::SessionStart { m: m as u32 });
                return;
            }
        }
    }

    pub(super) fn session_start(&mut self, m: usize) {
        if self.members[m].session.is_some() {
            return;
        }
        if self.now >= self.members[m].shift_end - 5 * MIN {
            self.plan_shift(m);
            return;
        }
        let Some(p) = self.choose_project(m) else {
            let d = self.rng.gen_range(10 * MIN..30 * MIN);
            if self.now + d < self.members[m].shift_end - 5 * MIN {
                self.after(d, Action::SessionStart { m: m as u32 });
            } else {
                self.plan_shift(m);
            }
            return;
        };
        let len = (lognormal(&mut self.rng, SESSION_MEDIAN_MIN, 0.4) * MIN as f64) as i64;
        let mb = &mut self.members[m];
        mb.session = Some(Session {
            project: p,
            ends_at: (self.now + len).min(mb.shift_end),
            idle_from: 0,
            idle_until: 0,
            task: None,
        });
        mb.hb_gen += 1;
        let gen = mb.hb_gen;
        self.emit_session("session.heartbeat", m, p, None);
        self.after(self.hb_ms, Action::Heartbeat { m: m as u32, gen });
        self.next_work(m);
    }

    pub(super) fn choose_project(&mut self, m: usize) -> Option<usize> {
        let projects = self.members[m].projects.clone();
        match self.members[m].role {
            Role::Annotator => {
                while let Some(&(t, _, p)) = self.members[m].rework.front() {
                    if self.tasks.contains_key(&t) {
                        return Some(p);
                    }
                    self.members[m].rework.pop_front();
                }
                let with_work: Vec<usize> = projects
                    .into_iter()
                    .filter(|&p| self.find_task(m, p).is_some())
                    .collect();
                with_work.choose(&mut self.rng).copied()
            }
            Role::Reviewer => {
                let mut best: Option<(usize, usize)> = None;
                for p in projects {
                    self.clean_review_front(p);
                    let len = self.projects[p].review_q.len();
                    if len > 0 && best.is_none_or(|(_, l)| len > l) {
                        best = Some((p, len));
                    }
                }
                best.map(|(p, _)| p)
            }
            Role::Manager => {
                let with_work: Vec<usize> = projects
                    .into_iter()
                    .filter(|&p| !self.projects[p].open.is_empty())
                    .collect();
                with_work.choose(&mut self.rng).copied()
            }
        }
    }

    pub(super) fn review_entry_valid(&self, (t, a, rev): (u64, u32, u32)) -> bool {
        self.tasks
            .get(&t)
            .and_then(|task| task.anns.get(a as usize))
            .is_some_and(|ann| {
                !ann.deleted && ann.revision == rev && ann.review == ReviewState::Pending
            })
    }

    pub(super) fn clean_review_front(&mut self, p: usize) {
        while let Some(&e) = self.projects[p].review_q.front() {
            if self.review_entry_valid(e) {
                break;
            }
            self.projects[p].review_q.pop_front();
        }
    }

    /// A task of project `p` annotator `m` may open now (cleans the queue).
    pub(super) fn find_task(&mut self, m: usize, p: usize) -> Option<u64> {
        let mu = m as u32;
        let project = &mut self.projects[p];
        while let Some(&t) = project.open.front() {
            match self.tasks.get_mut(&t) {
                Some(task) if task.filled < task.overlap => break,
                Some(task) => task.in_open = false,
                None => {}
            }
            project.open.pop_front();
            project.open_base += 1;
        }
        let base = project.open_base;
        let cursor = &mut self.members[m].cursors[p];
        if *cursor < base {
            *cursor = base;
        }
        let mut advancing = true;
        let mut found = None;
        for (i, &t) in project
            .open
            .iter()
            .enumerate()
            .skip((*cursor - base) as usize)
        {
            let (permanent_no, claimable) = match self.tasks.get(&t) {
                None => (true, false),
                Some(task) if task.filled >= task.overlap || task.touched.contains(&mu) => {
                    (true, false)
                }
                Some(task) => (false, task.filled + task.claimed < task.overlap),
            };
            if advancing && permanent_no {
                *cursor = base + i as u64 + 1;
            } else {
                advancing = false;
            }
            if claimable {
                found = Some(t);
                break;
            }
        }
        // Import when the backlog runs low, or sooner when someone has
        // nothing left to do and the backlog is not large.
        let tpp = self.tasks_per_project;
        let available = project.available;
        if available < (tpp / 4).max(4) || (found.is_none() && available < tpp) {
            self.request_import(p, found.is_none());
        }
        found
    }

    pub(super) fn lead_ms(&mut self, m: usize, p: usize, factor: f64) -> i64 {
        let mb = &self.members[m];
        let (median, sigma, speedup) = (mb.median_s, mb.sigma, mb.speedup);
        let diff = if mb.role == Role::Reviewer {
            1.0
        } else {
            self.projects[p].difficulty
        };
        let s = lognormal(&mut self.rng, median * diff, sigma).clamp(5.0, 1200.0) * factor;
        ((s * 1000.0 / speedup) as i64).max(1000)
    }

    /// Picks and starts the member's next piece of work in the session's
    /// project, or ends the session when there is none.
    pub(super) fn next_work(&mut self, m: usize) {
        let Some(p) = self.members[m].session.as_ref().map(|s| s.project) else {
            return;
        };
        let picked: Option<(WorkKind, u64, i64)> = match self.members[m].role {
            Role::Annotator => self.pick_annotation_work(m, p),
            Role::Reviewer => {
                self.clean_review_front(p);
                match self.projects[p].review_q.pop_front() {
                    Some((t, a, _)) => {
                        let dur = self.lead_ms(m, p, 1.0);
                        Some((WorkKind::Review { ann: a }, t, dur))
                    }
                    None => None,
                }
            }
            Role::Manager => {
                let mut pick = None;
                let len = self.projects[p].open.len();
                for _ in 0..8 {
                    if len == 0 {
                        break;
                    }
                    let t = self.projects[p].open[self.rng.gen_range(0..len)];
                    if self
                        .tasks
                        .get(&t)
                        .is_some_and(|task| !task.has_gt && task.filled < task.overlap)
                    {
                        pick = Some(t);
                        break;
                    }
                }
                match pick {
                    Some(t) => {
                        // Reserve it so two GT annotations never race.
                        if let Some(task) = self.tasks.get_mut(&t) {
                            task.has_gt = true;
                        }
                        let dur = self.lead_ms(m, p, 1.0);
                        Some((WorkKind::GroundTruth, t, dur))
                    }
                    None => None,
                }
            }
        };
        let Some((kind, task, mut dur)) = picked else {
            self.end_session(m, true);
            return;
        };
        let speedup = self.members[m].speedup;
        let gap = (self.rng.gen_range(1000..6000) as f64 / speedup) as i64;
        let mut idle = None;
        // Idle gaps stay longer than a minute; at high speedups they get rarer.
        if self.rng.gen_bool(self.members[m].idle_rate / speedup) {
            let len = 65 * SEC + (exponential(&mut self.rng, IDLE_EXTRA_MEAN_S) * 1000.0) as i64;
            let from = self.now + gap + self.rng.gen_range(0..=dur / 2);
            idle = Some((from, from + len));
            dur += len;
        }
        let mb = &mut self.members[m];
        if let Some(s) = mb.session.as_mut() {
            s.task = Some(task);
            if let Some((from, until)) = idle {
                s.idle_from = from;
                s.idle_until = until;
            }
        }
        mb.work = Some(Work { kind, task, dur });
        self.after(gap + dur, Action::WorkDone { m: m as u32 });
    }

    pub(super) fn pick_annotation_work(
        &mut self,
        m: usize,
        p: usize,
    ) -> Option<(WorkKind, u64, i64)> {
        if let Some((t, a)) = self.members[m].pending_update.take() {
            if self
                .tasks
                .get(&t)
                .is_some_and(|task| task.project == p && !task.anns[a as usize].deleted)
            {
                let dur = self.lead_ms(m, p, 0.4);
                return Some((WorkKind::SelfUpdate { ann: a }, t, dur));
            }
        }
        if let Some(i) = self.members[m].rework.iter().position(|&(_, _, q)| q == p) {
            let (t, a, _) = self.members[m]
                .rework
                .remove(i)
                .expect("index from position");
            if self
                .tasks
                .get(&t)
                .is_some_and(|task| !task.anns[a as usize].deleted)
            {
                let dur = self.lead_ms(m, p, 0.6);
                return Some((WorkKind::Rework { ann: a }, t, dur));
            }
        }
        let t = self.find_task(m, p)?;
        let task = self.tasks.get_mut(&t).expect("found above");
        task.claimed += 1;
        task.touched.push(m as u32);
        let skip = self.rng.gen_bool(self.members[m].skip_rate);
        let dur = self.lead_ms(m, p, if skip { 0.35 } else { 1.0 });
        Some((WorkKind::Annotate { skip }, t, dur))
    }

    pub(super) fn end_session(&mut self, m: usize, out_of_work: bool) {
        let Some(session) = self.members[m].session.take() else {
            return;
        };
        self.members[m].hb_gen += 1;
        self.members[m].work = None;
        self.emit_session("session.ended", m, session.project, None);
        if out_of_work {
            let d = self.rng.gen_range(20 * SEC..3 * MIN);
            self.after(d, Action::SessionStart { m: m as u32 });
            return;
        }
        let brk = self.break_ms(m);
        if self.now + brk < self.members[m].shift_end - 10 * MIN {
            self.after(brk, Action::SessionStart { m: m as u32 });
        } else {
            self.plan_shift(m);
        }
    }

    /// A break between sessions, long enough on average to keep the
    /// member's duty cycle.
    pub(super) fn break_ms(&mut self, m: usize) -> i64 {
        let duty = self.members[m].duty.clamp(1e-4, 0.99);
        let mean_session = SESSION_MEDIAN_MIN * crate::math::exp(0.08) * MIN as f64;
        let mean_break = mean_session * (1.0 - duty) / duty;
        (exponential(&mut self.rng, mean_break) as i64).max(2 * MIN)
    }

    pub(super) fn heartbeat(&mut self, m: usize, gen: u64) {
        let mb = &self.members[m];
        if mb.hb_gen != gen {
            return;
        }
        let Some(s) = mb.session.as_ref() else {
            return;
        };
        if self.now >= s.idle_from && self.now < s.idle_until {
            let until = s.idle_until;
            self.schedule(until, Action::Heartbeat { m: m as u32, gen });
            return;
        }
        let (p, task) = (s.project, s.task);
        self.emit_session("session.heartbeat", m, p, task);
        self.after(self.hb_ms, Action::Heartbeat { m: m as u32, gen });
    }
}
