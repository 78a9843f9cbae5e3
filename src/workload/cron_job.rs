//! The CronJob controller (placeholder until implemented).

/// State of one CronJob.
pub struct CronJobController {}
