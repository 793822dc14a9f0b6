//! The parameter tables of a test: one [`PhaseTable`] per phase it defines,
//! one [`Param`] per named argument, each with the [`Decoder`] that reads its
//! values.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::args::{Args, shown};
use crate::failure::Failure;
use crate::phase::Phase;

/// Whether a parameter must be given, may be left out, or has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// `name: T`: must be given.
    Required,
    /// `name: Option<T>`: may be left out (or null).
    Optional,
    /// `#[arg(default = expr)] name: T`: the default's source text.
    Default(&'static str),
}

/// Deserializes a parameter's value, type-erased so that one function pointer per
/// type serves both validation and the dispatcher.
pub type Decoder = fn(&Value) -> Result<Box<dyn std::any::Any>, String>;

/// The [`Decoder`] of `T`.
///
/// # Errors
///
/// The deserializer's message.
pub fn decoder<T: DeserializeOwned + 'static>(value: &Value) -> Result<Box<dyn std::any::Any>, String> {
    T::deserialize(value).map(|v| Box::new(v) as Box<dyn std::any::Any>).map_err(|e| e.to_string())
}

/// One named parameter of a phase: name, Rust type, kind and documentation.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    name: &'static str,
    type_name: &'static str,
    kind: ParamKind,
    doc: &'static str,
    default_value: Option<&'static str>,
    decode: Decoder,
}

impl Param {
    /// A parameter whose values `decode` reads (what `#[autotest]` generates,
    /// with [`decoder`]).
    #[must_use]
    pub const fn new(name: &'static str, type_name: &'static str, kind: ParamKind, decode: Decoder) -> Self {
        Param { name, type_name, kind, doc: "", default_value: None, decode }
    }

    /// A required parameter of type `T`, spelled `type_name` in messages and listings.
    #[must_use]
    pub const fn required<T: DeserializeOwned + 'static>(name: &'static str, type_name: &'static str) -> Self {
        Param::new(name, type_name, ParamKind::Required, decoder::<T>)
    }

    /// An optional parameter; `T` is the value type (without the `Option`).
    #[must_use]
    pub const fn optional<T: DeserializeOwned + 'static>(name: &'static str, type_name: &'static str) -> Self {
        Param::new(name, type_name, ParamKind::Optional, decoder::<T>)
    }

    /// A parameter with a default, shown as `default` in listings.
    #[must_use]
    pub const fn with_default<T: DeserializeOwned + 'static>(
        name: &'static str,
        type_name: &'static str,
        default: &'static str,
    ) -> Self {
        Param::new(name, type_name, ParamKind::Default(default), decoder::<T>)
    }

    /// Adds documentation.
    #[must_use]
    pub const fn with_doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }

    /// The default as JSON text (`"fast"`, `64`, `[1, 2]`), when it is a value
    /// rather than an expression only the compiler can evaluate; `#[autotest]`
    /// sets it for literal defaults.
    #[must_use]
    pub const fn with_default_value(mut self, json: &'static str) -> Self {
        self.default_value = Some(json);
        self
    }

    /// The default as a JSON value, if it is known as one.
    #[must_use]
    pub fn default_value(&self) -> Option<Value> {
        self.default_value.and_then(|json| serde_json::from_str(json).ok())
    }

    /// The default as a person reads it: its JSON value when known (`"/dev/loop0"`),
    /// else the expression as written.
    #[must_use]
    pub fn default_text(&self) -> Option<&'static str> {
        match self.kind {
            ParamKind::Default(expr) => Some(self.default_value.unwrap_or(expr)),
            _ => None,
        }
    }

    /// The name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The Rust type as written (`f64`, `Option<String>`, `Vec<u32>`).
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Required, optional or defaulted.
    #[must_use]
    pub const fn kind(&self) -> ParamKind {
        self.kind
    }

    /// The documentation (`#[arg(doc = "...")]`).
    #[must_use]
    pub const fn doc(&self) -> &'static str {
        self.doc
    }

    /// Whether the value `value` deserializes as the parameter's type (null counts
    /// as absent for optional and defaulted parameters).
    ///
    /// # Errors
    ///
    /// The deserializer's message.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        if value.is_null() && self.kind != ParamKind::Required {
            return Ok(());
        }
        (self.decode)(value).map(drop)
    }

    /// The value of this parameter in `args`, deserialized; `None` when absent or
    /// null.
    ///
    /// # Errors
    ///
    /// An ERROR failure naming the parameter, the phase and the value when it does
    /// not deserialize as `T` (which must be the parameter's type).
    pub fn value<T: 'static>(&self, args: &Args, test: &str, phase: &str) -> Result<Option<T>, Failure> {
        let wrong = |value: &Value| {
            Failure::error(format!(
                "`{}` of {test}.{phase} expects {}, got {}",
                self.name,
                self.type_name,
                shown(value)
            ))
        };
        match args.get(self.name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => match (self.decode)(value) {
                Ok(decoded) => decoded.downcast::<T>().map(|v| Some(*v)).map_err(|_| wrong(value)),
                Err(_) => Err(wrong(value)),
            },
        }
    }
}

/// The parameters of one phase.
#[derive(Debug, Clone, Copy)]
pub struct PhaseTable {
    phase: Phase,
    params: &'static [Param],
    accepts_all: bool,
}

impl PhaseTable {
    /// A phase taking exactly `params`.
    #[must_use]
    pub const fn new(phase: Phase, params: &'static [Param]) -> Self {
        PhaseTable { phase, params, accepts_all: false }
    }

    /// Marks a phase that takes every argument (`#[args] all: &Args`, autotest's `**dargs`).
    #[must_use]
    pub const fn accepting_all(mut self) -> Self {
        self.accepts_all = true;
        self
    }

    /// The phase.
    #[must_use]
    pub const fn phase(&self) -> Phase {
        self.phase
    }

    /// Its named parameters.
    #[must_use]
    pub const fn params(&self) -> &'static [Param] {
        self.params
    }

    /// Whether it takes every argument.
    #[must_use]
    pub const fn accepts_all(&self) -> bool {
        self.accepts_all
    }
}
