//! A shell script of AWS CLI calls (what CI runs after the stacks) as a post-deploy step file.
//! Pure: the API models come in through [`ScriptModels`] (and files the script names through
//! it too); the command reads the script and writes the result.
//!
//! - `aws <service> <command> --option value` becomes `call: service:Operation` with `input`.
//!   The CLI's command and option names are botocore's transformation of the model's
//!   operation and member names ([`cli_name`]: `PutFunctionConcurrency` ->
//!   `put-function-concurrency`), so the mapping is built from the models, never a table. Only
//!   the CLI service names that differ from botocore's are aliased ([`SERVICE_ALIASES`]).
//! - Values are typed by the member's shape: JSON, the CLI's shorthand (`K=V,K2=V2`, lists
//!   `a b c` / `[a,b]`, nested `{...}`), `file://` and `fileb://` (read relative to the
//!   script). CLI options that are not members (`--region`, `--output`, ...) are dropped with a
//!   note.
//! - Shell: line continuations, quotes, comments. `$VAR` is `${env.VAR}`; a variable set from
//!   a stack-output lookup is `${STACK.Output}`; one set from another `aws` call makes that call
//!   a step (an action with an id) and reads its result, `${steps.<id>.<query>}`; one set to a
//!   literal is inlined.
//! - A step gets `check: auto` when the models derive one ([`ScriptModels::check`]), else it is
//!   an action, said in a comment. Steps keep the script's order (`depends_on` the previous).
//! - Every line not converted (pipes, loops, other commands, unknown operations or options) is
//!   a [`Problem`] and stays in the output as a `#` comment at its place.

use serde_json::{Map, Value};

use super::stacks::quote;

/// CLI service names that differ from botocore's (the CLI renames these services). `s3` alone
/// is the CLI's high-level file commands (`cp`, `sync`), which are no API operation.
pub const SERVICE_ALIASES: &[(&str, &str)] = &[("s3api", "s3"), ("configservice", "config")];

/// The names botocore's `xform_name` does not transform by its rules: its own exceptions, as
/// seeded in `botocore/__init__.py` (`_xform_cache`) of the botocore the models come from.
/// `tests/cli_names.rs` checks every operation and member name against botocore.
const BOTOCORE_EXCEPTIONS: &[(&str, &str)] = &[
    ("CreateCachediSCSIVolume", "create-cached-iscsi-volume"),
    (
        "DescribeCachediSCSIVolumes",
        "describe-cached-iscsi-volumes",
    ),
    (
        "DescribeStorediSCSIVolumes",
        "describe-stored-iscsi-volumes",
    ),
    ("CreateStorediSCSIVolume", "create-stored-iscsi-volume"),
    (
        "ListHITsForQualificationType",
        "list-hits-for-qualification-type",
    ),
    ("ExecutePartiQLStatement", "execute-partiql-statement"),
    ("ExecutePartiQLTransaction", "execute-partiql-transaction"),
    ("ExecutePartiQLBatch", "execute-partiql-batch"),
    ("CreateOAuth2Token", "create-oauth2-token"),
    ("CreateOAuth2TokenWithIAM", "create-oauth2-token-with-iam"),
    (
        "IntrospectOAuth2TokenWithIAM",
        "introspect-oauth2-token-with-iam",
    ),
    ("RevokeOAuth2TokenWithIAM", "revoke-oauth2-token-with-iam"),
    (
        "AssociateWhatsAppBusinessAccount",
        "associate-whatsapp-business-account",
    ),
    ("CreateWhatsAppDataset", "create-whatsapp-dataset"),
    ("CreateWhatsAppFlow", "create-whatsapp-flow"),
    (
        "CreateWhatsAppMessageTemplate",
        "create-whatsapp-message-template",
    ),
    (
        "CreateWhatsAppMessageTemplateFromLibrary",
        "create-whatsapp-message-template-from-library",
    ),
    (
        "CreateWhatsAppMessageTemplateMedia",
        "create-whatsapp-message-template-media",
    ),
    ("DeleteWhatsAppFlow", "delete-whatsapp-flow"),
    (
        "DeleteWhatsAppMessageMedia",
        "delete-whatsapp-message-media",
    ),
    (
        "DeleteWhatsAppMessageTemplate",
        "delete-whatsapp-message-template",
    ),
    ("DeprecateWhatsAppFlow", "deprecate-whatsapp-flow"),
    (
        "DisassociateWhatsAppBusinessAccount",
        "disassociate-whatsapp-business-account",
    ),
    (
        "GetLinkedWhatsAppBusinessAccount",
        "get-linked-whatsapp-business-account",
    ),
    (
        "GetLinkedWhatsAppBusinessAccountPhoneNumber",
        "get-linked-whatsapp-business-account-phone-number",
    ),
    ("GetOTelEnrichment", "get-otel-enrichment"),
    (
        "GetWhatsAppBusinessPublicKey",
        "get-whatsapp-business-public-key",
    ),
    ("GetWhatsAppCallPermission", "get-whatsapp-call-permission"),
    ("GetWhatsAppFlow", "get-whatsapp-flow"),
    ("GetWhatsAppFlowPreview", "get-whatsapp-flow-preview"),
    ("GetWhatsAppMessageMedia", "get-whatsapp-message-media"),
    (
        "GetWhatsAppMessageTemplate",
        "get-whatsapp-message-template",
    ),
    (
        "ListLinkedWhatsAppBusinessAccounts",
        "list-linked-whatsapp-business-accounts",
    ),
    ("ListWhatsAppFlowAssets", "list-whatsapp-flow-assets"),
    ("ListWhatsAppFlows", "list-whatsapp-flows"),
    (
        "ListWhatsAppMessageTemplates",
        "list-whatsapp-message-templates",
    ),
    (
        "ListWhatsAppTemplateLibrary",
        "list-whatsapp-template-library",
    ),
    ("PostWhatsAppMessageMedia", "post-whatsapp-message-media"),
    ("PublishWhatsAppFlow", "publish-whatsapp-flow"),
    (
        "PutWhatsAppBusinessPublicKey",
        "put-whatsapp-business-public-key",
    ),
    (
        "PutWhatsAppBusinessAccountEventDestinations",
        "put-whatsapp-business-account-event-destinations",
    ),
    (
        "SendWhatsAppConversionEvent",
        "send-whatsapp-conversion-event",
    ),
    ("SendWhatsAppMessage", "send-whatsapp-message"),
    ("SendWhatsAppCallEvent", "send-whatsapp-call-event"),
    ("StartOTelEnrichment", "start-otel-enrichment"),
    ("StopOTelEnrichment", "stop-otel-enrichment"),
    ("UpdateOTelEnrichment", "update-otel-enrichment"),
    ("UpdateWhatsAppFlow", "update-whatsapp-flow"),
    ("UpdateWhatsAppFlowAssets", "update-whatsapp-flow-assets"),
    (
        "UpdateLinkedWhatsAppBusinessAccountPhoneNumber",
        "update-linked-whatsapp-business-account-phone-number",
    ),
    (
        "UpdateWhatsAppMessageTemplate",
        "update-whatsapp-message-template",
    ),
];

/// CLI options that take a value and are not input members.
const GLOBAL_VALUE_OPTIONS: &[&str] = &[
    "region",
    "output",
    "query",
    "endpoint-url",
    "profile",
    "color",
    "cli-read-timeout",
    "cli-connect-timeout",
    "cli-binary-format",
    "ca-bundle",
];
/// CLI options without a value that are not input members.
const GLOBAL_FLAGS: &[&str] = &[
    "no-cli-pager",
    "debug",
    "no-paginate",
    "no-verify-ssl",
    "no-sign-request",
    "cli-auto-prompt",
    "no-cli-auto-prompt",
];

