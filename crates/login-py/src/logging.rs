//! Rust `tracing` records of login-io and login-core, delivered to Python's `logging` (logger
//! `aws_login`), so `logging.basicConfig(level=logging.DEBUG)` shows each refresh step.
//!
//! Only the records of our own crates are forwarded (not those of HTTP or TLS dependencies). A
//! record is formatted only when the Python logger is enabled for its level, checked with the GIL
//! held at the time of the record, so a level set later in Python takes effect at once. login-io
//! never puts a secret in a record: secrets are newtypes whose `Debug`/`Display` print
//! `[redacted]`, and the suite checks a DEBUG log of a refresh for every secret it handled.

use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Python's numeric levels (`logging.DEBUG` …); TRACE has no name there and is 5.
fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Forwards each event to `logging.getLogger("aws_login")`.
#[derive(Debug)]
struct PythonLogging {
    logger: Py<PyAny>,
}

/// `message` first, then the other fields as `key=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = python_level(event.metadata().level());
        // Not at all while the interpreter shuts down (a runtime thread may still log then).
        let _ = Python::try_attach(|py| -> PyResult<()> {
            let logger = self.logger.bind(py);
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                return Ok(());
            }
            let mut line = Line::default();
            event.record(&mut line);
            let text = format!("{}{}", line.message, line.fields);
            // "%s" so that a `%` in a path or message is never read as a format directive.
            let args = PyTuple::new(
                py,
                [
                    level.into_pyobject(py)?.into_any(),
                    "%s".into_pyobject(py)?.into_any(),
                    text.into_pyobject(py)?.into_any(),
                ],
            )?;
            logger.call_method1("log", args)?;
            Ok(())
        })
        .map(|result| {
            // A handler that raised must not turn into an error of the credential call.
            if let Err(error) = result {
                Python::attach(|py| error.write_unraisable(py, None));
            }
        });
    }
}

/// Makes the bridge the process-wide `tracing` subscriber of this extension module (its own copy
/// of `tracing`, so other Rust extensions in the process are not affected).
pub fn install(py: Python<'_>) -> PyResult<()> {
    let logger = py
        .import("logging")?
        .call_method1("getLogger", ("aws_login",))?
        .unbind();
    let targets = Targets::new()
        .with_target("login_io", Level::TRACE)
        .with_target("login_core", Level::TRACE);
    let subscriber =
        tracing_subscriber::registry().with(PythonLogging { logger }.with_filter(targets));
    // Fails only when a subscriber was set already (the module imported twice): keep that one.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}
