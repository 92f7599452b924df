//! The service model catalog: botocore-format documents (service, paginators, waiters, endpoint
//! rules) for every AWS service, from the bundle embedded at build time, optionally overlaid by a
//! directory in botocore's data layout (`GAPFILL_MODELS_DIR`).
//!
//! The bundle (built by `scripts/build_models.py`, whose doc describes the layout) holds one zstd
//! frame per service, all compressed against one shared dictionary; a run decompresses only the
//! services it uses, once each.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ruzstd::decoding::{Dictionary, FrameDecoder, StreamingDecoder};
use serde::Deserialize;
use serde_json::Value;

use crate::aws::model::{ModelError, ServiceModel};

/// The embedded model bundle.
static BUNDLE: &[u8] = include_bytes!("../../models/bundle.bin");
const BUNDLE_MAGIC: &[u8] = b"GFMB1\n";
/// Environment variable naming an overlay directory in botocore's data layout.
pub const MODELS_DIR_ENV: &str = "GAPFILL_MODELS_DIR";

/// Why a model could not be provided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown service `{name}`{}", did_you_mean(suggestions))]
    UnknownService {
        name: String,
        suggestions: Vec<String>,
    },
    #[error("model data for `{what}` is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("cannot read model file {}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(", "))
    }
}

/// All documents botocore keeps for one service, at one api version.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDocuments {
    /// botocore's directory name for the service (`s3`, `lambda`, `logs`, ...).
    pub name: String,
    pub api_version: String,
    /// `service-2.json`, with `service-2.sdk-extras.json` merged in.
    pub service: Value,
    pub paginators: Option<Value>,
    pub waiters: Option<Value>,
    pub endpoint_rules: Option<Value>,
}

/// Where service models come from. Cheap to create; loads are cached.
pub struct Catalog {
    override_dir: Option<PathBuf>,
    index: OnceLock<Result<BundleIndex, CatalogError>>,
    partitions: OnceLock<Result<Value, CatalogError>>,
    cache: Mutex<HashMap<String, Arc<ServiceDocuments>>>,
    /// Parsed models, by service: parsed once, shared by the plan's model checks and the
    /// client's calls.
    parsed: Mutex<HashMap<String, Arc<ServiceModel>>>,
}

#[derive(Debug, Deserialize)]
struct BundleIndex {
    dictionary: (usize, usize),
    partitions: (usize, usize),
    services: HashMap<String, BundleEntry>,
    /// Offset of the first frame byte, past the header and the index.
    #[serde(skip)]
    data_start: usize,
}

#[derive(Debug, Deserialize)]
struct BundleEntry {
    api_version: String,
    frame: (usize, usize),
}

/// The shape of one decompressed service frame.
#[derive(Debug, Deserialize)]
struct BundledDocuments {
    service: Value,
    paginators: Option<Value>,
    waiters: Option<Value>,
    endpoint_rules: Option<Value>,
}

/// botocore file names of each document kind.
const SERVICE_FILE: &str = "service-2";
const PAGINATORS_FILE: &str = "paginators-1";
const WAITERS_FILE: &str = "waiters-2";
const ENDPOINT_RULES_FILE: &str = "endpoint-rule-set-1";