/// A member's type, as far as converting a CLI value needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    String,
    Integer,
    Float,
    Boolean,
    Blob,
    Timestamp,
    Structure(Vec<(String, Kind)>),
    List(Box<Kind>),
    Map(Box<Kind>),
    /// A document, or a shape nested too deep to follow: taken as written.
    Any,
}

/// What the conversion asks of the API models and the script's directory.
pub trait ScriptModels {
    /// The operations of a botocore service; `None` when the service is unknown.
    fn operations(&self, service: &str) -> Option<Vec<String>>;
    /// The members of an operation's input, typed.
    fn input(&self, service: &str, operation: &str) -> Vec<(String, Kind)>;
    /// The check `check: auto` derives for this apply call and input, or why none.
    fn check(&self, service: &str, operation: &str, input: &Value) -> Result<Check, String>;
    /// The input members whose value is sensitive (a secret string, a password).
    fn sensitive_members(&self, service: &str, operation: &str) -> Vec<String>;
    /// A file the script names (`file://path`), relative to the script.
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// A derived check: its read operation, and the input it needs beyond the derived one (a
/// read operation that returns only what it is asked for is asked for `All`: SQS
/// GetQueueAttributes' `AttributeNames`). With extra input, the check's input is written out.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub read: String,
    /// The derived check input (the apply input's members the read operation accepts).
    pub input: Map<String, Value>,
    pub extra: Map<String, Value>,
}

/// A line not converted, or a note on a converted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    /// `false` for a note (something dropped or changed on a line that was converted).
    pub not_converted: bool,
    pub message: String,
}

/// The step file and what the conversion has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub yaml: String,
    pub steps: usize,
    pub problems: Vec<Problem>,
}

/// botocore's `xform_name` with `-`: `PutFunctionConcurrency` -> `put-function-concurrency`,
/// `logGroupName` -> `log-group-name`, `DBInstanceIdentifier` -> `db-instance-identifier`,
/// `ResourceARNs` -> `resource-arns`.
pub fn cli_name(name: &str) -> String {
    if name.contains('-') {
        return name.to_string();
    }
    if let Some((_, cli)) = BOTOCORE_EXCEPTIONS.iter().find(|(model, _)| *model == name) {
        return cli.to_string();
    }
    let mut name = name.to_string();
    // `[A-Z]{2,}s$`: `ARNs` -> `-arns`.
    let chars: Vec<char> = name.chars().collect();
    if chars.len() >= 3 && chars[chars.len() - 1] == 's' {
        let mut start = chars.len() - 1;
        while start > 0 && chars[start - 1].is_ascii_uppercase() {
            start -= 1;
        }
        if chars.len() - 1 - start >= 2 {
            let head: String = chars[..start].iter().collect();
            let tail: String = chars[start..].iter().collect();
            name = format!("{head}-{}", tail.to_lowercase());
        }
    }
    // `(.)([A-Z][a-z]+)` -> `\1-\2`, non-overlapping, left to right.
    let chars: Vec<char> = name.chars().collect();
    let mut first = String::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len()
            && chars[i + 1].is_ascii_uppercase()
            && chars.get(i + 2).is_some_and(|c| c.is_ascii_lowercase())
        {
            let mut end = i + 2;
            while end < chars.len() && chars[end].is_ascii_lowercase() {
                end += 1;
            }
            first.push(chars[i]);
            first.push('-');
            first.extend(&chars[i + 1..end]);
            i = end;
        } else {
            first.push(chars[i]);
            i += 1;
        }
    }
    // `([a-z0-9])([A-Z])` -> `\1-\2`.
    let chars: Vec<char> = first.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        out.push(*c);
        if (c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_uppercase())
        {
            out.push('-');
        }
    }
    out.to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Shell words.

/// A piece of a shell word.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Var(String),
    /// `$(...)`: the command inside.
    Subst(String),
}

type Word = Vec<Part>;

/// One logical command line, lexed.
#[derive(Debug, Default)]
struct Lexed {
    words: Vec<Word>,
    /// Shell syntax beyond simple commands (`a pipe`, `a redirection`, ...), first seen.
    unsupported: Option<&'static str>,
    /// Where `;` or `&&` starts the next command: indexes into `words` (the script stops at
    /// a failing command, `set -e`, so each runs after the one before).
    splits: Vec<usize>,
}

impl Lexed {
    /// The commands of the line, split at `;` and `&&`.
    fn commands(self) -> Vec<Lexed> {
        let mut commands = Vec::new();
        let mut words = self.words.into_iter().enumerate().peekable();
        for end in self.splits.iter().copied().chain([usize::MAX]) {
            let mut part = Vec::new();
            while let Some((_, word)) = words.next_if(|(at, _)| *at < end) {
                part.push(word);
            }
            if !part.is_empty() {
                commands.push(Lexed {
                    words: part,
                    unsupported: None,
                    splits: Vec::new(),
                });
            }
        }
        commands
    }
}

/// Lexes one logical line; `None` when a quote or `$(` is still open (more lines needed).
fn lex(text: &str) -> Option<Lexed> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexed = Lexed::default();
    let mut word: Word = Vec::new();
    let mut in_word = false;
    let mut i = 0;
    let unsupported = |lexed: &mut Lexed, what: &'static str| {
        lexed.unsupported.get_or_insert(what);
    };
    fn push_lit(word: &mut Word, c: char) {
        if let Some(Part::Lit(text)) = word.last_mut() {
            text.push(c);
        } else {
            word.push(Part::Lit(c.to_string()));
        }
    }
    fn end_word(lexed: &mut Lexed, word: &mut Word, in_word: &mut bool) {
        if *in_word {
            lexed.words.push(std::mem::take(word));
            *in_word = false;
        }
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                end_word(&mut lexed, &mut word, &mut in_word);
                i += 1;
            }
            '#' if !in_word => break,
            '\\' => {
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(next) => {
                        push_lit(&mut word, *next);
                        in_word = true;
                    }
                    None => return None,
                }
                i += 2;
            }
            '\'' => {
                let close = chars[i + 1..].iter().position(|c| *c == '\'')? + i + 1;
                if let Some(Part::Lit(text)) = word.last_mut() {
                    text.extend(&chars[i + 1..close]);
                } else {
                    word.push(Part::Lit(chars[i + 1..close].iter().collect()));
                }
                in_word = true;
                i = close + 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    let c = *chars.get(i)?;
                    match c {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\\' => {
                            let next = *chars.get(i + 1)?;
                            if matches!(next, '$' | '`' | '"' | '\\') {
                                push_lit(&mut word, next);
                            } else if next != '\n' {
                                push_lit(&mut word, '\\');
                                push_lit(&mut word, next);
                            }
                            i += 2;
                        }
                        '$' => i = expansion(&chars, i, &mut word, &mut lexed)?,
                        '`' => {
                            unsupported(&mut lexed, "a backquoted command");
                            push_lit(&mut word, c);
                            i += 1;
                        }
                        _ => {
                            push_lit(&mut word, c);
                            i += 1;
                        }
                    }
                }
            }
            '$' => {
                in_word = true;
                i = expansion(&chars, i, &mut word, &mut lexed)?;
            }
            ';' | '&' if c == ';' || chars.get(i + 1) == Some(&'&') => {
                end_word(&mut lexed, &mut word, &mut in_word);
                lexed.splits.push(lexed.words.len());
                i += if c == ';' { 1 } else { 2 };
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '`' => {
                let what = match (c, chars.get(i + 1)) {
                    ('|', Some('|')) => "a command list with `||`",
                    ('|', _) => "a pipe",
                    ('&', _) => "a background job",
                    ('<' | '>', _) => "a redirection",
                    ('`', _) => "a backquoted command",
                    _ => "a subshell",
                };
                unsupported(&mut lexed, what);
                end_word(&mut lexed, &mut word, &mut in_word);
                i += 1;
            }
            _ => {
                push_lit(&mut word, c);
                in_word = true;
                i += 1;
            }
        }
    }
    end_word(&mut lexed, &mut word, &mut in_word);
    Some(lexed)
}

