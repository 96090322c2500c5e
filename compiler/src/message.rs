//! The words of each diagnostic: its one-line message, the label under the
//! source snippet, and its help. Lowercase, no trailing period; help starts
//! with "try ..." or says what is allowed.

use crate::diagnostic::Kind;

fn mean(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_default()
}

fn or_hint(suggestion: &Option<String>, fallback: String) -> Option<String> {
    Some(match suggestion {
        Some(_) => mean(suggestion),
        None => fallback,
    })
}

impl Kind {
    /// The one-line message.
    pub fn message(&self) -> String {
        use Kind::*;
        match self {
            Syntax {
                expected, found, ..
            } => format!("expected {expected}, found {found}"),
            BadLiteral { what, reason } => format!("invalid {what}: {reason}"),
            UnknownService { name, .. } => format!("unknown service `{name}`"),
            UnknownEndpoint { service, name, .. } => {
                format!("service `{service}` has no endpoint `{name}`")
            }
            UnknownDatabase { name, .. } => format!("unknown database `{name}`"),
            UnknownQueue { name, .. } => format!("unknown queue `{name}`"),
            UnknownMetric { name, .. } => format!("unknown metric `{name}`"),
            UnknownTarget { name, .. } => format!("unknown target `{name}`"),
            UnknownParam { name, .. } => format!("unknown param `${name}`"),
            UnknownFunction { name, .. } => format!("unknown function `{name}`"),
            UnknownArgument { function, name, .. } => {
                format!("`{function}` has no argument `{name}`")
            }
            MissingArgument { function, name } => {
                format!("`{function}` is missing its argument `{name}`")
            }
            ExtraArgument { function, reason } => format!("`{function}`: {reason}"),
            UnknownSetting { family, name, .. } => {
                format!("family `{family}` has no setting `{name}`")
            }
            UnknownFamily { name, .. } => format!("unknown metric family `{name}`"),
            UnknownScope { name, .. } => format!("unknown series scope `per {name}`"),
            UnknownOnError { name, .. } => format!("unknown error handling `on_error {name}`"),
            BadSpanKind { found, .. } => format!("an endpoint cannot be `kind {found}` here"),
            BadOverride { text, reason } => format!("cannot apply `--set {text}`: {reason}"),
            DuplicateName { what, name } => format!("{what} `{name}` is defined twice"),
            DuplicateStatement { statement } => format!("`{statement}` is given twice"),
            ConflictingStatements { first, second } => {
                format!("`{second}` cannot be combined with `{first}`")
            }
            MissingStatement {
                what, statement, ..
            } => format!("{what} needs `{statement}`"),
            CallCycle { cycle } => format!("calls form a cycle: {cycle}"),
            UnitMismatch {
                expected, found, ..
            } => format!("expected {expected}, found {found}"),
            OutOfRange { what, value, .. } => format!("{what} {value} is out of range"),
            QuantileOrder { low, high } => format!("p99 {high} is below the median {low}"),
            ZeroWeights { what } => format!("the weights of {what} sum to zero"),
            WeightsExceedTotal { service, total } => {
                format!("endpoint weights of `{service}` add up to {total}")
            }
            EmptyRange { low, high } => format!("empty range: {low} is above {high}"),
            UnsortedBuckets { previous, next } => {
                format!("bucket bounds must increase, but {next} follows {previous}")
            }
            WindowOutsideRun { end, duration } => {
                format!("this window ends at {end}, after the run ends at {duration}")
            }
            ConflictingIncidents { target, property } => {
                format!("overlapping incidents on `{target}` set `{property}` differently")
            }
            PeriodTooShort { period } => {
                format!("the period {period} is too short: an `every` period must be at least 1s")
            }
            MissingLength { what, .. } => format!("{what} needs `for DURATION`"),
            BadStatus { code } => {
                format!("a failure's status code must be 400-599, found {code}")
            }
            TooDeep {
                what,
                depth,
                unit,
                limit,
                ..
            } => format!("{what} {depth} {unit} deep, more than the {limit} allowed"),
            TooBig {
                what, size, limit, ..
            } => format!("{what} {size}, more than the limit of {limit}"),
            MissingTarget { action, .. } => format!("`{action}` needs a target"),
            MissingMagnitude { action, .. } => format!("`{action}` needs a magnitude"),
            UnsupportedOverride {
                action, property, ..
            } => {
                format!("`{action}` does not take `{property}`")
            }
            BadPattern { reason } => format!("invalid pattern: {reason}"),
            UnfilledPlaceholder { name, message, maybe: false } => {
                format!("`{{{name}}}` in \"{message}\" names no attribute of this stream")
            }
            UnfilledPlaceholder { name, message, maybe: true } => format!(
                "`{{{name}}}` in \"{message}\" is a `maybe` attribute: records without it would show `{{{name}}}`"
            ),
            BadTimezone { name, .. } => format!("unknown time zone `{name}`"),
            UnknownChoice { param, value, .. } => {
                format!("`${param}` is \"{value}\", which names no arm of this `select`")
            }
            BadChoiceParam { param, reason } => format!("`select ${param}`: {reason}"),
            ImportCycle { chain } => format!("imports form a cycle: {chain}"),
            ParamCycle { chain } => format!("params are defined by each other in a cycle: {chain}"),
            MissingFile { path, reason } => format!("cannot read `{path}`: {reason}"),
            UnreadableFile { path, reason } => format!("cannot use `{path}`: {reason}"),
            EmptyService { name } => format!("service `{name}` has no endpoints"),
        }
    }

