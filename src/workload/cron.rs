//! Cron schedules (placeholder).