/// A `$` expansion at `at`: appended to `word`; the index after it. `None` when unterminated.
fn expansion(chars: &[char], at: usize, word: &mut Word, lexed: &mut Lexed) -> Option<usize> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match chars.get(at + 1) {
        Some('{') => {
            let close = chars[at + 2..].iter().position(|c| *c == '}')? + at + 2;
            let name: String = chars[at + 2..close].iter().collect();
            if name.is_empty() || !name.chars().all(is_name) {
                lexed
                    .unsupported
                    .get_or_insert("a parameter expansion beyond ${NAME}");
            }
            word.push(Part::Var(name));
            Some(close + 1)
        }
        Some('(') => {
            let mut depth = 0;
            let mut quote: Option<char> = None;
            let mut i = at + 1;
            loop {
                let c = *chars.get(i)?;
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some('"'), '\\') => i += 1,
                    (Some(_), _) => {}
                    (None, '\'' | '"') => quote = Some(c),
                    (None, '(') => depth += 1,
                    (None, ')') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            word.push(Part::Subst(chars[at + 2..i].iter().collect()));
            Some(i + 1)
        }
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            let mut end = at + 1;
            while end < chars.len() && is_name(chars[end]) {
                end += 1;
            }
            word.push(Part::Var(chars[at + 1..end].iter().collect()));
            Some(end)
        }
        Some(c) if c.is_ascii_digit() || "?@*#!-$".contains(*c) => {
            lexed
                .unsupported
                .get_or_insert("a positional or special parameter (`$1`, `$?`, ...)");
            word.push(Part::Lit(format!("${c}")));
            Some(at + 2)
        }
        _ => {
            if let Some(Part::Lit(text)) = word.last_mut() {
                text.push('$');
            } else {
                word.push(Part::Lit("$".into()));
            }
            Some(at + 1)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Variables and values.

/// Marks where a reference sits in a value while it is parsed (private-use characters).
const REF_OPEN: char = '\u{E000}';
const REF_CLOSE: char = '\u{E001}';

/// What a shell variable stands for.
#[derive(Debug, Clone, PartialEq)]
enum Var {
    /// Set to a literal: inlined.
    Literal(String),
    /// A gapfill reference: `${env.X}`, `${stack.Output}`, `${steps.id.path}`.
    Reference(String),
}

/// Resolves a word's variables: literals inlined, references as markers indexing `refs`.
fn resolve(
    word: &Word,
    vars: &indexmap::IndexMap<String, Var>,
    refs: &mut Vec<String>,
) -> Result<String, String> {
    let mut text = String::new();
    for part in word {
        match part {
            Part::Lit(lit) => text.push_str(lit),
            Part::Var(name) => match vars.get(name) {
                Some(Var::Literal(value)) => text.push_str(value),
                Some(Var::Reference(reference)) => {
                    text.push(REF_OPEN);
                    text.push_str(&refs.len().to_string());
                    text.push(REF_CLOSE);
                    refs.push(reference.clone());
                }
                None => {
                    text.push(REF_OPEN);
                    text.push_str(&refs.len().to_string());
                    text.push(REF_CLOSE);
                    refs.push(format!("${{env.{name}}}"));
                }
            },
            Part::Subst(_) => return Err("a command substitution inside a command".into()),
        }
    }
    Ok(text)
}

/// A parsed string as written in the step file: a literal `${` escaped, markers replaced by
/// their references.
fn finish_string(text: &str, refs: &[String]) -> String {
    let escaped = text.replace("${", "$${");
    let mut out = String::new();
    let mut rest = escaped.as_str();
    while let Some(open) = rest.find(REF_OPEN) {
        out.push_str(&rest[..open]);
        let after = &rest[open + REF_OPEN.len_utf8()..];
        match after.find(REF_CLOSE) {
            Some(close) => {
                let index: usize = after[..close].parse().unwrap_or(usize::MAX);
                out.push_str(refs.get(index).map(String::as_str).unwrap_or(""));
                rest = &after[close + REF_CLOSE.len_utf8()..];
            }
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn finish_value(value: Value, refs: &[String]) -> Value {
    match value {
        Value::String(text) => Value::String(finish_string(&text, refs)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| finish_value(item, refs))
                .collect(),
        ),
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(key, value)| (finish_string(&key, refs), finish_value(value, refs)))
                .collect(),
        ),
        other => other,
    }
}

/// The CLI's shorthand syntax: `K=V,K2=V2`, `K=a,b` (a list), `K=[a,b]`, `K={A=1}`, values
/// quoted with `'` or `"`.
pub fn parse_shorthand(text: &str) -> Result<Value, String> {
    let mut parser = Shorthand {
        chars: text.chars().collect(),
        pos: 0,
    };
    let members = parser.keyvals(None)?;
    parser.skip_ws();
    if parser.pos < parser.chars.len() {
        return Err(format!(
            "unexpected `{}` in shorthand `{text}`",
            parser.chars[parser.pos]
        ));
    }
    Ok(Value::Object(members))
}

struct Shorthand {
    chars: Vec<char>,
    pos: usize,
}

impl Shorthand {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn keyvals(&mut self, close: Option<char>) -> Result<Map<String, Value>, String> {
        let mut members = Map::new();
        loop {
            self.skip_ws();
            if self.peek().is_none() || self.peek() == close {
                return Ok(members);
            }
            let start = self.pos;
            while self.peek().is_some_and(|c| c != '=') {
                self.pos += 1;
            }
            let key: String = self.chars[start..self.pos].iter().collect();
            let key = key.trim().to_string();
            if self.peek() != Some('=') || key.is_empty() {
                return Err(format!("expected `Key=Value`, found `{key}`"));
            }
            self.pos += 1;
            let value = self.value(close)?;
            members.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                None => return Ok(members),
                Some(c) if Some(c) == close => return Ok(members),
                Some(c) => return Err(format!("unexpected `{c}` after a value")),
            }
        }
    }

    fn value(&mut self, close: Option<char>) -> Result<Value, String> {
        self.skip_ws();
        match self.peek() {
            Some('[') => self.list(),
            Some('{') => self.hash(),
            _ => {
                let stops: Vec<char> = [','].into_iter().chain(close).collect();
                let mut values = vec![self.scalar(&stops)?];
                while self.peek() == Some(',') && !self.key_at(self.pos + 1) {
                    self.pos += 1;
                    values.push(self.scalar(&stops)?);
                }
                Ok(if values.len() == 1 {
                    values.remove(0)
                } else {
                    Value::Array(values)
                })
            }
        }
    }

    fn hash(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let members = self.keyvals(Some('}'))?;
        self.skip_ws();
        if self.peek() != Some('}') {
            return Err("a `{` without its `}`".into());
        }
        self.pos += 1;
        Ok(Value::Object(members))
    }

    fn list(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err("a `[` without its `]`".into()),
                Some(']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                Some('[') => items.push(self.list()?),
                Some('{') => items.push(self.hash()?),
                _ => items.push(self.scalar(&[',', ']'])?),
            }
            self.skip_ws();
            if self.peek() == Some(',') {
                self.pos += 1;
            }
        }
    }

    fn scalar(&mut self, stops: &[char]) -> Result<Value, String> {
        self.skip_ws();
        if let Some(quote) = self.peek().filter(|c| *c == '"' || *c == '\'') {
            self.pos += 1;
            let mut text = String::new();
            loop {
                match self.peek() {
                    None => return Err(format!("an unclosed {quote} in shorthand")),
                    Some('\\') if quote == '"' => {
                        if let Some(next) = self.chars.get(self.pos + 1) {
                            text.push(*next);
                        }
                        self.pos += 2;
                    }
                    Some(c) if c == quote => {
                        self.pos += 1;
                        break;
                    }
                    Some(c) => {
                        text.push(c);
                        self.pos += 1;
                    }
                }
            }
            self.skip_ws();
            return Ok(Value::String(text));
        }
        let start = self.pos;
        while self.peek().is_some_and(|c| !stops.contains(&c)) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        Ok(Value::String(text.trim().to_string()))
    }

    /// Whether `Key=` starts at `at` (so a `,` before it ends a value instead of listing one).
    fn key_at(&self, at: usize) -> bool {
        let mut i = at;
        while self.chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        let start = i;
        while self
            .chars
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || "-_.#/:@".contains(*c))
        {
            i += 1;
        }
        i > start && self.chars.get(i) == Some(&'=')
    }
}

