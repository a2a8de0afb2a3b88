//! The simulated organization at the start: its members with their
//! habits, its projects with their labeling setups, who works on what, and
//! the duty cycles that make the stream's rate match `intensity`. The
//! random draws happen in this order (members, projects, assignments), so a
//! seed gives the same organization.

use super::*;

/// `n_annotators` annotators, `n_reviewers` reviewers and one manager, with
/// distinct names, a region (shift time), speed, skip rate and accuracy.
pub(super) fn members(
    rng: &mut ChaCha8Rng,
    n_annotators: usize,
    n_reviewers: usize,
    n_projects: usize,
) -> Vec<Member> {
    let mut members = Vec::with_capacity(n_annotators + n_reviewers + 1);
    let mut used_names: Vec<String> = Vec::new();
    let roles = std::iter::repeat_n(Role::Annotator, n_annotators)
        .chain(std::iter::repeat_n(Role::Reviewer, n_reviewers))
        .chain(std::iter::once(Role::Manager));
    for (i, role) in roles.enumerate() {
        let mut pick = || {
            let f = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
            let l = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
            (f, l)
        };
        let mut name = None;
        for _ in 0..20 {
            let (f, l) = pick();
            let full = format!("{f} {l}");
            if !used_names.contains(&full) {
                name = Some((full, format!("{}.{}", f, l).to_lowercase()));
                break;
            }
        }
        let (name, local) = name.unwrap_or_else(|| {
            let (f, l) = pick();
            (
                format!("{f} {l} {}", i + 1),
                format!("{f}.{l}.{}", i + 1).to_lowercase(),
            )
        });
        used_names.push(name.clone());
        let region = {
            let u: f64 = rng.gen();
            let mut acc = 0.0;
            let mut off = REGIONS[0].0;
            for &(o, w) in REGIONS {
                acc += w;
                if u < acc {
                    off = o;
                    break;
                }
            }
            if role == Role::Manager {
                7 * HOUR
            } else {
                off
            }
        };
        let shift_offset = region + rng.gen_range(-45 * MIN..=45 * MIN);
        let (median_s, sigma) = match role {
            Role::Annotator => (
                lognormal(rng, 28.0, 0.5).clamp(8.0, 150.0),
                rng.gen_range(0.45..0.8),
            ),
            Role::Reviewer => (
                lognormal(rng, 18.0, 0.4).clamp(6.0, 60.0),
                rng.gen_range(0.35..0.6),
            ),
            Role::Manager => (60.0, 0.5),
        };
        let u: f64 = rng.gen();
        let skip_rate = 0.01 + 0.22 * u * u;
        let accuracy = if role == Role::Manager {
            0.99
        } else {
            0.62 + 0.35 * rng.gen::<f64>().sqrt()
        };
        members.push(Member {
            id: format!("m-{}", i + 1),
            name,
            email: format!("{local}@example.com"),
            role,
            median_s,
            sigma,
            skip_rate,
            accuracy,
            update_rate: rng.gen_range(0.02..0.12),
            idle_rate: rng.gen_range(0.02..0.07),
            strictness: rng.gen_range(0.7..0.98),
            fix_bias: rng.gen_range(0.3..0.7),
            shift_offset,
            projects: Vec::new(),
            cursors: vec![0; n_projects],
            last_day: i64::MIN / 4,
            shift_end: i64::MIN / 4,
            duty: 0.3,
            speedup: 1.0,
            session: None,
            hb_gen: 0,
            work: None,
            pending_update: None,
            rework: VecDeque::new(),
        });
    }
    members
}