impl Catalog {
    /// A catalog of the embedded bundle, overlaid by `override_dir` when given.
    pub fn new(override_dir: Option<PathBuf>) -> Catalog {
        Catalog {
            override_dir,
            index: OnceLock::new(),
            partitions: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// The parsed model of `documents` (loaded from this catalog), parsed once.
    pub fn parsed(&self, documents: &ServiceDocuments) -> Result<Arc<ServiceModel>, ModelError> {
        let lock = || {
            self.parsed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(hit) = lock().get(&documents.name) {
            return Ok(Arc::clone(hit));
        }
        // Parsed outside the lock: two services parse in parallel; a race parses one twice.
        let model = Arc::new(ServiceModel::from_json(&documents.service)?);
        lock().insert(documents.name.clone(), Arc::clone(&model));
        Ok(model)
    }

    /// A catalog overlaid by the directory in `GAPFILL_MODELS_DIR`, if set and non-empty.
    pub fn from_env() -> Catalog {
        let dir = std::env::var_os(MODELS_DIR_ENV)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        Catalog::new(dir)
    }

    /// Every known service name, sorted.
    pub fn service_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match self.index() {
            Ok(index) => index.services.keys().cloned().collect(),
            Err(_) => Vec::new(),
        };
        if let Some(dir) = &self.override_dir {
            names.extend(overlay_service_names(dir));
        }
        names.sort();
        names.dedup();
        names
    }

    /// The documents of `service`, decompressed (or read from the overlay) on first use.
    pub fn load(&self, service: &str) -> Result<Arc<ServiceDocuments>, CatalogError> {
        if let Some(hit) = self.cached(service) {
            return Ok(hit);
        }
        let documents = Arc::new(self.load_uncached(service)?);
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(service.to_string(), Arc::clone(&documents));
        Ok(documents)
    }

    /// botocore's `partitions.json` (the overlay's, when it has one).
    pub fn partitions(&self) -> Result<&Value, CatalogError> {
        self.partitions
            .get_or_init(|| self.load_partitions())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn cached(&self, service: &str) -> Option<Arc<ServiceDocuments>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(service)
            .cloned()
    }

    fn index(&self) -> Result<&BundleIndex, CatalogError> {
        self.index
            .get_or_init(|| parse_index(BUNDLE))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn load_uncached(&self, service: &str) -> Result<ServiceDocuments, CatalogError> {
        let bundled = self.load_bundled(service)?;
        let overlay_dir = self
            .override_dir
            .as_deref()
            .map(|dir| dir.join(service))
            .filter(|dir| dir.is_dir());
        match (overlay_dir, bundled) {
            (Some(dir), bundled) => match load_overlay(service, &dir, bundled.as_ref())? {
                Some(documents) => Ok(documents),
                None => bundled.ok_or_else(|| self.unknown_service(service)),
            },
            (None, Some(bundled)) => Ok(bundled),
            (None, None) => Err(self.unknown_service(service)),
        }
    }

    fn load_bundled(&self, service: &str) -> Result<Option<ServiceDocuments>, CatalogError> {
        let index = self.index()?;
        let Some(entry) = index.services.get(service) else {
            return Ok(None);
        };
        let bytes = decompress_frame(index, entry.frame, service)?;
        let docs: BundledDocuments =
            serde_json::from_slice(&bytes).map_err(|err| corrupt(service, err))?;
        Ok(Some(ServiceDocuments {
            name: service.to_string(),
            api_version: entry.api_version.clone(),
            service: docs.service,
            paginators: docs.paginators,
            waiters: docs.waiters,
            endpoint_rules: docs.endpoint_rules,
        }))
    }

    fn load_partitions(&self) -> Result<Value, CatalogError> {
        if let Some(dir) = &self.override_dir {
            if let Some(value) = read_json_document(&dir.join("partitions"))? {
                return Ok(value);
            }
        }
        let index = self.index()?;
        let bytes = decompress_frame(index, index.partitions, "partitions")?;
        serde_json::from_slice(&bytes).map_err(|err| corrupt("partitions", err))
    }

    fn unknown_service(&self, name: &str) -> CatalogError {
        CatalogError::UnknownService {
            name: name.to_string(),
            suggestions: suggest(name, &self.service_names()),
        }
    }
}

fn corrupt(what: &str, reason: impl std::fmt::Display) -> CatalogError {
    CatalogError::Corrupt {
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

fn parse_index(bundle: &[u8]) -> Result<BundleIndex, CatalogError> {
    let rest = bundle
        .strip_prefix(BUNDLE_MAGIC)
        .ok_or_else(|| corrupt("bundle", "bad magic"))?;
    let (length, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt("bundle", "truncated header"))?;
    let length = u32::from_le_bytes(*length) as usize;
    let index_bytes = rest
        .get(..length)
        .ok_or_else(|| corrupt("bundle", "truncated index"))?;
    let mut index: BundleIndex =
        serde_json::from_slice(index_bytes).map_err(|err| corrupt("bundle index", err))?;
    index.data_start = BUNDLE_MAGIC.len() + 4 + length;
    Ok(index)
}

fn bundle_slice(
    index: &BundleIndex,
    (offset, length): (usize, usize),
    what: &str,
) -> Result<&'static [u8], CatalogError> {
    let start = index.data_start + offset;
    BUNDLE
        .get(start..start + length)
        .ok_or_else(|| corrupt(what, "frame out of bounds"))
}

fn decompress_frame(
    index: &BundleIndex,
    frame: (usize, usize),
    what: &str,
) -> Result<Vec<u8>, CatalogError> {
    let dictionary_bytes = bundle_slice(index, index.dictionary, "dictionary")?;
    let dictionary =
        Dictionary::decode_dict(dictionary_bytes).map_err(|err| corrupt("dictionary", err))?;
    let mut decoder = FrameDecoder::new();
    decoder
        .add_dict(dictionary)
        .map_err(|err| corrupt(what, err))?;
    let mut source = bundle_slice(index, frame, what)?;
    let mut stream = StreamingDecoder::new_with_decoder(&mut source, decoder)
        .map_err(|err| corrupt(what, err))?;
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .map_err(|err| corrupt(what, err))?;
    Ok(bytes)
}

/// Services in the overlay: subdirectories with at least one api version holding a service-2.
fn overlay_service_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| latest_api_version(&entry.path()).is_some())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect()
}

/// The latest api-version directory (they are dates, so they sort) holding a service-2 document.
fn latest_api_version(service_dir: &Path) -> Option<String> {
    let entries = std::fs::read_dir(service_dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|entry| has_document(&entry.path().join(SERVICE_FILE)))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .max()
}

fn has_document(stem: &Path) -> bool {
    with_suffix(stem, ".json").is_file() || with_suffix(stem, ".json.gz").is_file()
}

/// `stem` plus a suffix; unlike `with_extension`, keeps dotted stems like `x.sdk-extras` whole.
fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut path = stem.as_os_str().to_owned();
    path.push(suffix);
    PathBuf::from(path)
}

/// The overlay's documents for one service. As botocore's loader does, each document kind comes
/// from the overlay when present there, else from the bundle at the same api version.
fn load_overlay(
    service: &str,
    service_dir: &Path,
    bundled: Option<&ServiceDocuments>,
) -> Result<Option<ServiceDocuments>, CatalogError> {
    let Some(api_version) = latest_api_version(service_dir) else {
        return Ok(None);
    };
    let version_dir = service_dir.join(&api_version);
    let same_version = bundled.filter(|docs| docs.api_version == api_version);
    let document = |file: &str, fallback: Option<&Value>| -> Result<Option<Value>, CatalogError> {
        match read_json_document(&version_dir.join(file))? {
            Some(mut value) => {
                merge_sdk_extras(&mut value, &version_dir.join(format!("{file}.sdk-extras")))?;
                Ok(Some(value))
            }
            None => Ok(fallback.cloned()),
        }
    };
    let service_doc =
        document(SERVICE_FILE, None)?.ok_or_else(|| corrupt(service, "service-2 vanished"))?;
    Ok(Some(ServiceDocuments {
        name: service.to_string(),
        service: service_doc,
        paginators: document(
            PAGINATORS_FILE,
            same_version.and_then(|d| d.paginators.as_ref()),
        )?,
        waiters: document(WAITERS_FILE, same_version.and_then(|d| d.waiters.as_ref()))?,
        endpoint_rules: document(
            ENDPOINT_RULES_FILE,
            same_version.and_then(|d| d.endpoint_rules.as_ref()),
        )?,
        api_version,
    }))
}

/// Reads `<stem>.json` or `<stem>.json.gz`; `None` when neither exists.
fn read_json_document(stem: &Path) -> Result<Option<Value>, CatalogError> {
    let plain = with_suffix(stem, ".json");
    let gzipped = with_suffix(stem, ".json.gz");
    let io_error = |path: &Path, err: std::io::Error| CatalogError::Io {
        path: path.to_path_buf(),
        reason: err.to_string(),
    };
    let (path, bytes) = if plain.is_file() {
        let bytes = std::fs::read(&plain).map_err(|err| io_error(&plain, err))?;
        (plain, bytes)
    } else if gzipped.is_file() {
        let file = std::fs::File::open(&gzipped).map_err(|err| io_error(&gzipped, err))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|err| io_error(&gzipped, err))?;
        (gzipped, bytes)
    } else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|err| corrupt(&path.display().to_string(), err))
}