fn has_ref(text: &str) -> bool {
    text.contains(REF_OPEN)
}

/// A parsed value made to fit its member's type.
fn coerce(value: Value, kind: &Kind) -> Result<Value, String> {
    match (kind, value) {
        (Kind::Any, value) => Ok(value),
        (Kind::Integer, Value::String(text)) if has_ref(&text) => Ok(Value::String(text)),
        (Kind::Integer, Value::String(text)) => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("`{text}` is not an integer")),
        (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
        (Kind::Float, Value::String(text)) if has_ref(&text) => Ok(Value::String(text)),
        (Kind::Float, Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("`{text}` is not a number")),
        (Kind::Float, Value::Number(n)) => Ok(Value::Number(n)),
        (Kind::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
        (Kind::Boolean, Value::String(text)) if has_ref(&text) => Ok(Value::String(text)),
        (Kind::Boolean, Value::String(text)) => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not true or false")),
        },
        (Kind::String | Kind::Blob | Kind::Timestamp, Value::String(text)) => {
            Ok(Value::String(text))
        }
        (
            Kind::String | Kind::Blob | Kind::Timestamp,
            value @ (Value::Number(_) | Value::Bool(_)),
        ) => Ok(Value::String(value.to_string())),
        (Kind::Structure(members), Value::Object(given)) => {
            let mut out = Map::new();
            for (key, value) in given {
                let Some((_, member)) = members.iter().find(|(name, _)| *name == key) else {
                    let known: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(format!(
                        "unknown member `{key}` (members: {})",
                        known.join(", ")
                    ));
                };
                out.insert(key, coerce(value, member)?);
            }
            Ok(Value::Object(out))
        }
        (Kind::Map(value_kind), Value::Object(given)) => {
            let mut out = Map::new();
            for (key, value) in given {
                out.insert(key, coerce(value, value_kind)?);
            }
            Ok(Value::Object(out))
        }
        (Kind::List(item), Value::Array(items)) => Ok(Value::Array(
            items
                .into_iter()
                .map(|value| coerce(value, item))
                .collect::<Result<_, _>>()?,
        )),
        (Kind::List(item), scalar)
            if !matches!(scalar, Value::Object(_))
                || matches!(**item, Kind::Structure(_) | Kind::Map(_)) =>
        {
            Ok(Value::Array(vec![coerce(scalar, item)?]))
        }
        (kind, value) => Err(format!(
            "{} where {} is expected",
            describe(&value),
            kind_name(kind)
        )),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::String | Kind::Blob | Kind::Timestamp => "a string",
        Kind::Integer => "an integer",
        Kind::Float => "a number",
        Kind::Boolean => "a boolean",
        Kind::Structure(_) => "a structure",
        Kind::List(_) => "a list",
        Kind::Map(_) => "a map",
        Kind::Any => "a value",
    }
}

fn is_scalar(kind: &Kind) -> bool {
    !matches!(
        kind,
        Kind::Structure(_) | Kind::List(_) | Kind::Map(_) | Kind::Any
    )
}

/// The value of one option: its shell words (several for a list) typed by `kind`.
fn option_value(
    tokens: &[String],
    kind: &Kind,
    models: &dyn ScriptModels,
) -> Result<Value, String> {
    let mut texts = Vec::new();
    for token in tokens {
        texts.push(file_contents(token, models)?);
    }
    let json = |text: &str| {
        serde_json::from_str::<Value>(text).map_err(|error| format!("invalid JSON: {error}"))
    };
    let value = match kind {
        Kind::List(item) => {
            if let [one] = texts.as_slice() {
                if one.trim_start().starts_with('[') {
                    return coerce(json(one)?, kind);
                }
            }
            let mut items = Vec::new();
            for text in &texts {
                if is_scalar(item) {
                    for piece in text.split(',') {
                        items.push(Value::String(piece.to_string()));
                    }
                } else if text.trim_start().starts_with('{') {
                    items.push(json(text)?);
                } else {
                    items.push(parse_shorthand(text)?);
                }
            }
            Value::Array(items)
        }
        _ => {
            let [text] = texts.as_slice() else {
                return Err(format!("{} values where one is expected", texts.len()));
            };
            match kind {
                Kind::Structure(_) | Kind::Map(_) => {
                    if text.trim_start().starts_with('{') {
                        json(text)?
                    } else {
                        parse_shorthand(text)?
                    }
                }
                Kind::Any => json(text).unwrap_or_else(|_| Value::String(text.clone())),
                _ => Value::String(text.clone()),
            }
        }
    };
    coerce(value, kind)
}

/// `file://path` and `fileb://path` read (as text); any other value as is.
fn file_contents(token: &str, models: &dyn ScriptModels) -> Result<String, String> {
    let Some(path) = token
        .strip_prefix("file://")
        .or_else(|| token.strip_prefix("fileb://"))
    else {
        return Ok(token.to_string());
    };
    if has_ref(path) {
        return Err(format!("`{token}`: a file named by a variable"));
    }
    let bytes = models.read_file(path)?;
    String::from_utf8(bytes).map_err(|_| {
        format!("`{path}` is binary: a step's input holds text (blobs are sent as plain text)")
    })
}

// ---------------------------------------------------------------------------------------------
// Commands.

/// One `aws` call, converted.
#[derive(Debug, Clone)]
struct Call {
    service: String,
    cli_service: String,
    command: String,
    operation: String,
    input: Map<String, Value>,
    query: Option<String>,
    notes: Vec<String>,
    /// The sensitive members the input sets.
    secret: Vec<String>,
}