/// `n_projects` projects, `per_ws` to a workspace: one image project (when
/// there are three or more), the others text projects with a sentiment
/// control and some with topics and a rating; overlap 1 to 3, review
/// criteria in turn, most with a model.
pub(super) fn projects(
    rng: &mut ChaCha8Rng,
    n_projects: usize,
    per_ws: usize,
    start: i64,
) -> Vec<Project> {
    let image_project = if n_projects >= 3 { Some(1) } else { None };
    let criteria_offset = rng.gen_range(0..3);
    let mut projects = Vec::with_capacity(n_projects);
    let mut text_k = 0usize;
    for j in 0..n_projects {
        let ws = j / per_ws;
        let mut controls = Vec::new();
        let (title, difficulty) = if Some(j) == image_project {
            controls.push(Control::with_prior(
                rng,
                "objects",
                "image",
                ControlKind::Rect,
                OBJECTS,
                100,
            ));
            controls.push(Control::with_prior(
                rng,
                "time_of_day",
                "image",
                ControlKind::Single,
                TIME_OF_DAY,
                50,
            ));
            (format!("Street scenes #{}", j + 1), 2.5)
        } else {
            controls.push(Control::with_prior(
                rng,
                "sentiment",
                "text",
                ControlKind::Single,
                SENTIMENT,
                100,
            ));
            let multi = text_k & 1 == 0 || rng.gen_bool(0.3);
            let rating = text_k % 3 != 2 && rng.gen_bool(0.7) || text_k == 1;
            if multi {
                controls.push(Control::with_prior(
                    rng,
                    "topics",
                    "text",
                    ControlKind::Multi,
                    TOPICS,
                    100,
                ));
            }
            if rating {
                controls.push(Control::with_prior(
                    rng,
                    "quality",
                    "text",
                    ControlKind::Rating,
                    &[],
                    50,
                ));
            }
            let base = TEXT_TITLES[text_k % TEXT_TITLES.len()];
            text_k += 1;
            (
                format!("{base} #{}", j + 1),
                1.0 + 0.25 * (controls.len() - 1) as f64,
            )
        };
        let overlap = [1u32, 2, 2, 3, 3][rng.gen_range(0..5)];
        let criteria = [Criteria::One, Criteria::All, Criteria::None][(j + criteria_offset) % 3];
        let model = if j == 0 || rng.gen_bool(0.7) {
            let date_style = j % 2 == 1;
            Some(Model::new(date_style, rng.gen_range(0.65..0.85), start))
        } else {
            None
        };
        projects.push(Project {
            id: format!("p-{}", j + 1),
            workspace_id: format!("ws-{}", ws + 1),
            title,
            overlap,
            threshold_pct: rng.gen_range(60..=80),
            criteria,
            controls,
            difficulty,
            model,
            open: VecDeque::new(),
            open_base: 0,
            review_q: VecDeque::new(),
            annotators: Vec::new(),
            reviewers: Vec::new(),
            import_pending: true,
            available: 0,
            done_since_import: 0,
        });
    }
    projects
}

/// Who works on what: every annotator on a home project and perhaps two
/// more, at least overlap + 2 annotators per project, reviewers on most
/// reviewed projects (at least one each), the manager on all.
pub(super) fn assign(
    rng: &mut ChaCha8Rng,
    members: &mut [Member],
    projects: &mut [Project],
    n_annotators: usize,
    n_reviewers: usize,
) {
    let n_projects = projects.len();
    for member in members.iter_mut().take(n_annotators) {
        let home = rng.gen_range(0..n_projects);
        let mut ps = vec![home];
        for p in [0.5, 0.2] {
            if rng.gen_bool(p) {
                let q = rng.gen_range(0..n_projects);
                if !ps.contains(&q) {
                    ps.push(q);
                }
            }
        }
        member.projects = ps;
    }
    for (j, project) in projects.iter_mut().enumerate() {
        let need = (project.overlap as usize + 2).min(n_annotators);
        let mut have = (0..n_annotators)
            .filter(|&i| members[i].projects.contains(&j))
            .count();
        while have < need {
            let i = rng.gen_range(0..n_annotators);
            if !members[i].projects.contains(&j) {
                members[i].projects.push(j);
                have += 1;
            }
        }
        project.annotators = (0..n_annotators)
            .filter(|&i| members[i].projects.contains(&j))
            .collect();
        project.overlap = project.overlap.min(project.annotators.len() as u32).max(1);
    }
    for member in members.iter_mut().skip(n_annotators).take(n_reviewers) {
        member.projects = (0..n_projects)
            .filter(|&j| {
                let p = if projects[j].criteria == Criteria::None {
                    0.3
                } else {
                    0.7
                };
                rng.gen_bool(p)
            })
            .collect();
    }
    if n_reviewers > 0 {
        for (j, project) in projects.iter().enumerate() {
            if project.criteria != Criteria::None
                && !(n_annotators..n_annotators + n_reviewers)
                    .any(|r| members[r].projects.contains(&j))
            {
                let r = n_annotators + rng.gen_range(0..n_reviewers);
                members[r].projects.push(j);
            }
        }
        for (r, member) in members
            .iter_mut()
            .enumerate()
            .skip(n_annotators)
            .take(n_reviewers)
        {
            member.projects.sort_unstable();
            for &j in &member.projects {
                projects[j].reviewers.push(r);
            }
        }
    }
    let manager = members.len() - 1;
    members[manager].projects = (0..n_projects).collect();
}