    /// The short text under the highlighted source.
    pub fn label(&self) -> String {
        use Kind::*;
        match self {
            Syntax { .. } => "unexpected here".into(),
            UnknownService { .. }
            | UnknownEndpoint { .. }
            | UnknownDatabase { .. }
            | UnknownQueue { .. }
            | UnknownMetric { .. }
            | UnknownTarget { .. }
            | UnknownParam { .. }
            | UnknownFunction { .. }
            | UnknownArgument { .. }
            | UnknownSetting { .. }
            | UnknownFamily { .. }
            | UnknownScope { .. } => "not defined".into(),
            DuplicateName { .. } => "defined again here".into(),
            DuplicateStatement { .. } => "given again here".into(),
            UnitMismatch { expected, .. } => format!("expected {expected}"),
            OutOfRange { .. } => "out of range".into(),
            UnknownChoice { .. } => "chosen here".into(),
            BadChoiceParam { .. } => "chooses the arm".into(),
            CallCycle { .. } => "this call closes the cycle".into(),
            ImportCycle { .. } => "this import closes the cycle".into(),
            WindowOutsideRun { .. } => "ends too late".into(),
            UnknownOnError { .. } => "not `fail` or `ignore`".into(),
            BadSpanKind { .. } => "not a span kind this endpoint can have".into(),
            PeriodTooShort { .. } => "too short".into(),
            MissingLength { .. } => "has no window to act in".into(),
            BadStatus { .. } => "not an error status".into(),
            TooDeep { unit, .. } if unit == "endpoints" => "the chain starts here".into(),
            TooDeep { .. } => "too deep".into(),
            TooBig { .. } => "too big".into(),
            _ => "here".into(),
        }
    }