/// An `aws ...` command (its words resolved) as a call.
fn aws_call(words: &[String], models: &dyn ScriptModels) -> Result<Call, String> {
    let mut notes = Vec::new();
    let mut i = 1;
    let mut query = None;
    // Global options before the service.
    while let Some(word) = words.get(i).filter(|w| w.starts_with("--")) {
        let name = &word[2..];
        if GLOBAL_VALUE_OPTIONS.contains(&name) {
            notes.push(format!(
                "`{word} {}` dropped: a CLI option",
                words.get(i + 1).map(String::as_str).unwrap_or("")
            ));
            i += 2;
        } else if GLOBAL_FLAGS.contains(&name) {
            notes.push(format!("`{word}` dropped: a CLI option"));
            i += 1;
        } else {
            return Err(format!("unknown CLI option `{word}`"));
        }
    }
    let cli_service = words.get(i).ok_or("`aws` without a service")?.clone();
    let command = words
        .get(i + 1)
        .ok_or(format!("`aws {cli_service}` without a command"))?
        .clone();
    if has_ref(&cli_service) || has_ref(&command) {
        return Err("a service or command named by a variable".into());
    }
    if cli_service == "s3" {
        return Err(format!(
            "`aws s3 {command}` is a high-level CLI command, no API operation (use `aws s3api`)"
        ));
    }
    let service = SERVICE_ALIASES
        .iter()
        .find(|(cli, _)| *cli == cli_service)
        .map(|(_, botocore)| botocore.to_string())
        .unwrap_or_else(|| cli_service.clone());
    let operations = models
        .operations(&service)
        .ok_or(format!("unknown service `{cli_service}`"))?;
    let operation = operations
        .iter()
        .find(|op| cli_name(op) == command)
        .ok_or(format!(
            "unknown command `{command}` of `aws {cli_service}`"
        ))?
        .clone();
    let members = models.input(&service, &operation);
    let mut input = Map::new();
    let mut base: Option<Map<String, Value>> = None;
    let mut i = i + 2;
    while i < words.len() {
        let word = &words[i];
        let Some(option) = word.strip_prefix("--") else {
            return Err(format!("unexpected `{word}`: not an option"));
        };
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (option, None),
        };
        i += 1;
        let take_one = |i: &mut usize| -> Result<String, String> {
            if let Some(value) = &inline {
                return Ok(value.clone());
            }
            let value = words
                .get(*i)
                .ok_or(format!("`--{name}` without a value"))?
                .clone();
            *i += 1;
            Ok(value)
        };
        if GLOBAL_VALUE_OPTIONS.contains(&name) {
            let value = take_one(&mut i)?;
            if name == "query" {
                query = Some(value.clone());
            }
            notes.push(format!("`--{name} {value}` dropped: a CLI option"));
            continue;
        }
        if GLOBAL_FLAGS.contains(&name) {
            notes.push(format!("`--{name}` dropped: a CLI option"));
            continue;
        }
        if name == "cli-input-json" || name == "cli-input-yaml" {
            let value = file_contents(&take_one(&mut i)?, models)?;
            let parsed: Value = if name == "cli-input-json" {
                serde_json::from_str(&value).map_err(|e| format!("--{name}: {e}"))?
            } else {
                serde_yaml::from_str(&value).map_err(|e| format!("--{name}: {e}"))?
            };
            let Value::Object(members) = parsed else {
                return Err(format!("--{name} is not an object"));
            };
            notes.push(format!("`--{name}` read as the input"));
            base = Some(members);
            continue;
        }
        if let Some((member, kind)) = members.iter().find(|(m, _)| cli_name(m) == name) {
            let value = match kind {
                Kind::Boolean if inline.is_none() => Value::Bool(true),
                Kind::List(_) if inline.is_none() => {
                    let start = i;
                    while i < words.len() && !words[i].starts_with("--") {
                        i += 1;
                    }
                    if start == i {
                        return Err(format!("`--{name}` without a value"));
                    }
                    option_value(&words[start..i], kind, models)
                        .map_err(|e| format!("--{name}: {e}"))?
                }
                _ => {
                    let value = take_one(&mut i)?;
                    option_value(&[value], kind, models).map_err(|e| format!("--{name}: {e}"))?
                }
            };
            input.insert(member.clone(), value);
            continue;
        }
        if let Some(negated) = name.strip_prefix("no-") {
            if let Some((member, Kind::Boolean)) =
                members.iter().find(|(m, _)| cli_name(m) == negated)
            {
                input.insert(member.clone(), Value::Bool(false));
                continue;
            }
        }
        let options: Vec<String> = members.iter().map(|(m, _)| cli_name(m)).collect();
        return Err(format!(
            "unknown option `--{name}` of `aws {cli_service} {command}`{}",
            did_you_mean(name, &options)
        ));
    }
    if let Some(mut base) = base {
        base.extend(input);
        input = base;
    }
    let secret = models
        .sensitive_members(&service, &operation)
        .into_iter()
        .filter(|member| input.contains_key(member))
        .collect();
    Ok(Call {
        service,
        cli_service,
        command,
        operation,
        input,
        query,
        notes,
        secret,
    })
}

/// Notes where an env variable or stack output (a string) stands alone for a number or a
/// boolean: gapfill reads those as strings, so the value must be written instead.
fn untyped_references(value: &Value, kind: &Kind, option: &str, notes: &mut Vec<String>) {
    match (kind, value) {
        (Kind::Integer | Kind::Float | Kind::Boolean, Value::String(text))
            if text.contains("${") && !text.starts_with("${steps.") =>
        {
            notes.push(format!(
                "`--{option}`: a variable where {} is expected; an env variable or stack output is a string: write the value (the file does not validate until then)",
                kind_name(kind)
            ));
        }
        (Kind::Structure(members), Value::Object(given)) => {
            for (name, value) in given {
                if let Some((_, member)) = members.iter().find(|(m, _)| m == name) {
                    untyped_references(value, member, option, notes);
                }
            }
        }
        (Kind::Map(item), Value::Object(given)) => {
            for value in given.values() {
                untyped_references(value, item, option, notes);
            }
        }
        (Kind::List(item), Value::Array(items)) => {
            for value in items {
                untyped_references(value, item, option, notes);
            }
        }
        _ => {}
    }
}

/// `; did you mean --x?` for the option closest to `name` (an AWS CLI customization may rename
/// one: `sns subscribe --notification-endpoint` is the model's `Endpoint`), or nothing.
fn did_you_mean(name: &str, options: &[String]) -> String {
    let best = options
        .iter()
        .map(|option| {
            let close = strsim::jaro_winkler(name, option);
            let inside = name.contains(option.as_str()) || option.contains(name);
            (if inside { close.max(0.9) } else { close }, option)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, option)) if score >= 0.8 => format!("; did you mean `--{option}`?"),
        _ => String::new(),
    }
}

/// `Stacks[0].Outputs[?OutputKey=='X'].OutputValue` -> `X`.
fn output_key(query: &str) -> Option<String> {
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    let rest = compact
        .strip_prefix("Stacks[0].Outputs[?OutputKey==")?
        .strip_suffix("].OutputValue")
        .or_else(|| {
            compact
                .strip_prefix("Stacks[0].Outputs[?OutputKey==")?
                .strip_suffix("].OutputValue|[0]")
        })?;
    let quote = rest.chars().next().filter(|c| "'`\"".contains(*c))?;
    let key = rest.strip_prefix(quote)?.strip_suffix(quote)?;
    (!key.is_empty()).then(|| key.to_string())
}

// ---------------------------------------------------------------------------------------------
// The conversion.

struct Writer<'m> {
    models: &'m dyn ScriptModels,
    yaml: String,
    problems: Vec<Problem>,
    vars: indexmap::IndexMap<String, Var>,
    ids: Vec<String>,
}