/// Applies a botocore `*.sdk-extras.json` file's `merge` object, if the file exists.
fn merge_sdk_extras(document: &mut Value, extras_stem: &Path) -> Result<(), CatalogError> {
    if let Some(extras) = read_json_document(extras_stem)? {
        if let Some(merge) = extras.get("merge") {
            deep_merge(document, merge);
        }
    }
    Ok(())
}

/// botocore's `deep_merge`: objects merge key by key, anything else overwrites.
fn deep_merge(base: &mut Value, extra: &Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra {
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, extra) => *base = extra.clone(),
    }
}

/// Up to three known names close to `name`: by edit distance, or sharing its start.
pub fn suggest(name: &str, known: &[String]) -> Vec<String> {
    let wanted = name.to_ascii_lowercase();
    let mut scored: Vec<(f64, &String)> = known
        .iter()
        .map(|candidate| {
            let lowered = candidate.to_ascii_lowercase();
            let mut score = strsim::jaro_winkler(&wanted, &lowered);
            if lowered.starts_with(&wanted) || wanted.starts_with(&lowered) {
                score = score.max(0.9);
            }
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, name)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn bundle_lists_the_common_services() {
        let names = Catalog::new(None).service_names();
        for service in [
            "s3", "lambda", "logs", "sqs", "dynamodb", "iam", "ec2", "sts", "ssm",
        ] {
            assert!(names.iter().any(|n| n == service), "missing {service}");
        }
        assert!(names.len() > 300, "only {} services", names.len());
    }

    #[test]
    fn loads_a_service_with_all_its_documents() {
        let catalog = Catalog::new(None);
        let s3 = catalog.load("s3").unwrap();
        assert_eq!(s3.api_version, "2006-03-01");
        assert_eq!(s3.service["metadata"]["protocol"], "rest-xml");
        // service-2.sdk-extras.json is merged in.
        assert_eq!(s3.service["shapes"]["Expires"]["type"], "timestamp");
        assert!(s3.paginators.as_ref().unwrap()["pagination"]["ListObjectsV2"].is_object());
        assert!(s3.waiters.as_ref().unwrap()["waiters"]["BucketExists"].is_object());
        assert!(s3.endpoint_rules.as_ref().unwrap()["rules"].is_array());
        // Documentation is stripped.
        assert!(s3.service["operations"]["PutObject"]
            .get("documentation")
            .is_none());
    }

    #[test]
    fn loads_are_cached() {
        let catalog = Catalog::new(None);
        let first = catalog.load("sqs").unwrap();
        let second = catalog.load("sqs").unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn unknown_service_suggests_close_names() {
        let err = Catalog::new(None).load("lamda").unwrap_err();
        match &err {
            CatalogError::UnknownService { name, suggestions } => {
                assert_eq!(name, "lamda");
                assert_eq!(suggestions.first().map(String::as_str), Some("lambda"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("did you mean lambda"), "{err}");
    }

    #[test]
    fn partitions_are_embedded() {
        let catalog = Catalog::new(None);
        let partitions = catalog.partitions().unwrap();
        assert_eq!(partitions["partitions"][0]["id"], "aws");
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn overlay_adds_a_new_service_and_picks_the_latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("widgets/2020-01-01/service-2.json"),
            r#"{"metadata":{"apiVersion":"old"}}"#,
        );
        write(
            &root.join("widgets/2021-06-30/service-2.json"),
            r#"{"metadata":{"apiVersion":"new"}}"#,
        );
        write(
            &root.join("widgets/2021-06-30/waiters-2.json"),
            r#"{"version":2,"waiters":{}}"#,
        );
        write(
            &root.join("widgets/2021-06-30/service-2.sdk-extras.json"),
            r#"{"version":1.0,"merge":{"metadata":{"extra":true}}}"#,
        );
        let catalog = Catalog::new(Some(root.to_path_buf()));
        let widgets = catalog.load("widgets").unwrap();
        assert_eq!(widgets.api_version, "2021-06-30");
        assert_eq!(widgets.service["metadata"]["apiVersion"], "new");
        assert_eq!(widgets.service["metadata"]["extra"], true);
        assert!(widgets.waiters.is_some());
        assert!(widgets.paginators.is_none());
        assert!(catalog.service_names().contains(&"widgets".to_string()));
    }

    #[test]
    fn overlay_reads_gzip_and_keeps_bundled_documents_of_the_same_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sqs/2012-11-05/service-2.json.gz");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        encoder
            .write_all(br#"{"metadata":{"protocol":"patched"}}"#)
            .unwrap();
        encoder.finish().unwrap();
        let catalog = Catalog::new(Some(dir.path().to_path_buf()));
        let sqs = catalog.load("sqs").unwrap();
        assert_eq!(sqs.service["metadata"]["protocol"], "patched");
        assert!(
            sqs.endpoint_rules.is_some(),
            "bundled rules of the same api version are kept"
        );
    }

    #[test]
    fn overlay_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("sqs/2030-01-01/service-2.json"),
            "{not json",
        );
        let err = Catalog::new(Some(dir.path().to_path_buf()))
            .load("sqs")
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::Corrupt { ref what, .. } if what.ends_with("service-2.json")),
            "{err:?}"
        );
    }

    #[test]
    fn bad_bundle_header_is_corrupt() {
        assert!(matches!(
            parse_index(b"nope"),
            Err(CatalogError::Corrupt { .. })
        ));
    }
}