    /// Advice on how to fix it.
    pub fn help(&self) -> Option<String> {
        use Kind::*;
        match self {
            Syntax { suggestion, .. } => suggestion.as_ref().map(|s| format!("did you mean `{s}`?")),
            BadLiteral { .. } => None,
            UnknownService { suggestion, .. } => {
                or_hint(suggestion, "try declaring it with `service \"name\" { ... }`".into())
            }
            UnknownEndpoint { suggestion, service, .. } => or_hint(
                suggestion,
                format!("try adding `endpoint \"...\" {{ }}` to service `{service}`"),
            ),
            UnknownDatabase { suggestion, .. } => {
                or_hint(suggestion, "try declaring it with `database \"name\" { ... }`".into())
            }
            UnknownQueue { suggestion, .. } => {
                or_hint(suggestion, "try declaring it with `queue \"name\" { ... }`".into())
            }
            UnknownMetric { suggestion, .. } => {
                or_hint(suggestion, "try declaring it with `metric \"name\" gauge { ... }`".into())
            }
            UnknownTarget { suggestion, expected, .. } => {
                or_hint(suggestion, format!("the target must name {expected}"))
            }
            UnknownParam { suggestion, .. } => {
                or_hint(suggestion, "try declaring it with `param name = value`".into())
            }
            UnknownFunction { suggestion, expected, .. }
            | UnknownArgument { suggestion, expected, .. }
            | UnknownSetting { suggestion, expected, .. } => {
                or_hint(suggestion, format!("expected one of: {expected}"))
            }
            MissingArgument { name, .. } => Some(format!("try adding `{name}: ...`")),
            ExtraArgument { .. } => Some("try removing the extra argument".into()),
            UnknownFamily { suggestion, .. } => {
                or_hint(suggestion, "the families are `host` and `kubernetes`".into())
            }
            UnknownScope { suggestion, .. } => or_hint(
                suggestion,
                "try `per scenario`, `per service`, `per instance` or `per endpoint`".into(),
            ),
            UnknownOnError { suggestion, .. } => or_hint(
                suggestion,
                "try `on_error ignore` (the caller handles the failure) or `on_error fail` (the default)"
                    .into(),
            ),
            BadSpanKind { hint, .. } => Some(hint.clone()),
            BadOverride { .. } => {
                Some("write `--set name=value` with a value like the param's default".into())
            }
            DuplicateName { .. } => Some("try renaming one of them, or remove one".into()),
            DuplicateStatement { .. } => Some("try keeping only one of them".into()),
            ConflictingStatements { .. } => Some("try keeping only one of them".into()),
            MissingStatement { example, .. } => Some(format!("try adding `{example}`")),
            CallCycle { .. } => Some("requests must flow one way: remove one of the calls".into()),
            UnitMismatch { hint, .. } => hint.clone(),
            OutOfRange { allowed, .. } => Some(format!("allowed: {allowed}")),
            QuantileOrder { .. } => Some("the p99 must be at least the median".into()),
            ZeroWeights { .. } => Some("give at least one choice a positive weight".into()),
            WeightsExceedTotal { .. } => {
                Some("endpoint weights are shares of the service's traffic: make them add up to 100% at most".into())
            }
            EmptyRange { .. } => Some("try swapping the two ends".into()),
            UnsortedBuckets { .. } => Some("list bucket bounds in increasing order".into()),
            WindowOutsideRun { .. } => {
                Some("try starting it earlier, shortening it, or raising the scenario's `duration`".into())
            }
            ConflictingIncidents { .. } => {
                Some("try moving one incident so they do not overlap, or give them the same value".into())
            }
            PeriodTooShort { .. } => Some(
                "try a period of 1s or more, such as `every 1m for 10s`, or one `at ... for ...` window"
                    .into(),
            ),
            MissingLength { example, .. } => Some(format!("try `{example}`")),
            BadStatus { .. } => Some(
                "try a client or server error code such as `status 503`, or a pick of them".into(),
            ),
            TooDeep { hint, .. } | TooBig { hint, .. } => Some(hint.clone()),
            MissingTarget { example, .. } | MissingMagnitude { example, .. } => {
                Some(format!("for example: `{example}`"))
            }
            UnsupportedOverride { allowed, .. } => Some(format!("it takes: {allowed}")),
            BadPattern { .. } => {
                Some("placeholders are `{n}`, `{n:05}`, `{hex:16}` and `{uuid}`".into())
            }
            UnfilledPlaceholder { name, maybe: false, .. } => Some(format!(
                "declare `{name}` in the stream's `attributes {{ }}`, or take `{{{name}}}` out of the message"
            )),
            UnfilledPlaceholder { name, maybe: true, .. } => Some(format!(
                "make `{name}` always present, or take `{{{name}}}` out of the message"
            )),
            BadTimezone { suggestion, .. } => or_hint(
                suggestion,
                "use an IANA name such as \"America/New_York\", \"UTC\", or an offset such as \"+02:00\""
                    .into(),
            ),
            UnknownChoice { suggestion, arms, param, .. } => or_hint(
                suggestion,
                format!("the arms are {arms}; choose one with `--set {param}=NAME`"),
            ),
            BadChoiceParam { param, .. } => Some(format!(
                "declare it at top level with a quoted default, e.g. `param {param} = \"normal\"`"
            )),
            ImportCycle { .. } => Some("try moving the shared items into a third file".into()),
            ParamCycle { .. } => Some("give one of them a value, e.g. `param a = 10m`".into()),
            MissingFile { .. } => Some("import paths are relative to the importing file".into()),
            UnreadableFile { .. } => Some(
                "scenario files are regular UTF-8 text files of at most 16 MiB".into(),
            ),
            EmptyService { .. } => {
                Some("try adding `endpoint \"GET /\" { latency 10ms }`, or remove the service".into())
            }
        }
    }
}