impl Writer<'_> {
    fn problem(&mut self, line: usize, original: &str, why: &str) {
        self.problems.push(Problem {
            line,
            not_converted: true,
            message: why.to_string(),
        });
        self.yaml.push_str(&format!(
            "  # line {line}, not converted: {}\n",
            one_line(why)
        ));
        for text in original.lines() {
            self.yaml.push_str(&format!("  #   {text}\n"));
        }
    }

    fn note(&mut self, line: usize, message: &str) {
        self.problems.push(Problem {
            line,
            not_converted: false,
            message: message.to_string(),
        });
    }

    fn new_id(&self, wanted: &str) -> String {
        let base: String = wanted
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while self.ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }

    /// Writes a step; its id.
    fn step(&mut self, line: usize, call: &Call, id: String, check: Result<Check, String>) {
        self.yaml.push_str(&format!(
            "  # line {line}: aws {} {}\n",
            call.cli_service, call.command
        ));
        for note in &call.notes {
            self.yaml.push_str(&format!("  # {}\n", one_line(note)));
        }
        match &check {
            Ok(_) => {}
            Err(why) => self.yaml.push_str(&format!(
                "  # An action: runs on every deploy ({}).\n",
                one_line(why)
            )),
        }
        self.yaml.push_str(&format!("  - id: {id}\n"));
        if !call.secret.is_empty() {
            self.yaml.push_str(&format!(
                "    secret: true           # {} is sensitive\n",
                call.secret.join(", ")
            ));
        }
        self.yaml
            .push_str(&format!("    call: {}:{}\n", call.service, call.operation));
        if !call.input.is_empty() {
            self.yaml.push_str("    input:\n");
            for (key, value) in &call.input {
                self.yaml
                    .push_str(&format!("      {}: {}\n", quote(key), flow(value)));
            }
        }
        match &check {
            Ok(check) if check.extra.is_empty() => self.yaml.push_str(&format!(
                "    check: auto            # {}:{}\n",
                call.service, check.read
            )),
            Ok(check) => {
                let added: Vec<String> = check
                    .extra
                    .iter()
                    .map(|(key, value)| format!("{key}: {}", flow(value)))
                    .collect();
                let mut input = check.input.clone();
                input.extend(check.extra.clone());
                self.yaml.push_str(&format!(
                    "    check:                 # {}:{}, with {} (derived from the models)\n      input: {}\n",
                    call.service,
                    check.read,
                    added.join(", "),
                    flow(&Value::Object(input))
                ));
            }
            Err(_) => {}
        }
        if let Some(previous) = self.ids.last() {
            self.yaml.push_str(&format!(
                "    depends_on: [{previous}]   # the script's order\n"
            ));
        }
        self.ids.push(id);
    }

    fn command(&mut self, line: usize, original: &str, lexed: Lexed) {
        if let Some(what) = lexed.unsupported {
            return self.problem(line, original, what);
        }
        let mut words = lexed.words;
        if words.first() == Some(&vec![Part::Lit("export".into())]) && words.len() > 1 {
            words.remove(0);
        }
        // An assignment: `NAME=value`.
        if let Some((name, value)) = assignment(&words) {
            if words.len() > 1 {
                return self.problem(line, original, "a command with variable assignments");
            }
            return self.assign(line, original, name, value);
        }
        let mut refs = Vec::new();
        let resolved: Result<Vec<String>, String> = words
            .iter()
            .map(|word| resolve(word, &self.vars, &mut refs))
            .collect();
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err(why) => return self.problem(line, original, &why),
        };
        if resolved.first().map(String::as_str) != Some("aws") {
            let name = resolved.first().cloned().unwrap_or_default();
            return self.problem(
                line,
                original,
                &format!("`{}` is not an `aws` command", finish_string(&name, &refs)),
            );
        }
        match aws_call(&resolved, self.models) {
            Ok(mut call) => {
                call.input = finish_object(call.input, &refs);
                note_untyped(&mut call, self.models);
                let id = self.new_id(&format!("{}-{}", call.cli_service, call.command));
                let check = self.models.check(
                    &call.service,
                    &call.operation,
                    &Value::Object(call.input.clone()),
                );
                for note in &call.notes {
                    self.note(line, note);
                }
                self.step(line, &call, id, check);
            }
            Err(why) => self.problem(line, original, &why),
        }
    }

    fn assign(&mut self, line: usize, original: &str, name: String, value: Word) {
        if let [Part::Subst(inner)] = value.as_slice() {
            return self.assign_from_command(line, original, name, inner);
        }
        let mut refs = Vec::new();
        match resolve(&value, &self.vars, &mut refs) {
            Ok(text) if refs.is_empty() => {
                self.yaml.push_str(&format!(
                    "  # line {line}: {name}={} (inlined where it is used)\n",
                    one_line(&text)
                ));
                self.vars.insert(name, Var::Literal(text));
            }
            Ok(text) => {
                let reference = finish_string(&text, &refs);
                self.yaml.push_str(&format!(
                    "  # line {line}: {name} is {} where it is used\n",
                    one_line(&reference)
                ));
                self.vars.insert(name, Var::Reference(reference));
            }
            Err(why) => self.problem(line, original, &why),
        }
    }

    fn assign_from_command(&mut self, line: usize, original: &str, name: String, inner: &str) {
        let Some(lexed) = lex(inner) else {
            return self.problem(line, original, "an unterminated quote");
        };
        if let Some(what) = lexed.unsupported {
            return self.problem(line, original, &format!("{what} in `$(...)`"));
        }
        let mut refs = Vec::new();
        let resolved: Result<Vec<String>, String> = lexed
            .words
            .iter()
            .map(|word| resolve(word, &self.vars, &mut refs))
            .collect();
        let resolved = match resolved {
            Ok(resolved) if resolved.first().map(String::as_str) == Some("aws") => resolved,
            Ok(_) => {
                return self.problem(
                    line,
                    original,
                    "a variable set from a command other than `aws`",
                )
            }
            Err(why) => return self.problem(line, original, &why),
        };
        let call = match aws_call(&resolved, self.models) {
            Ok(call) => call,
            Err(why) => return self.problem(line, original, &why),
        };
        let Some(query) = call.query.clone() else {
            return self.problem(
                line,
                original,
                "a variable set from an `aws` call without `--query`",
            );
        };
        // A stack-output lookup.
        if call.service == "cloudformation" && call.operation == "DescribeStacks" {
            let stack = call.input.get("StackName").and_then(Value::as_str);
            if let (Some(stack), Some(key)) = (stack, output_key(&query)) {
                if !has_ref(stack) {
                    let reference = format!("${{{stack}.{key}}}");
                    self.yaml.push_str(&format!(
                        "  # line {line}: {name} is {reference} (an output of stack {stack})\n"
                    ));
                    self.vars.insert(name, Var::Reference(reference));
                    return;
                }
            }
        }
        if has_ref(&query) || query.contains('}') {
            return self.problem(line, original, "a `--query` gapfill cannot reference");
        }
        let mut call = call;
        call.input = finish_object(call.input, &refs);
        note_untyped(&mut call, self.models);
        // `--query` and `--output` are how the result is read: not dropped.
        call.notes
            .retain(|note| !note.starts_with("`--query") && !note.starts_with("`--output"));
        for note in &call.notes {
            self.note(line, note);
        }
        let id = self.new_id(&name.to_ascii_lowercase().replace('_', "-"));
        let projects = query.contains("[?") || query.contains("[*]") || query.contains("[]");
        let path = if projects {
            format!("{query} | [0]")
        } else {
            query.clone()
        };
        let reference = format!("${{steps.{id}.{path}}}");
        self.yaml
            .push_str(&format!("  # line {line}: {name} is {reference}\n"));
        self.vars.insert(name.clone(), Var::Reference(reference));
        self.step(
            line,
            &call,
            id,
            Err(format!("its result is read as ${name}")),
        );
    }
}

/// Notes the references that cannot stand for the numbers and booleans of `call`'s input.
fn note_untyped(call: &mut Call, models: &dyn ScriptModels) {
    for (member, kind) in models.input(&call.service, &call.operation) {
        if let Some(value) = call.input.get(&member) {
            untyped_references(value, &kind, &cli_name(&member), &mut call.notes);
        }
    }
}

fn finish_object(input: Map<String, Value>, refs: &[String]) -> Map<String, Value> {
    match finish_value(Value::Object(input), refs) {
        Value::Object(members) => members,
        _ => Map::new(),
    }
}

/// `NAME=value` as the first word: the name and the value's word.
fn assignment(words: &[Word]) -> Option<(String, Word)> {
    let first = words.first()?;
    let Some(Part::Lit(text)) = first.first() else {
        return None;
    };
    let (name, rest) = text.split_once('=')?;
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let mut value: Word = Vec::new();
    if !rest.is_empty() {
        value.push(Part::Lit(rest.to_string()));
    }
    value.extend(first[1..].iter().cloned());
    Some((name.to_string(), value))
}

fn one_line(text: &str) -> String {
    text.replace('\n', " ")
}

