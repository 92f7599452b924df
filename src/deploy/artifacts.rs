//! Templates too large to send inline (over 51,200 bytes) go to an S3 artifact bucket, and
//! the change set names them by URL, as CloudFormation requires. Keys are content-addressed,
//! so an unchanged template is the same object on every deploy.

use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::aws::error::CallError;
use crate::aws::invoke::Client;

/// Where large templates are uploaded.
pub struct ArtifactStore {
    client: Arc<Client>,
    bucket: String,
    prefix: Option<String>,
}

impl std::fmt::Debug for ArtifactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactStore")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl ArtifactStore {
    pub fn new(client: Arc<Client>, bucket: String, prefix: Option<String>) -> ArtifactStore {
        ArtifactStore {
            client,
            bucket,
            prefix,
        }
    }

    /// The object key for a stack's template.
    pub fn key(&self, stack: &str, body: &str) -> String {
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        let prefix = self
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty());
        match prefix {
            Some(prefix) => format!("{prefix}/{stack}/{digest}.template"),
            None => format!("{stack}/{digest}.template"),
        }
    }

    /// Uploads the template and returns the URL CloudFormation reads it from: the very URL
    /// the object was written to.
    pub async fn upload(&self, stack: &str, body: &str) -> Result<String, String> {
        let input = json!({"Bucket": self.bucket, "Key": self.key(stack, body), "Body": body});
        let failed = |error: CallError| {
            format!(
                "cannot upload the template to s3://{}: {error}",
                self.bucket
            )
        };
        let prepared = self
            .client
            .prepare("s3", "PutObject", &input)
            .await
            .map_err(failed)?;
        self.client
            .call("s3", "PutObject", &input)
            .await
            .map_err(failed)?;
        Ok(prepared.url)
    }
}
