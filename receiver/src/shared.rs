//! The state both servers share: the fault plan, the counters, the
//! validation state behind one mutex, and the in-flight request count that
//! `stop` waits on. Processing a decoded request lives here so that both
//! transports count and validate the same way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::sync::Notify;

use crate::faults::{Admission, FaultPlan, Faults};
use crate::report::Report;
use crate::stats::{add, bump, Signal, Stats, Transport};
use crate::validate::{logs, metrics, traces, Findings, ValidationState};

/// Requests being handled, and a wake-up when there are none.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    n: AtomicUsize,
    idle: Notify,
}

/// Counts one request as in flight until dropped.
pub(crate) struct InFlightGuard<'a>(&'a InFlight);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if self.0.n.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    pub(crate) fn enter(&self) -> InFlightGuard<'_> {
        self.n.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self)
    }

    /// Returns once no request is in flight.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.n.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    started: Instant,
    faults: FaultPlan,
    pub(crate) stats: Stats,
    state: Mutex<ValidationState>,
    pub(crate) inflight: InFlight,
}

impl Shared {
    pub(crate) fn new(faults: Faults, max_tracked_spans: usize) -> Shared {
        Shared {
            started: Instant::now(),
            faults: FaultPlan::new(faults),
            stats: Stats::default(),
            state: Mutex::new(ValidationState::new(max_tracked_spans)),
            inflight: InFlight::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ValidationState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decides whether a request is refused, counting refusals.
    pub(crate) fn admit(&self, signal: Signal, transport: Transport) -> Admission {
        let a = self.faults.admit(self.started.elapsed());
        let cell = self.stats.cell(signal, transport);
        match a {
            Admission::Accept => {}
            Admission::Unavailable => bump(&cell.refused_unavailable),
            Admission::Throttled(_) => bump(&cell.refused_throttled),
        }
        a
    }

    /// Counts the items of an accepted request; returns how many are rejected.
    fn count(&self, signal: Signal, transport: Transport, items: u64) -> u64 {
        let rejected = self.faults.rejected(items);
        let cell = self.stats.cell(signal, transport);
        add(&cell.items, items - rejected);
        add(&cell.rejected, rejected);
        rejected
    }

    fn reject_message(signal: Signal, rejected: u64, items: u64) -> String {
        format!(
            "tsim receive: {rejected} of {items} {} rejected (--reject-rate)",
            signal.items()
        )
    }

    pub(crate) fn accept_traces(
        &self,
        transport: Transport,
        req: &ExportTraceServiceRequest,
    ) -> ExportTraceServiceResponse {
        let mut findings = Findings::default();
        let mut refs = Vec::new();
        let items = traces::check(req, &mut findings, &mut refs);
        {
            let mut guard = self.lock();
            let st = &mut *guard;
            st.violations.merge(findings);
            st.spans.record(&refs, &mut st.violations);
        }
        let rejected = self.count(Signal::Traces, transport, items);
        ExportTraceServiceResponse {
            partial_success: (rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: i64::try_from(rejected).unwrap_or(i64::MAX),
                error_message: Self::reject_message(Signal::Traces, rejected, items),
            }),
        }
    }

    pub(crate) fn accept_metrics(
        &self,
        transport: Transport,
        req: &ExportMetricsServiceRequest,
    ) -> ExportMetricsServiceResponse {
        let mut findings = Findings::default();
        let mut obs = Vec::new();
        let items = metrics::check(req, &mut findings, &mut obs);
        {
            let mut guard = self.lock();
            let st = &mut *guard;
            st.violations.merge(findings);
            st.series.observe(&obs, &mut st.violations);
        }
        let rejected = self.count(Signal::Metrics, transport, items);
        ExportMetricsServiceResponse {
            partial_success: (rejected > 0).then(|| ExportMetricsPartialSuccess {
                rejected_data_points: i64::try_from(rejected).unwrap_or(i64::MAX),
                error_message: Self::reject_message(Signal::Metrics, rejected, items),
            }),
        }
    }

    pub(crate) fn accept_logs(
        &self,
        transport: Transport,
        req: &ExportLogsServiceRequest,
    ) -> ExportLogsServiceResponse {
        let mut findings = Findings::default();
        let items = logs::check(req, &mut findings);
        self.lock().violations.merge(findings);
        let rejected = self.count(Signal::Logs, transport, items);
        ExportLogsServiceResponse {
            partial_success: (rejected > 0).then(|| ExportLogsPartialSuccess {
                rejected_log_records: i64::try_from(rejected).unwrap_or(i64::MAX),
                error_message: Self::reject_message(Signal::Logs, rejected, items),
            }),
        }
    }

    /// A snapshot, or with `complete` the final report (parents resolved).
    pub(crate) fn report(&self, complete: bool) -> Report {
        let mut r = self.stats.snapshot();
        r.complete = complete;
        r.elapsed_secs = self.started.elapsed().as_secs_f64();
        let mut guard = self.lock();
        let st = &mut *guard;
        if complete {
            st.spans.resolve(&mut st.violations);
        } else {
            r.pending_parents = st.spans.pending();
        }
        r.violations = st.violations.total;
        r.violation_kinds = st
            .violations
            .kinds
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        r.tracked_spans = st.spans.tracked();
        r.tracking_stopped = st.spans.stopped();
        r.tracked_series = st.series.tracked();
        r.series_tracking_stopped = st.series.stopped();
        r
    }
}