/// A value in YAML flow style.
fn flow(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(members) => format!(
            "{{ {} }}",
            members
                .iter()
                .map(|(key, value)| format!("{}: {}", quote(key), flow(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// The env variables `${env.NAME}` in `yaml`, each once, in order.
fn env_names(yaml: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (at, _) in yaml.match_indices("${env.") {
        let rest = &yaml[at + "${env.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The delimiter of a here-document the line opens (`<<EOF`, `<<-'EOF'`), if any.
fn heredoc_delimiter(text: &str) -> Option<String> {
    let at = text.find("<<")?;
    let rest = text[at + 2..].trim_start_matches('-').trim_start();
    if rest.starts_with('<') {
        return None;
    }
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !";|&)".contains(*c))
        .filter(|c| *c != '\'' && *c != '"')
        .collect();
    (!word.is_empty()).then_some(word)
}

const BLOCK_STARTS: &[&str] = &["for", "while", "until", "if", "case", "select", "function"];
const BLOCK_ENDS: &[&str] = &["done", "fi", "esac", "}"];

/// Converts `script` (named `name`, for the header) into a step file.
pub fn convert(name: &str, script: &str, models: &dyn ScriptModels) -> Converted {
    let mut writer = Writer {
        models,
        yaml: format!(
            "# Converted by `gapfill import script` from {name}: review it, then list it under\n\
             # `post-deploy:` in gapfill.yaml.\nsteps:\n"
        ),
        problems: Vec::new(),
        vars: indexmap::IndexMap::new(),
        ids: Vec::new(),
    };
    let lines: Vec<&str> = script.lines().collect();
    let mut depth = 0usize;
    let mut index = 0;
    while index < lines.len() {
        let start = index;
        let mut text = lines[index].to_string();
        index += 1;
        // A logical line: continued by `\`, or by a quote or `$(` still open.
        let lexed = loop {
            let continued = text.ends_with('\\')
                && !text.ends_with("\\\\")
                && !text.trim_start().starts_with('#');
            if !continued {
                if let Some(lexed) = lex(&text) {
                    break Some(lexed);
                }
            }
            match lines.get(index) {
                Some(next) => {
                    text.push('\n');
                    text.push_str(next);
                    index += 1;
                }
                None => break lex(&text),
            }
        };
        let line = start + 1;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            writer.yaml.push('\n');
            continue;
        }
        if trimmed.starts_with('#') {
            if !(line == 1 && trimmed.starts_with("#!")) {
                for original in text.lines() {
                    writer.yaml.push_str(&format!("  {}\n", original.trim()));
                }
            }
            continue;
        }
        let Some(lexed) = lexed else {
            writer.problem(line, &text, "an unterminated quote");
            continue;
        };
        if let Some(delimiter) = heredoc_delimiter(&text) {
            // The here-document's lines belong to this command.
            while let Some(next) = lines.get(index) {
                text.push('\n');
                text.push_str(next);
                index += 1;
                if next.trim() == delimiter {
                    break;
                }
            }
            writer.problem(line, &text, "a here-document");
            continue;
        }
        let head = lexed.words.first().and_then(|word| match word.as_slice() {
            [Part::Lit(text)] => Some(text.as_str()),
            _ => None,
        });
        let starts = head.is_some_and(|h| BLOCK_STARTS.contains(&h)) || trimmed.ends_with('{');
        let last = lexed.words.last().and_then(|word| match word.as_slice() {
            [Part::Lit(text)] => Some(text.as_str()),
            _ => None,
        });
        // `done` ends a loop as a command of its own: first on its line, or after a `;`.
        let ends = head.is_some_and(|h| BLOCK_ENDS.contains(&h))
            || (!lexed.splits.is_empty() && last.is_some_and(|l| BLOCK_ENDS.contains(&l)));
        if starts || ends || depth > 0 {
            let opens = usize::from(starts);
            let closes = usize::from(ends);
            let why = if starts && !ends {
                "a loop or condition starts (its lines are not converted)"
            } else if starts {
                "a loop or condition"
            } else if ends && depth <= 1 {
                "the end of a loop or condition"
            } else {
                "inside a loop or condition"
            };
            writer.problem(line, &text, why);
            depth = (depth + opens).saturating_sub(closes);
            continue;
        }
        if lexed.unsupported.is_some() {
            writer.command(line, &text, lexed);
        } else {
            for command in lexed.commands() {
                writer.command(line, &text, command);
            }
        }
    }
    if writer.ids.is_empty() {
        writer.yaml = writer.yaml.replacen("steps:\n", "steps: []\n", 1);
    }
    let env = env_names(&writer.yaml);
    if !env.is_empty() {
        writer.yaml = writer.yaml.replacen(
            "steps:",
            &format!(
                "# It reads the env variables {}: list the secret ones under `secrets:`.\nsteps:",
                env.join(", ")
            ),
            1,
        );
    }
    Converted {
        steps: writer.ids.len(),
        yaml: writer.yaml,
        problems: writer.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sqs operations and one ssm operation, as the models would give them.
    struct Fake;

    impl ScriptModels for Fake {
        fn operations(&self, service: &str) -> Option<Vec<String>> {
            match service {
                "sqs" => Some(vec!["GetQueueUrl".into(), "SetQueueAttributes".into()]),
                "ssm" => Some(vec!["PutParameter".into()]),
                "cloudformation" => Some(vec!["DescribeStacks".into()]),
                _ => None,
            }
        }

        fn input(&self, _service: &str, operation: &str) -> Vec<(String, Kind)> {
            let string = |name: &str| (name.to_string(), Kind::String);
            match operation {
                "GetQueueUrl" => vec![string("QueueName")],
                "SetQueueAttributes" => vec![
                    string("QueueUrl"),
                    ("Attributes".into(), Kind::Map(Box::new(Kind::String))),
                ],
                "PutParameter" => vec![
                    string("Name"),
                    string("Value"),
                    ("Overwrite".into(), Kind::Boolean),
                ],
                "DescribeStacks" => vec![string("StackName")],
                _ => Vec::new(),
            }
        }

        fn check(&self, _service: &str, operation: &str, input: &Value) -> Result<Check, String> {
            match operation {
                "PutParameter" => Ok(Check {
                    read: "GetParameter".into(),
                    input: input.as_object().cloned().unwrap_or_default(),
                    extra: Map::new(),
                }),
                _ => Err("no read operation".into()),
            }
        }

        fn sensitive_members(&self, _service: &str, _operation: &str) -> Vec<String> {
            Vec::new()
        }

        fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
            match path {
                "value.txt" => Ok(b"from a file".to_vec()),
                _ => Err(format!("cannot read `{path}`")),
            }
        }
    }

    #[test]
    fn converts_calls_variables_and_keeps_what_it_cannot() {
        let script = "#!/bin/sh\n\
            STACK=data\n\
            URL=$(aws cloudformation describe-stacks --stack-name $STACK --query \"Stacks[0].Outputs[?OutputKey=='QueueUrl'].OutputValue\" --output text)\n\
            OTHER=$(aws sqs get-queue-url --queue-name other --query QueueUrl --output text)\n\
            aws sqs set-queue-attributes --queue-url \"$URL\" \\\n  --attributes VisibilityTimeout=$TIMEOUT\n\
            aws sqs set-queue-attributes --queue-url $OTHER --attributes '{\"DelaySeconds\": \"5\"}'\n\
            aws ssm put-parameter --name /p --value file://value.txt --overwrite --region eu-west-1\n\
            aws ssm put-parameter --nme /p\n\
            aws sqs list-queues | wc -l\n\
            aws ssm put-parameter --name /a --value 1 && aws ssm put-parameter --name /b --value 2; echo ok\n";
        let converted = convert("post.sh", script, &Fake);
        assert_eq!(converted.steps, 6, "{}", converted.yaml);
        let yaml = &converted.yaml;
        for expected in [
            "# line 2: STACK=data (inlined where it is used)\n",
            "# line 3: URL is ${data.QueueUrl} (an output of stack data)\n",
            "  - id: other\n    call: sqs:GetQueueUrl\n    input:\n      QueueName: other\n",
            "      QueueUrl: \"${data.QueueUrl}\"\n      Attributes: { VisibilityTimeout: \"${env.TIMEOUT}\" }\n",
            "      QueueUrl: \"${steps.other.QueueUrl}\"\n      Attributes: { DelaySeconds: \"5\" }\n",
            "      Value: \"from a file\"\n      Overwrite: true\n    check: auto            # ssm:GetParameter\n",
            "  # line 9, not converted: unknown option `--nme` of `aws ssm put-parameter`; did you mean `--name`?\n  #   aws ssm put-parameter --nme /p\n",
            "  # line 10, not converted: a pipe\n  #   aws sqs list-queues | wc -l\n",
            "# It reads the env variables TIMEOUT",
        ] {
            assert!(yaml.contains(expected), "{expected}\n---\n{yaml}");
        }
        let lines: Vec<(usize, bool)> = converted
            .problems
            .iter()
            .map(|p| (p.line, p.not_converted))
            .collect();
        assert_eq!(lines, [(8, false), (9, true), (10, true), (11, true)]);
        assert!(
            yaml.contains("  # line 11: aws ssm put-parameter\n  - id: ssm-put-parameter-3\n"),
            "{yaml}"
        );
        assert!(
            converted.problems[3].message.contains("`echo` is not"),
            "{:?}",
            converted.problems
        );
        assert!(yaml.contains("depends_on: [other]"), "{yaml}");
    }

    #[test]
    fn comments_do_not_continue_and_loops_are_kept_whole() {
        let script = "# a note ending in a backslash \\\n\
            aws ssm put-parameter --name /p --value v\n\
            for q in a b; do\n  aws ssm put-parameter --name /$q --value v\ndone\n\
            echo done\n";
        let converted = convert("s.sh", script, &Fake);
        assert_eq!(converted.steps, 1, "{}", converted.yaml);
        let lines: Vec<usize> = converted.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6], "{:?}", converted.problems);
        assert!(converted.problems[3]
            .message
            .contains("`echo` is not an `aws` command"));
        assert!(converted
            .yaml
            .contains("  #     aws ssm put-parameter --name /$q --value v\n"));
    }

    #[test]
    fn names_transform_like_botocore() {
        assert_eq!(
            cli_name("PutFunctionConcurrency"),
            "put-function-concurrency"
        );
        assert_eq!(
            cli_name("ReservedConcurrentExecutions"),
            "reserved-concurrent-executions"
        );
        assert_eq!(cli_name("logGroupName"), "log-group-name");
        assert_eq!(cli_name("DBInstanceIdentifier"), "db-instance-identifier");
        assert_eq!(cli_name("ResourceARNs"), "resource-arns");
        assert_eq!(cli_name("QueueUrl"), "queue-url");
        assert_eq!(
            cli_name("EnableEbsEncryptionByDefault"),
            "enable-ebs-encryption-by-default"
        );
        assert_eq!(cli_name("SSEKMSKeyId"), "ssekms-key-id");
        assert_eq!(cli_name("Ipv6CidrBlock"), "ipv6-cidr-block");
        assert_eq!(cli_name("already-dashed"), "already-dashed");
        assert_eq!(cli_name("CreateOAuth2Token"), "create-oauth2-token");
    }

    #[test]
    fn shorthand_parses_like_the_cli() {
        assert_eq!(
            parse_shorthand("Status=Enabled").unwrap(),
            serde_json::json!({"Status": "Enabled"})
        );
        assert_eq!(
            parse_shorthand("Enabled=true,AttributeName=expiresAt").unwrap(),
            serde_json::json!({"Enabled": "true", "AttributeName": "expiresAt"})
        );
        assert_eq!(
            parse_shorthand("Names=a,b,c,Other=x").unwrap(),
            serde_json::json!({"Names": ["a", "b", "c"], "Other": "x"})
        );
        assert_eq!(
            parse_shorthand("TagSet=[{Key=team,Value=catalog},{Key=env,Value=\"a,b\"}]").unwrap(),
            serde_json::json!({"TagSet": [{"Key": "team", "Value": "catalog"}, {"Key": "env", "Value": "a,b"}]})
        );
        assert_eq!(
            parse_shorthand("Outer={Inner=1, List=[x, y]}").unwrap(),
            serde_json::json!({"Outer": {"Inner": "1", "List": ["x", "y"]}})
        );
        assert!(parse_shorthand("novalue").is_err());
        assert!(parse_shorthand("A={B=1").is_err());
    }

    #[test]
    fn coerces_by_member_type() {
        let kind = Kind::Structure(vec![
            ("Enabled".into(), Kind::Boolean),
            ("Days".into(), Kind::Integer),
            ("Names".into(), Kind::List(Box::new(Kind::String))),
        ]);
        let value = parse_shorthand("Enabled=true,Days=30,Names=a").unwrap();
        assert_eq!(
            coerce(value, &kind).unwrap(),
            serde_json::json!({"Enabled": true, "Days": 30, "Names": ["a"]})
        );
        let error = coerce(parse_shorthand("Dayz=1").unwrap(), &kind).unwrap_err();
        assert!(error.contains("unknown member `Dayz`"), "{error}");
        assert!(coerce(Value::String("x".into()), &Kind::Integer).is_err());
    }

    #[test]
    fn lexes_quotes_continuations_and_variables() {
        let lexed = lex(
            "aws ssm put-parameter --name \"/a/$ENV\" --value '$literal' \\\n --type ${T} # note",
        )
        .unwrap();
        assert!(lexed.unsupported.is_none());
        assert_eq!(lexed.words.len(), 9);
        assert_eq!(
            lexed.words[4],
            vec![Part::Lit("/a/".into()), Part::Var("ENV".into())]
        );
        assert_eq!(lexed.words[6], vec![Part::Lit("$literal".into())]);
        assert_eq!(lexed.words[8], vec![Part::Var("T".into())]);
        assert!(lex("echo 'open").is_none());
        assert_eq!(lex("a | b").unwrap().unsupported, Some("a pipe"));
        assert!(lex("aws sqs get-queue-url --queue-name $1")
            .unwrap()
            .unsupported
            .is_some_and(|what| what.contains("positional")));
        assert!(lex("echo '$1'").unwrap().unsupported.is_none());
        let subst = lex("Q=$(aws sqs get-queue-url --queue-name \"x\" --query QueueUrl)").unwrap();
        assert_eq!(
            subst.words[0],
            vec![
                Part::Lit("Q=".into()),
                Part::Subst("aws sqs get-queue-url --queue-name \"x\" --query QueueUrl".into())
            ]
        );
    }

    #[test]
    fn variables_become_references() {
        let mut vars = indexmap::IndexMap::new();
        vars.insert("STACK".to_string(), Var::Literal("data".into()));
        vars.insert("URL".to_string(), Var::Reference("${data.QueueUrl}".into()));
        let mut refs = Vec::new();
        let word = vec![
            Part::Var("STACK".into()),
            Part::Lit("-${x}-".into()),
            Part::Var("URL".into()),
            Part::Var("HOME".into()),
        ];
        let text = resolve(&word, &vars, &mut refs).unwrap();
        assert_eq!(
            finish_string(&text, &refs),
            "data-$${x}-${data.QueueUrl}${env.HOME}"
        );
        assert_eq!(
            output_key("Stacks[0].Outputs[?OutputKey=='QueueUrl'].OutputValue"),
            Some("QueueUrl".into())
        );
        assert_eq!(output_key("Stacks[0].StackStatus"), None);
    }
}
