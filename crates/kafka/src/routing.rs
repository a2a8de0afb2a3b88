//! Misrouting detection: all events of a project must arrive on one
//! partition (the engine's versions of a project's keys are that
//! partition's offsets). The first partition a project is seen on is its
//! home; the same project arriving on another partition is misrouted.

use std::collections::HashMap;

/// The home partition of each project seen on this ingestor's partitions.
#[derive(Debug, Default)]
pub(crate) struct ProjectRoutes {
    home: HashMap<String, i32>,
}

impl ProjectRoutes {
    /// `Ok` when `project` belongs to `partition` (remembering it on first
    /// sight), else `Err(home)`.
    pub(crate) fn check(&mut self, project: &str, partition: i32) -> Result<(), i32> {
        match self.home.get(project) {
            Some(&home) if home == partition => Ok(()),
            Some(&home) => Err(home),
            None => {
                self.home.insert(project.to_string(), partition);
                Ok(())
            }
        }
    }

    /// Forgets the projects of partitions this ingestor no longer owns.
    pub(crate) fn forget(&mut self, partitions: &[i32]) {
        self.home.retain(|_, home| !partitions.contains(home));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_partition_is_home_until_forgotten() {
        let mut routes = ProjectRoutes::default();
        assert_eq!(routes.check("p1", 3), Ok(()));
        assert_eq!(routes.check("p1", 3), Ok(()));
        assert_eq!(routes.check("p1", 5), Err(3));
        assert_eq!(routes.check("p2", 5), Ok(()));
        routes.forget(&[3]);
        assert_eq!(routes.check("p1", 5), Ok(()));
        assert_eq!(routes.check("p2", 5), Ok(()));
    }
}