/// Sets each member's duty cycle (and speed-up beyond `MAX_DUTY`) so that
/// the organization emits about `intensity` annotation events per
/// simulated second and reviewers keep up with their queues.
pub(super) fn calibrate(members: &mut [Member], projects: &[Project], intensity: f64) {
    // Expected share of time a member is available for sessions.
    let p_day = (5.0 * P_WORK_WEEKDAY + 2.0 * P_WORK_WEEKEND) / 7.0;
    let availability = SHIFT as f64 / DAY as f64 * p_day * SESSION_EFFICIENCY;
    let mut annotation_rate = 0.0; // events per second with everyone always active
    for m in members.iter().filter(|m| m.role == Role::Annotator) {
        let diff = m
            .projects
            .iter()
            .map(|&j| projects[j].difficulty)
            .sum::<f64>()
            / m.projects.len() as f64;
        let lead = m.median_s * crate::math::exp(m.sigma * m.sigma / 2.0) * diff;
        let per_task = (1.0 - m.skip_rate) * lead
            + m.skip_rate * 0.35 * lead
            + 3.5
            + m.idle_rate * (65.0 + IDLE_EXTRA_MEAN_S)
            + m.update_rate * (0.4 * lead + 3.5);
        annotation_rate += (1.0 + m.update_rate) / per_task;
    }
    let duty = intensity / (annotation_rate * availability);
    let (duty, speedup) = if duty > MAX_DUTY {
        (MAX_DUTY, duty / MAX_DUTY)
    } else {
        (duty, 1.0)
    };
    // Reviews needed per annotation event, averaged over projects
    // weighted by their annotators.
    let (mut share, mut weight) = (0.0, 0.0);
    for p in projects {
        let s = if p.reviewers.is_empty() {
            0.0
        } else {
            match p.criteria {
                Criteria::One => 1.0 / p.overlap as f64,
                Criteria::All => 1.0,
                Criteria::None => 0.05,
            }
        };
        share += s * p.annotators.len() as f64;
        weight += p.annotators.len() as f64;
    }
    let review_load = intensity * 0.85 * share / weight.max(1.0) * 1.1;
    let review_rate: f64 = members
        .iter()
        .filter(|m| m.role == Role::Reviewer)
        .map(|m| 1.0 / (m.median_s * crate::math::exp(m.sigma * m.sigma / 2.0) * 1.1 + 3.5))
        .sum();
    let (r_duty, r_speedup) = if review_rate > 0.0 {
        // Reviewers keep a little spare capacity so queues drain.
        let d = 1.25 * review_load / (review_rate * availability);
        if d > MAX_DUTY {
            (MAX_DUTY, d / MAX_DUTY)
        } else {
            (d.max(0.02), 1.0)
        }
    } else {
        (0.0, 1.0)
    };
    for m in members.iter_mut() {
        match m.role {
            Role::Annotator => {
                m.duty = duty;
                m.speedup = speedup;
            }
            Role::Reviewer => {
                m.duty = r_duty;
                m.speedup = r_speedup;
            }
            Role::Manager => {
                m.duty = 0.5;
                m.speedup = speedup;
            }
        }
    }
}
