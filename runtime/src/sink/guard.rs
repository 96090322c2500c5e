//! A sink that refuses to commit a stopped run: file sinks wrapped in it
//! keep their temporaries out of place when the run was stopped (Ctrl-C),
//! and removing them is left to their drop, so a directory is either the
//! complete new output or exactly what it was.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};
use crate::plan::Plan;

/// Forwards everything to `inner`, but fails `finish` (without calling
/// it) when `stop` is set.
pub struct Uncommitted<'a, S: Sink> {
    /// The wrapped sink.
    pub inner: S,
    /// The run's stop flag.
    pub stop: &'a AtomicBool,
}

impl<S: Sink> Sink for Uncommitted<'_, S> {
    fn link(&mut self, plan: &Plan<'_>) -> io::Result<()> {
        self.inner.link(plan)
    }
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        self.inner.span(s)
    }
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()> {
        self.inner.log(l)
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        self.inner.metric(m)
    }
    fn event(&mut self, e: &EventRecord<'_>) -> io::Result<()> {
        self.inner.event(e)
    }
    fn finish(&mut self) -> io::Result<()> {
        refuse_if_stopped(self.stop)?;
        self.inner.finish()
    }
}

/// The error of a run stopped before its end, when `stop` is set.
pub fn refuse_if_stopped(stop: &AtomicBool) -> io::Result<()> {
    if stop.load(Ordering::SeqCst) {
        return Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "stopped by a signal before the end: nothing was written (the output is as it was)",
        ));
    }
    Ok(())
}
